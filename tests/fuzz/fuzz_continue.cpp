// Continue tokens (and the list options beside them) as a client sends them back: forged,
// garbled, replayed. A token must never reveal objects outside the namespace listed, and a bad
// one is a 400 or 410 Status, never another exception (the server would answer 500).
#include <cstddef>
#include <cstdint>
#include <string>

#include "kubedouble/fakeserver/store.h"

using kubedouble::fake::json;

namespace {
kubedouble::fake::Store& World() {
  static auto* store = [] {
    auto registry = std::make_shared<kubedouble::fake::Registry>();
    auto* s = new kubedouble::fake::Store(registry, nullptr, 8);
    auto cms = *registry->Find("", "v1", "configmaps");
    auto namespaces = *registry->Find("", "v1", "namespaces");
    for (std::string ns : {"default", "kube-system", "other"}) {
      s->Put(namespaces,
             {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}});
      for (int i = 0; i < 6; ++i) {
        s->Create(cms, ns,
                  {{"apiVersion", "v1"},
                   {"kind", "ConfigMap"},
                   {"metadata", {{"name", "cm-" + std::to_string(i)}, {"namespace", ns}}}});
      }
    }
    // Churn so that the history window (8) compacts old revisions: old tokens expire.
    for (int i = 0; i < 20; ++i) {
      s->Update(cms, "other", "cm-0",
                {{"apiVersion", "v1"},
                 {"kind", "ConfigMap"},
                 {"metadata", {{"name", "cm-0"}, {"namespace", "other"}}},
                 {"data", {{"i", std::to_string(i)}}}});
    }
    return s;
  }();
  return *store;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  auto& store = World();
  static const auto cms = *store.registry()->Find("", "v1", "configmaps");
  kubedouble::fake::ListOptions o;
  o.limit = data[0] % 8;
  std::string rest(reinterpret_cast<const char*>(data) + 2, size - 2);
  // Second byte: where the token goes (resourceVersion rides along sometimes).
  o.continue_token = rest;
  if (data[1] & 1) o.resource_version = std::to_string(data[1] >> 1);
  if (data[1] & 2) o.resource_version_match = (data[1] & 4) ? "NotOlderThan" : "Exact";
  try {
    json list = store.List(cms, "default", o);
    for (const auto& item : list["items"]) {
      if (item["metadata"]["namespace"] != "default") __builtin_trap();
    }
  } catch (const kubedouble::fake::StatusError& e) {
    if (e.code() >= 500 && e.code() != 504) __builtin_trap();  // 504: too large RV, as Kubernetes
  }
  return 0;
}
