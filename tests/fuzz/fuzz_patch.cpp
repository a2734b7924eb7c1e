// JSON merge, JSON patch, strategic-merge patch and server-side apply bodies applied to a config
// map and a pod.
// The first byte picks the patch type and the object. Rejections are 4xx Status errors; any
// other exception (a 500 in the server) or a crash is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "kubedouble/fakeserver/store.h"

using kubedouble::fake::json;
using kubedouble::fake::PatchType;

namespace {
struct World {
  std::shared_ptr<kubedouble::fake::Registry> registry =
      std::make_shared<kubedouble::fake::Registry>();
  kubedouble::fake::Store store{registry, nullptr, 16};
  kubedouble::fake::ResourceInfo cms = *registry->Find("", "v1", "configmaps");
  kubedouble::fake::ResourceInfo pods = *registry->Find("", "v1", "pods");
  json cm = {{"apiVersion", "v1"},
             {"kind", "ConfigMap"},
             {"metadata", {{"name", "cm"}, {"namespace", "default"}, {"labels", {{"a", "b"}}}}},
             {"data", {{"k", "v"}, {"list", "1,2"}}}};
  json pod = {
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata", {{"name", "pod"}, {"namespace", "default"}}},
      {"spec",
       {{"containers",
         {{{"name", "a"}, {"image", "nginx"}, {"ports", {{{"containerPort", 80}}}}},
          {{"name", "b"}, {"image", "busybox"}, {"env", {{{"name", "X"}, {"value", "1"}}}}}}}}}};
  World() {
    store.Put(registry->Find("", "v1", "namespaces").value(),
              {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "default"}}}});
    store.Put(cms, cm);
    store.Put(pods, pod);
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static World w;
  static const PatchType kTypes[] = {PatchType::kMerge, PatchType::kJson,
                                     PatchType::kStrategicMerge, PatchType::kApply};
  PatchType type = kTypes[data[0] & 3];
  bool pod = data[0] & 4;
  std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    // dryRun keeps the world the same for every input.
    w.store.Patch(pod ? w.pods : w.cms, "default", pod ? "pod" : "cm", type, body,
                  {.dry_run = true, .field_manager = "fuzz"});
  } catch (const kubedouble::fake::StatusError& e) {
    if (e.code() >= 500) __builtin_trap();
  }
  return 0;
}
