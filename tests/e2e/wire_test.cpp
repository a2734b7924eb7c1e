// Issue 15 with real clients: kubectl --sort-by on fields outside metadata (Tables with
// includeObject=Object), a Python watch that gets 410 after a compaction and lists again, a
// client-node informer that survives one, and curl's view of the headers and status codes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "run.h"

namespace kubedouble::e2e {
namespace {

using fake::TestServer;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;

TEST(WireKubectl, SortByLastTimestampOfEventsAndAPodStatusField) {
  TestServer srv;
  std::string k = Kubectl(srv);
  std::string events;
  // Created out of order; --sort-by must order them by lastTimestamp.
  for (auto [name, at] :
       {std::pair{"second", "2026-01-02T10:00:00Z"}, std::pair{"first", "2026-01-01T10:00:00Z"},
        std::pair{"third", "2026-01-03T10:00:00Z"}}) {
    events += std::string("---\napiVersion: v1\nkind: Event\nmetadata: {name: ") + name +
              "}\ninvolvedObject: {kind: Pod, name: p, namespace: default}\nreason: Test\n"
              "message: " +
              name + "\ntype: Normal\nfirstTimestamp: \"" + at + "\"\nlastTimestamp: \"" + at +
              "\"\ncount: 1\n";
  }
  auto file = Write(srv.paths().dir, "events.yaml", events);
  auto created = Bash(k + "create -f " + file);
  ASSERT_EQ(created.code, 0) << created.output;
  auto sorted = Bash(
      k + "get events --sort-by=.lastTimestamp -o custom-columns=NAME:.metadata.name --no-headers");
  ASSERT_EQ(sorted.code, 0) << sorted.output;
  EXPECT_EQ(sorted.output, "first\nsecond\nthird\n");
  auto table = Bash(k + "get events --sort-by=.lastTimestamp");
  ASSERT_EQ(table.code, 0) << table.output;
  EXPECT_THAT(table.output, ContainsRegex("first[^\n]*\n[^\n]*second[^\n]*\n[^\n]*third"));
  EXPECT_THAT(table.output, ::testing::Not(HasSubstr("No resources found")));
  // A status field of the fixture pods.
  auto pods = Bash(k + "get pods -A --sort-by=.status.podIP --no-headers");
  ASSERT_EQ(pods.code, 0) << pods.output;
  EXPECT_THAT(pods.output, HasSubstr("Running"));
  // kubectl asked for the whole objects in the Table rows.
  bool object = false;
  for (const auto& e : srv.journal().Entries()) {
    object |= e.path == "/api/v1/namespaces/default/events" &&
              e.query.find("includeObject=Object") != std::string::npos;
  }
  EXPECT_TRUE(object);
}

TEST(WirePython, WatchGets410AfterACompactionAndListsAgain) {
  TestServer srv;
  std::string script = R"PY(
import threading, time, json
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException
config.load_kube_config(config_file=KUBECONFIG)
v1 = client.CoreV1Api()
def pod(name):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]}}
old = v1.list_namespaced_pod("default").metadata.resource_version
v1.create_namespaced_pod("default", pod("after-old"))
out = v1.api_client.call_api("/__kubedouble/compact", "POST", body={},
                             auth_settings=["BearerToken"], _preload_content=False)
print("compacted", json.loads(out[0].data)["compacted"] != "", flush=True)
try:
    for ev in watch.Watch().stream(v1.list_namespaced_pod, "default", resource_version=old,
                                   timeout_seconds=10):
        print("unexpected", ev["type"], flush=True)
except ApiException as e:
    print("gone", e.status, flush=True)
rv = v1.list_namespaced_pod("default").metadata.resource_version
def later():
    time.sleep(1.0)
    v1.create_namespaced_pod("default", pod("after-relist"))
