// A cluster in process for the control plane's tests: a TestServer on the fake clock with a
// ControlPlane beside it, and short ways to create, read and list objects through the store.
#pragma once

#include <kubedouble/controlplane/control_plane.h>
#include <kubedouble/fakeserver/clock.h>
#include <kubedouble/fakeserver/server.h>
#include <kubedouble/fakeserver/store.h>

#include <chrono>
#include <deque>
#include <string>

namespace kubedouble::controlplane {

using fake::json;

class Cluster {
 public:
  explicit Cluster(Options options = {}, bool fixtures = false)
      : server_([&] {
          fake::ServerOptions o;
          o.clock = fake::ClockMode::kFake;
          o.default_fixtures = fixtures;
          return o;
        }()),
        cp_(server_.server(), std::move(options)) {
    cp_.Start();
  }
  fake::Store& store() { return server_.server().store(); }
  fake::ServerClock& clock() { return server_.server().clock(); }
  const fake::ResourceInfo& Res(const std::string& group, const std::string& version,
                                const std::string& plural) {
    infos_.push_back(*store().registry()->Find(group, version, plural));
    return infos_.back();
  }
  json List(const std::string& group, const std::string& version, const std::string& plural,
            const std::string& ns = "", const std::string& selector = "") {
    fake::ListOptions o;
    o.label_selector = selector;
    return store().List(Res(group, version, plural), ns, o)["items"];
  }
  json Get(const std::string& group, const std::string& version, const std::string& plural,
           const std::string& ns, const std::string& name) {
    return store().Get(Res(group, version, plural), ns, name);
  }
  void Create(const std::string& group, const std::string& version, const std::string& plural,
              const std::string& ns, json object) {
    store().Create(Res(group, version, plural), ns, std::move(object));
  }
  void Advance(std::chrono::nanoseconds by) { clock().Advance(by); }
  fake::TestServer& server() { return server_; }

 private:
  fake::TestServer server_;
  ControlPlane cp_;
  std::deque<fake::ResourceInfo> infos_;
};

// A Deployment of `replicas` pods labelled app=NAME, one container "main".
inline json Deployment(const std::string& name, int replicas, const std::string& image) {
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata", {{"name", name}}},
          {"spec",
           {{"replicas", replicas},
            {"selector", {{"matchLabels", {{"app", name}}}}},
            {"template",
             {{"metadata", {{"labels", {{"app", name}}}}},
              {"spec", {{"containers", {{{"name", "main"}, {"image", image}}}}}}}}}}};
}

}  // namespace kubedouble::controlplane
