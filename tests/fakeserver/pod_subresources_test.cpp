// The pod subresources a user of kubectl logs, drain, exec and port-forward reaches: pods/log
// (the simulated container's output, every option, follow on the fake clock), pods/eviction
// with PodDisruptionBudgets, and exec/attach/portforward without an upgrade — each answered and
// refused with kube-apiserver's wording.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>

#include <kubedouble/fakeserver/clock.h>
#include <kubedouble/fakeserver/container_log.h>

#include "client.h"

namespace kubedouble::testing {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

class PodSubresources : public ::testing::Test {
 protected:
  PodSubresources() : srv_({.clock = fake::ClockMode::kFake}) {}

  fake::Store& store() { return srv_.server().store(); }
  fake::ResourceInfo Pods() { return *store().registry()->Find("", "v1", "pods"); }
  fake::ResourceInfo Budgets() {
    return *store().registry()->Find("policy", "v1", "poddisruptionbudgets");
  }
  std::string Now() { return fake::LogTimestamp(srv_.server().clock().Now()).substr(0, 19) + "Z"; }

  // A pod running on kubedouble-worker since now, with `containers`.
  json RunningPod(const std::string& name, json containers, json annotations = nullptr) {
    json statuses = json::array();
    for (const auto& c : containers) {
      statuses.push_back(
          {{"name", c["name"]},
           {"image", c.value("image", "busybox")},
           {"ready", true},
           {"restartCount", 0},
           {"containerID", "containerd://" + name + "-" + c["name"].get<std::string>()},
           {"state", {{"running", {{"startedAt", Now()}}}}}});
    }
    json pod = {
        {"apiVersion", "v1"},
        {"kind", "Pod"},
        {"metadata", {{"name", name}, {"namespace", "default"}, {"labels", {{"app", name}}}}},
        {"spec", {{"nodeName", "kubedouble-worker"}, {"containers", containers}}},
        {"status",
         {{"phase", "Running"},
          {"conditions", {{{"type", "Ready"}, {"status", "True"}}}},
          {"containerStatuses", statuses}}}};
    if (!annotations.is_null()) pod["metadata"]["annotations"] = annotations;
    store().Put(Pods(), pod);
    return pod;
  }

  httplib::Result Log(const std::string& pod, const std::string& query = "",
                      const Credentials& creds = {}) {
    auto c =
        Client(srv_, creds.token.empty() && creds.cert_file.empty() ? AdminToken(srv_) : creds);
    return c->Get("/api/v1/namespaces/default/pods/" + pod + "/log" +
                  (query.empty() ? "" : "?" + query));
  }

  std::string Message(const httplib::Result& r) { return Body(r).value("message", r->body); }

  fake::TestServer srv_;
};

json Talker() {
  return {{"name", "talk"},
          {"image", "busybox"},
          {"command", {"sh", "-c", "echo hello $WHO; sleep 5; echo \"done, world\""}},
          {"env", {{{"name", "WHO"}, {"value", "world"}}}}};
}

TEST_F(PodSubresources, LogIsTheCommandsOutputAsTheClockMoves) {
  RunningPod("talk", {Talker()});
  auto r = Log("talk");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body, "hello world\n");
  EXPECT_THAT(r->get_header_value("Content-Type"), HasSubstr("text/plain"));
  srv_.server().clock().Advance(5s);
  EXPECT_EQ(Log("talk")->body, "hello world\ndone, world\n");
}

TEST_F(PodSubresources, LogOptionsFilterAndShape) {
  // Lines carry the container's start (whole seconds, as startedAt holds it).
  auto started = std::chrono::floor<std::chrono::seconds>(srv_.server().clock().Now());
  RunningPod("talk", {Talker()});
  srv_.server().clock().Advance(10s);
  const std::string t0 = fake::LogTimestamp(started);
  EXPECT_EQ(Log("talk", "timestamps=true")->body,
            t0 + " hello world\n" + fake::LogTimestamp(started + 5s) + " done, world\n");
  EXPECT_EQ(Log("talk", "tailLines=1")->body, "done, world\n");
  EXPECT_EQ(Log("talk", "tailLines=0")->body, "");
  EXPECT_EQ(Log("talk", "limitBytes=3")->body, "hel");
  EXPECT_EQ(Log("talk", "sinceSeconds=7")->body, "done, world\n");
  EXPECT_EQ(Log("talk", "sinceTime=" + fake::LogTimestamp(started + 1s).substr(0, 19) + "Z")->body,
            "done, world\n");
  EXPECT_EQ(Log("talk", "container=talk&insecureSkipTLSVerifyBackend=true")->body,
            "hello world\ndone, world\n");
}

