// `serve --fixtures FILE` as users write them: objects, lists, several documents, YAML aliases.
// A bad file is a std::runtime_error that names the file; nothing else may escape.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "fixtures.h"
#include "kubedouble/fakeserver/objects_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::filesystem::path file =
      std::filesystem::temp_directory_path() /
      ("kubedouble-fuzz-" + std::to_string(getpid()) + ".yaml");
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  kubedouble::fake::Store store(std::make_shared<kubedouble::fake::Registry>(), nullptr, 64);
  try {
    for (const auto& f : kubedouble::fake::LoadFixtureObjects(file)) {
      kubedouble::fake::PutFixture(store, f.object, f.source);
    }
  } catch (const std::runtime_error& e) {
    if (std::strstr(e.what(), file.filename().c_str()) == nullptr) __builtin_trap();
  }
  return 0;
}