threading.Thread(target=later, daemon=True).start()
w = watch.Watch()
for ev in w.stream(v1.list_namespaced_pod, "default", resource_version=rv, timeout_seconds=15):
    print(ev["type"], ev["object"].metadata.name, flush=True)
    w.stop()
)PY";
  auto py = Write(srv.paths().dir, "relist.py",
                  "KUBECONFIG = '" + srv.paths().kubeconfig.string() + "'\n" + script);
  auto r = Bash("timeout 60 /usr/bin/python3 " + py);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output, "compacted True\ngone 410\nADDED after-relist\n");
}

TEST(WireNode, InformerListsAgainAfterACompactionAndKeepsWatching) {
  TestServer srv;
  std::string k = Kubectl(srv);
  auto out = srv.paths().dir / "informer.out";
  // The informer's first watch ends after one event; its next watch is held 6 s before it
  // starts, while a pod is created and the history compacted past where it resumes from.
  auto rules = Write(srv.paths().dir, "rules.json", R"({"faults":[
    {"name":"end-first-watch","match":{"verb":"watch","resource":"pods","namespace":"default"},
     "closeWatchAfterEvents":1,"times":1},
    {"name":"hold-second-watch","match":{"verb":"watch","resource":"pods","namespace":"default"},
     "delay":"6s","times":1}]})");
  auto added = Bash(k + "create --raw /__kubedouble/faults -f " + rules);
  ASSERT_EQ(added.code, 0) << added.output;
  auto r =
      Bash("(timeout 60 node " + std::string(KUBEDOUBLE_E2E_DIR) + "/informer_relist.mjs " +
           KUBEDOUBLE_CLIENT_NODE_DIR + " " + srv.paths().token_kubeconfig.string() +
           " default > " + out.string() + " 2>&1 &); for i in $(seq 200); do grep -q ready " +
           out.string() + " && break; sleep 0.1; done; " + k +
           "run before --image=nginx --restart=Never >/dev/null; for i in $(seq 200); do "
           "grep -q 'ADDED before' " +
           out.string() + " && break; sleep 0.1; done; " + k +
           "run during --image=nginx --restart=Never >/dev/null; echo '{}' > " +
           (srv.paths().dir / "empty.json").string() + "; " + k +
           "create --raw /__kubedouble/compact -f " + (srv.paths().dir / "empty.json").string() +
           " >/dev/null; for i in $(seq 300); do grep -q 'ADDED during' " + out.string() +
           " && break; sleep 0.1; done; " + k +
           "delete pod during --wait=false >/dev/null; for i in $(seq 200); do grep -q lists " +
           out.string() + " && break; sleep 0.1; done; cat " + out.string());
  EXPECT_THAT(r.output, HasSubstr("ready"));
  EXPECT_THAT(r.output, HasSubstr("ADDED before"));
  EXPECT_THAT(r.output, HasSubstr("ADDED during"));
  EXPECT_THAT(r.output, HasSubstr("DELETED during"));
  EXPECT_THAT(r.output, HasSubstr("lists 2"));  // the 410 made it list again
}