TEST_F(PodSubresources, AnnotationScriptsLinesAndAnImageStartsWithOneLine) {
  RunningPod("web", {{{"name", "nginx"}, {"image", "nginx:1.27"}}},
             {{"kubedouble.io/log", "+1s ready\nevery 10s tick {n}"}});
  auto started = std::chrono::floor<std::chrono::seconds>(srv_.server().clock().Now());
  srv_.server().clock().Advance(25s);
  EXPECT_EQ(Log("web")->body, "Started nginx (image nginx:1.27)\nready\ntick 1\ntick 2\n");
  EXPECT_EQ(Log("web", "sinceTime=" + fake::LogTimestamp(started + 15s).substr(0, 19) + "Z")->body,
            "tick 2\n");
  EXPECT_EQ(Log("web", "sinceTime=" + fake::LogTimestamp(started + 10s).substr(0, 19) + "Z")->body,
            "tick 1\ntick 2\n");
}

TEST_F(PodSubresources, AChattyContainerKeepsItsLastHundredThousandLines) {
  RunningPod("chatty", {{{"name", "c"}, {"image", "busybox"}}},
             {{"kubedouble.io/log.c", "every 1ms line {n}"}});
  auto started = std::chrono::floor<std::chrono::seconds>(srv_.server().clock().Now());
  srv_.server().clock().Advance(1h);
  const int64_t written =
      std::chrono::duration_cast<std::chrono::milliseconds>(srv_.server().clock().Now() - started)
          .count();  // a little over 3,600,000
  EXPECT_EQ(Log("chatty", "tailLines=1")->body, "line " + std::to_string(written) + "\n");
  auto all = Log("chatty")->body;
  EXPECT_EQ(std::count(all.begin(), all.end(), '\n'), 100000);
  EXPECT_EQ(all.substr(0, all.find('\n')), "line " + std::to_string(written - 99999));
}

TEST_F(PodSubresources, LogRefusalsAreWordedAsUpstream) {
  RunningPod("two", {{{"name", "a"}}, {{"name", "b"}}});
  auto r = Log("two");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Message(r), "a container name must be specified for pod two, choose one of: [a b]");
  r = Log("two", "container=c");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Message(r), "container c is not valid for pod two");
  r = Log("two", "container=a&previous=true");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Message(r), "previous terminated container \"a\" in pod \"two\" not found");
  r = Log("two", "container=a&tailLines=-1");
  EXPECT_EQ(r->status, 422);
  EXPECT_EQ(Message(r),
            "PodLogOptions \"two\" is invalid: tailLines: Invalid value: -1: must be greater "
            "than or equal to 0");
  r = Log("two", "container=a&sinceSeconds=0&limitBytes=0");
  EXPECT_EQ(r->status, 422);
  EXPECT_THAT(Message(r), HasSubstr("limitBytes: Invalid value: 0: must be greater than 0"));
  EXPECT_THAT(Message(r), HasSubstr("sinceSeconds: Invalid value: 0: must be greater than 0"));
  r = Log("two", "container=a&sinceSeconds=5&sinceTime=2026-01-01T00:00:00Z");
  EXPECT_EQ(r->status, 422);
  EXPECT_THAT(Message(r),
              HasSubstr("at most one of `sinceTime` or `sinceSeconds` may be specified"));
  r = Log("two", "container=a&tailLines=ten");
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(Message(r), HasSubstr("tailLines"));
  r = Log("nope");
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(Message(r), "pods \"nope\" not found");

  // On a node, not started yet: the kubelet's answer. Not on a node: nothing to read.
  json waiting = RunningPod("waiting", {{{"name", "c"}}});
  waiting["status"].erase("containerStatuses");
  waiting["status"]["phase"] = "Pending";
  store().Put(Pods(), waiting);
  r = Log("waiting");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Message(r),
            "container \"c\" in pod \"waiting\" is waiting to start: ContainerCreating");
  waiting["spec"].erase("nodeName");
  store().Put(Pods(), waiting);
  r = Log("waiting");
  EXPECT_EQ(r->status, 204);
  EXPECT_EQ(r->body, "");
}

TEST_F(PodSubresources, LogNeedsGetOnPodsLog) {
  RunningPod("talk", {Talker()});
  auto r = Log("talk", "", UserToken(srv_));
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(Message(r),
            "pods \"talk\" is forbidden: User \"kubedouble-user\" cannot get resource "
            "\"pods/log\" in API group \"\" in the namespace \"default\"");
}

