// Scenario files (YAML suites) as users write them. A bad suite is a ParseError naming the file
// and the place; nothing else may escape.
#include <cstddef>
#include <cstdint>
#include <string>

#include "kubedouble/scenarios/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    kubedouble::scenarios::ParseSuite(text, "fuzz.yaml");
  } catch (const kubedouble::scenarios::ParseError&) {
  }
  return 0;
}
