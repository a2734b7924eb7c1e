#include "negotiate.h"

#include <map>
#include <sstream>
#include <vector>

#include "util.h"

namespace kubedouble::fake {

namespace {
struct MediaRange {
  std::string type;  // "application/json"
  std::map<std::string, std::string> params;
};

std::vector<MediaRange> ParseAccept(const std::string& accept) {
  std::vector<MediaRange> out;
  std::istringstream in(accept);
  std::string range;
  while (std::getline(in, range, ',')) {
    std::istringstream parts(range);
    std::string piece;
    MediaRange m;
    bool first = true;
    while (std::getline(parts, piece, ';')) {
      piece = util::Trim(piece);
      if (first) {
        m.type = piece;
        first = false;
        continue;
      }
      auto eq = piece.find('=');
      if (eq == std::string::npos) continue;
      m.params[util::Trim(piece.substr(0, eq))] = util::Trim(piece.substr(eq + 1));
    }
    if (!m.type.empty()) out.push_back(std::move(m));
  }
  return out;
}

bool IsJsonish(const std::string& type) {
  return type == "application/json" || type == "*/*" || type == "application/*";
}

std::string Param(const MediaRange& m, const std::string& key) {
  auto it = m.params.find(key);
  return it == m.params.end() ? "" : it->second;
}
}  // namespace

DiscoveryFormat NegotiateDiscovery(const std::string& accept) {
  for (const auto& m : ParseAccept(accept)) {
    if (!IsJsonish(m.type)) continue;
    std::string as = Param(m, "as");
    if (as.empty()) return DiscoveryFormat::kLegacy;
    if (as == "APIGroupDiscoveryList" && Param(m, "g") == "apidiscovery.k8s.io") {
      if (Param(m, "v") == "v2") return DiscoveryFormat::kAggregatedV2;
      if (Param(m, "v") == "v2beta1") return DiscoveryFormat::kAggregatedV2Beta1;
    }
  }
  return DiscoveryFormat::kLegacy;
}

bool WantsTable(const std::string& accept) {
  for (const auto& m : ParseAccept(accept)) {
    if (!IsJsonish(m.type)) continue;
    std::string as = Param(m, "as");
    if (as.empty()) return false;
    if (as == "Table" && Param(m, "g") == "meta.k8s.io" &&
        (Param(m, "v") == "v1" || Param(m, "v") == "v1beta1")) {
      return true;
    }
  }
  return false;
}

}  // namespace kubedouble::fake