TEST_F(PodSubresources, FollowStreamsAsTheClockMovesAndEndsWithTheContainer) {
  json pod = RunningPod("talk", {Talker()});
  std::string got;
  std::mutex mu;
  std::atomic<bool> done{false};
  std::thread follower([&] {
    auto c = Client(srv_, AdminToken(srv_));
    c->Get("/api/v1/namespaces/default/pods/talk/log?follow=true", [&](const char* data, size_t n) {
      std::lock_guard lock(mu);
      got.append(data, n);
      return true;
    });
    done = true;
  });
  auto seen = [&](const std::string& text) {
    for (int i = 0; i < 200; ++i) {
      {
        std::lock_guard lock(mu);
        if (got == text) return true;
      }
      std::this_thread::sleep_for(20ms);
    }
    std::lock_guard lock(mu);
    ADD_FAILURE() << "got: " << got;
    return false;
  };
  EXPECT_TRUE(seen("hello world\n"));
  srv_.server().clock().Advance(6s);
  EXPECT_TRUE(seen("hello world\ndone, world\n"));
  EXPECT_FALSE(done.load());  // still running: still following
  // The container exits: the stream ends.
  pod["status"]["containerStatuses"][0]["state"] = {
      {"terminated",
       {{"exitCode", 0},
        {"startedAt", pod["status"]["containerStatuses"][0]["state"]["running"]["startedAt"]},
        {"finishedAt", Now()},
        {"containerID", "containerd://talk-talk"}}}};
  store().Put(Pods(), pod);
  follower.join();
  EXPECT_TRUE(done.load());
}

TEST_F(PodSubresources, ExecAttachAndPortForwardNeedAnUpgrade) {
  RunningPod("talk", {Talker()});
  RunningPod("two", {{{"name", "a"}}, {{"name", "b"}}});
  auto c = Client(srv_, AdminToken(srv_));
  auto r =
      c->Post("/api/v1/namespaces/default/pods/talk/exec?command=ls&stdout=true", "", "text/plain");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Message(r), "Upgrade request required");
  r = c->Get("/api/v1/namespaces/default/pods/talk/attach?stdout=true");
  EXPECT_EQ(Message(r), "Upgrade request required");
  r = c->Post("/api/v1/namespaces/default/pods/talk/portforward?ports=80", "", "text/plain");
  EXPECT_EQ(Message(r), "Upgrade request required");
  r = c->Post("/api/v1/namespaces/default/pods/two/exec?command=ls", "", "text/plain");
  EXPECT_EQ(Message(r), "a container name must be specified for pod two, choose one of: [a b]");
  r = c->Post("/api/v1/namespaces/default/pods/two/exec?command=ls&container=z", "", "text/plain");
  EXPECT_EQ(Message(r), "container z is not valid for pod two");
  r = c->Post("/api/v1/namespaces/default/pods/gone/exec?command=ls", "", "text/plain");
  EXPECT_EQ(r->status, 404);
  r = Client(srv_, UserToken(srv_))
          ->Post("/api/v1/namespaces/default/pods/talk/exec?command=ls", "", "text/plain");
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(Message(r),
            "pods \"talk\" is forbidden: User \"kubedouble-user\" cannot create resource "
            "\"pods/exec\" in API group \"\" in the namespace \"default\"");
}

TEST(PodSubresourcesRbac, WebSocketExecNeedsCreateAsWellAsGet) {
  test::TempDir dir;
  auto policy = dir.path() / "policy.yaml";
  std::ofstream(policy) << R"(apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: exec-get, namespace: default}
rules:
  - {apiGroups: [""], resources: [pods, pods/exec], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: exec-get, namespace: default}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: exec-get}
subjects:
  - {apiGroup: rbac.authorization.k8s.io, kind: User, name: kubedouble-user}
)";
  fake::TestServer srv({.policy = fake::LoadPolicyObjects(policy)});
  auto c = Client(srv, UserToken(srv));
  const std::string path =
      "/api/v1/namespaces/default/pods/nginx-7c5ddbdf54-2xq8k/exec?command=ls&stdout=true";
  auto r = c->Get(path);  // a plain GET: get is enough, the upgrade is what is missing
  EXPECT_EQ(Body(r).value("message", ""), "Upgrade request required");
  r = c->Get(path, {{"Connection", "Upgrade"}, {"Upgrade", "websocket"}});
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(Body(r).value("message", ""),
            "pods \"nginx-7c5ddbdf54-2xq8k\" is forbidden: User \"kubedouble-user\" cannot "
            "create resource \"pods/exec\" in API group \"\" in the namespace \"default\"");
}

