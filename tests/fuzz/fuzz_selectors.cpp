// Label and field selectors as a user types them into ?labelSelector= and ?fieldSelector=.
// The first byte picks the parser; a selector that parses is matched against a labelled pod.
// Anything but a 400 StatusError escaping the parser is a bug (the server would answer 500).
#include <cstddef>
#include <cstdint>
#include <string>

#include "kubedouble/fakeserver/store.h"
#include "store/selectors.h"

using kubedouble::fake::json;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const kubedouble::fake::Registry registry;
  static const auto pods = *registry.Find("", "v1", "pods");
  static const json pod = {{"metadata",
                            {{"name", "web-1"},
                             {"namespace", "default"},
                             {"labels", {{"app", "web"}, {"tier", "1"}, {"example.com/x", "y"}}}}},
                           {"spec", {{"nodeName", "node-a"}}},
                           {"status", {{"phase", "Running"}}}};
  std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    if (data[0] & 1) {
      auto sel = kubedouble::fake::FieldSelector::Parse(pods, text);
      sel.Matches(pod);
      sel.PinnedName();
    } else {
      auto sel = kubedouble::fake::LabelSelector::Parse(text);
      sel.Matches(pod);
      sel.Matches(json::object());
    }
  } catch (const kubedouble::fake::StatusError& e) {
    if (e.code() != 400) __builtin_trap();
  }
  return 0;
}
