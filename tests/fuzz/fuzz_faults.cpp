// `serve --faults FILE` (and a suite's faults): fault rules as users write them, YAML aliases
// included. A bad file is a std::runtime_error that names it; nothing else may escape.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#include "kubedouble/fakeserver/faults.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    kubedouble::fake::ParseFaultRules(text, "faults.yaml");
  } catch (const std::runtime_error& e) {
    if (std::strstr(e.what(), "faults.yaml") == nullptr) __builtin_trap();
  }
  return 0;
}
