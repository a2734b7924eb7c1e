// Shared helpers of the store tests: a store on a fixed clock with a few namespaces.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "kubedouble/fakeserver/store.h"

namespace kubedouble::fake::testing {

// 2026-01-02T03:04:05Z
inline std::chrono::system_clock::time_point FixedTime() {
  return std::chrono::system_clock::from_time_t(1767323045);
}

class StoreTest : public ::testing::Test {
 protected:
  explicit StoreTest(size_t window = 10000)
      : registry_(std::make_shared<Registry>()),
        store_(std::make_unique<Store>(
            registry_, [this] { return now_; }, window)) {
    pods_ = *registry_->Find("", "v1", "pods");
    namespaces_ = *registry_->Find("", "v1", "namespaces");
    secrets_ = *registry_->Find("", "v1", "secrets");
    configmaps_ = *registry_->Find("", "v1", "configmaps");
    services_ = *registry_->Find("", "v1", "services");
    nodes_ = *registry_->Find("", "v1", "nodes");
    events_ = *registry_->Find("", "v1", "events");
    serviceaccounts_ = *registry_->Find("", "v1", "serviceaccounts");
    crds_ = *registry_->Find("apiextensions.k8s.io", "v1", "customresourcedefinitions");
    for (const char* ns : {"default", "kube-system", "team-a"}) Namespace(ns);
  }

  json Namespace(const std::string& name) {
    return store_->Create(namespaces_, "", {{"metadata", {{"name", name}}}});
  }

  // A served resource of version v1 ("apps", "deployments").
  ResourceInfo V1(const std::string& group, const std::string& plural) const {
    return *registry_->Find(group, "v1", plural);
  }

  // The smallest valid Pod: one container.
  static json PodBody(const std::string& name) {
    return {{"metadata", {{"name", name}}},
            {"spec", {{"containers", {{{"name", "main"}, {"image", "busybox"}}}}}}};
  }

  json Pod(const std::string& ns, const std::string& name, json labels = json::object(),
           const std::string& phase = "Running", const std::string& node = "node-1") {
    json pod = {
        {"metadata", {{"name", name}, {"labels", labels}}},
        {"spec", {{"nodeName", node}, {"containers", {{{"name", "main"}, {"image", "busybox"}}}}}},
        {"status", {{"phase", phase}}}};
    return store_->Create(pods_, ns, pod);
  }

  // DELETE with a grace period of 0 (kubectl delete --grace-period=0 --force): a bound pod goes
  // at once instead of waiting out its grace period.
  json ForceDelete(const ResourceInfo& res, const std::string& ns, const std::string& name) {
    DeleteOptions now;
    now.grace_period_seconds = 0;
    return store_->Delete(res, ns, name, now);
  }

  static int64_t Rv(const json& obj) {
    return std::stoll(obj["metadata"]["resourceVersion"].get<std::string>());
  }

  // The StatusError `fn` throws (fails the test if it throws nothing).
  static StatusError Error(const std::function<void()>& fn) {
    try {
      fn();
    } catch (const StatusError& e) {
      return e;
    }
    ADD_FAILURE() << "expected a StatusError";
    return StatusError(0, "", "");
  }

  std::chrono::system_clock::time_point now_ = FixedTime();
  std::shared_ptr<Registry> registry_;
  std::unique_ptr<Store> store_;
  ResourceInfo pods_, namespaces_, secrets_, configmaps_, services_, nodes_, events_,
      serviceaccounts_, crds_;
};

inline std::vector<std::string> Names(const json& list) {
  std::vector<std::string> out;
  for (const auto& item : list["items"]) out.push_back(item["metadata"]["name"]);
  return out;
}

}  // namespace kubedouble::fake::testing
