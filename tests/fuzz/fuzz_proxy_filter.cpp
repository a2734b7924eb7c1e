// The proxy's request filter (kubectl proxy's --accept-paths, --reject-paths, --accept-hosts,
// --reject-methods): user-supplied patterns and hostile requests. Input: lines
// "method\npath\nhost\naccept-paths\nreject-paths\naccept-hosts\nreject-methods"; missing
// lines keep kubectl's defaults. A bad pattern is an access::Error; Accept() never throws.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "kubedouble/accesslib/error.h"
#include "kubedouble/accesslib/proxy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> f;
  std::istringstream in(text);
  for (std::string line; f.size() < 7 && std::getline(in, line);) f.push_back(line);
  f.resize(7, "");
  kubedouble::access::ProxyOptions o;
  if (!f[3].empty()) o.accept_paths = f[3];
  if (!f[4].empty()) o.reject_paths = f[4];
  if (!f[5].empty()) o.accept_hosts = f[5];
  if (!f[6].empty()) o.reject_methods = f[6];
  try {
    kubedouble::access::ProxyFilter filter(o);
    filter.Accept(f[0], f[1], f[2]);
  } catch (const kubedouble::access::Error&) {
  }
  return 0;
}