// The HTTP/1.1 wire (kube-apiserver's answer to a client that does not offer h2).
TEST(WireCurl, HeadersAndStatusCodes) {
  TestServer srv;
  const std::string curl = "curl -s --http1.1 --cacert " + srv.paths().ca_crt.string() +
                           " -H 'Authorization: Bearer " + srv.paths().admin_token + "' ";
  const std::string cms = srv.url() + "/api/v1/namespaces/default/configmaps";
  auto head = Bash(curl + "-D - -o /dev/null " + cms);
  EXPECT_THAT(head.output, ContainsRegex("(^|\n)HTTP/1.1 200 OK"));
  EXPECT_THAT(head.output, ContainsRegex("\nAudit-Id: [0-9a-f-]{36}\r\n"));
  EXPECT_THAT(head.output, HasSubstr("\nCache-Control: no-cache, private\r\n"));
  EXPECT_THAT(head.output, ContainsRegex("\nX-Kubernetes-Pf-Flowschema-Uid: [0-9a-f-]{36}\r\n"));
  EXPECT_THAT(head.output, ContainsRegex("\nX-Kubernetes-Pf-Prioritylevel-Uid: [0-9a-f-]{36}\r\n"));
  EXPECT_THAT(head.output, HasSubstr("\nContent-Type: application/json\r\n"));
  // curl's user agent gets indented JSON.
  EXPECT_THAT(Bash(curl + cms).output, ::testing::StartsWith("{\n  \"apiVersion\": \"v1\",\n"));
  auto code = [&](const std::string& args) {
    return Bash(curl + "-o /dev/null -w '%{http_code}' " + args).output;
  };
  EXPECT_EQ(code("-H 'Accept: application/xml' " + cms), "406");
  EXPECT_EQ(code("-H 'Content-Type: text/plain' -d x " + cms), "415");
  EXPECT_EQ(code("-X PUT -H 'Content-Type: application/json' -d '{}' " + cms), "405");
  EXPECT_EQ(code(cms + "/missing"), "404");
  auto yaml = Bash(curl + "-H 'Accept: application/yaml' " + cms + "/kube-root-ca.crt");
  EXPECT_THAT(yaml.output, ::testing::StartsWith("apiVersion: v1\ndata:\n  ca.crt: |\n"));
  // A JSON watch says application/json, even to a client asking for gzip.
  auto watch = Bash(curl + "--compressed -D - -o /dev/null '" + cms + "?watch=1&timeoutSeconds=1'");
  EXPECT_THAT(watch.output, HasSubstr("\nContent-Type: application/json\r\n"));
  EXPECT_THAT(watch.output, ::testing::Not(HasSubstr("Content-Encoding")));
  // No credentials: 401 with an audit id but no flow-control headers.
  auto anon = Bash("curl -s --http1.1 --cacert " + srv.paths().ca_crt.string() + " -D - " + cms);
  EXPECT_THAT(anon.output, HasSubstr("HTTP/1.1 401"));
  EXPECT_THAT(anon.output, HasSubstr("\nAudit-Id: "));
  EXPECT_THAT(anon.output, ::testing::Not(HasSubstr("Pf-Flowschema")));
  EXPECT_THAT(anon.output, HasSubstr("{\n  \"apiVersion\": \"v1\",\n  \"code\": 401,"));
}

// curl negotiates h2 by default, as with kube-apiserver: the same answers, header names in lower
// case as HTTP/2 sends them, no connection-specific headers; --http1.1 still gets HTTP/1.1.
TEST(WireCurl, Http2ByDefaultAndHttp1WhenAsked) {
  TestServer srv;
  const std::string curl = "curl -sS --cacert " + srv.paths().ca_crt.string() +
                           " -H 'Authorization: Bearer " + srv.paths().admin_token + "' ";
  const std::string pods = srv.url() + "/api/v1/namespaces/default/pods";
  EXPECT_EQ(Bash(curl + "-o /dev/null -w '%{http_version} %{http_code}' " + pods).output, "2 200");
  EXPECT_EQ(Bash(curl + "--http1.1 -o /dev/null -w '%{http_version} %{http_code}' " + pods).output,
            "1.1 200");
  auto head = Bash(curl + "--http2 -D - -o /dev/null " + pods);
  EXPECT_THAT(head.output, ContainsRegex("(^|\n)HTTP/2 200"));
  EXPECT_THAT(head.output, ContainsRegex("\naudit-id: [0-9a-f-]{36}\r\n"));
  EXPECT_THAT(head.output, HasSubstr("\ncontent-type: application/json\r\n"));
  EXPECT_THAT(head.output, ::testing::Not(HasSubstr("connection:")));
  // Several lists on one connection (curl multiplexes them over h2).
  auto many = Bash(curl +
                   "-Z --parallel-immediate -o /dev/null -o /dev/null -o /dev/null -w "
                   "'%{http_version}:%{http_code}:%{num_connects} ' " +
                   pods + " " + pods + " " + pods);
  EXPECT_THAT(many.output, HasSubstr("2:200"));
  EXPECT_THAT(many.output, ::testing::Not(HasSubstr(":000")));
}

}  // namespace
}  // namespace kubedouble::e2e
