// Kubeconfig files as users write them (or break them): loaded the way `kubedouble get` loads
// --kubeconfig. A bad file is an access::Error naming the file; nothing else may escape.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "kubedouble/accesslib/config.h"
#include "kubedouble/accesslib/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::filesystem::path path =
      std::filesystem::temp_directory_path() /
      ("kubedouble-fuzz-kubeconfig-" + std::to_string(::getpid()) + ".yaml");
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  kubedouble::access::KubeconfigOptions o;
  o.explicit_path = path.string();
  o.env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "HOME") return "/nonexistent-kubedouble-home";
    return std::nullopt;
  };
  try {
    auto config = kubedouble::access::LoadKubeconfig(o);
    kubedouble::access::Validate(config);
  } catch (const kubedouble::access::Error&) {
  }
  return 0;
}