class Eviction : public PodSubresources {
 protected:
  // Budget "web" over app=web with the status the disruption controller would have written.
  void Budget(int allowed, int desired, int healthy, bool processed = true) {
    json pdb = {
        {"apiVersion", "policy/v1"},
        {"kind", "PodDisruptionBudget"},
        {"metadata", {{"name", "web"}, {"namespace", "default"}}},
        {"spec", {{"minAvailable", desired}, {"selector", {{"matchLabels", {{"app", "web"}}}}}}}};
    try {
      json old = store().Get(Budgets(), "default", "web");
      pdb["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"];
      pdb = store().Update(Budgets(), "default", "web", pdb);
    } catch (const fake::StatusError&) {
      pdb = store().Create(Budgets(), "default", pdb);
    }
    const int64_t generation = pdb["metadata"].value("generation", int64_t{1});
    pdb["status"] = {{"disruptionsAllowed", allowed},
                     {"desiredHealthy", desired},
                     {"currentHealthy", healthy},
                     {"expectedPods", healthy},
                     {"observedGeneration", processed ? generation : generation - 1}};
    fake::WriteOptions status_only;
    status_only.status_only = true;
    store().Update(Budgets(), "default", "web", pdb, status_only);
  }
  httplib::Result Evict(const std::string& pod, json body = nullptr) {
    if (body.is_null()) {
      body = {{"apiVersion", "policy/v1"}, {"kind", "Eviction"}, {"metadata", {{"name", pod}}}};
    }
    return Client(srv_, AdminToken(srv_))
        ->Post("/api/v1/namespaces/default/pods/" + pod + "/eviction", body.dump(),
               "application/json");
  }
};

TEST_F(Eviction, RefusedWhileTheBudgetAllowsNoDisruptionThenDone) {
  RunningPod("web", {{{"name", "nginx"}}});
  Budget(0, 1, 1);
  auto r = Evict("web");
  EXPECT_EQ(r->status, 429);
  json status = Body(r);
  EXPECT_EQ(status["message"], "Cannot evict pod as it would violate the pod's disruption budget.");
  EXPECT_EQ(status["reason"], "TooManyRequests");
  EXPECT_EQ(status["details"]["causes"][0]["reason"], "DisruptionBudget");
  EXPECT_EQ(status["details"]["causes"][0]["message"],
            "The disruption budget web needs 1 healthy pods and has 1 currently");
  EXPECT_FALSE(store().Get(Pods(), "default", "web")["metadata"].contains("deletionTimestamp"));

  Budget(1, 1, 2);
  r = Evict("web");
  EXPECT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(Body(r)["status"], "Success");
  json pod = store().Get(Pods(), "default", "web");  // on a node: its grace period runs
  EXPECT_TRUE(pod["metadata"].contains("deletionTimestamp"));
  bool target = false;
  for (const auto& c : pod["status"]["conditions"]) {
    target = target || (c["type"] == "DisruptionTarget" && c["reason"] == "EvictionByEvictionAPI");
  }
  EXPECT_TRUE(target) << pod["status"].dump();
  json pdb = store().Get(Budgets(), "default", "web");
  EXPECT_EQ(pdb["status"]["disruptionsAllowed"], 0);
  EXPECT_TRUE(pdb["status"]["disruptedPods"].contains("web"));
}

TEST_F(Eviction, BudgetNotYetProcessedAsksToRetry) {
  RunningPod("web", {{{"name", "nginx"}}});
  Budget(1, 1, 2, /*processed=*/false);
  auto r = Evict("web");
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(Body(r)["details"]["causes"][0]["message"],
            "The disruption budget web is still being processed by the server.");
  EXPECT_EQ(Body(r)["details"]["retryAfterSeconds"], 10);
  EXPECT_EQ(r->get_header_value("Retry-After"), "10");
}

TEST_F(Eviction, BadBodiesAndMissingPods) {
  RunningPod("web", {{{"name", "nginx"}}});
  auto r =
      Evict("web",
            {{"apiVersion", "policy/v1"}, {"kind", "Eviction"}, {"metadata", {{"name", "other"}}}});
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Message(r), "name in URL does not match name in Eviction object");
  r = Evict("web", {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", {{"name", "web"}}}});
  EXPECT_EQ(r->status, 400);
  r = Evict("gone");
  EXPECT_EQ(r->status, 404);
  // No budget: evicted at once; the policy/v1beta1 body is accepted too.
  r = Evict(
      "web",
      {{"apiVersion", "policy/v1beta1"}, {"kind", "Eviction"}, {"metadata", {{"name", "web"}}}});
  EXPECT_EQ(r->status, 201) << r->body;
}

}  // namespace
}  // namespace kubedouble::testing
