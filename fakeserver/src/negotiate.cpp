#include "negotiate.h"

#include <algorithm>
#include <map>
#include <string_view>
#include <vector>

#include "util.h"

namespace kubedouble::fake {

namespace {
struct MediaRange {
  std::string type;  // "application/json"
  std::map<std::string, std::string> params;
};

// Calls fn with each piece of `s` between separators (string views into s).
template <typename Fn>
void Split(std::string_view s, char sep, Fn fn) {
  while (true) {
    size_t at = s.find(sep);
    fn(s.substr(0, at));
    if (at == std::string_view::npos) return;
    s.remove_prefix(at + 1);
  }
}

std::vector<MediaRange> ParseAccept(std::string_view accept) {
  std::vector<MediaRange> out;
  if (accept.empty()) return out;  // most requests (no stream set-up for them)
  Split(accept, ',', [&](std::string_view range) {
    MediaRange m;
    bool first = true;
    Split(range, ';', [&](std::string_view piece) {
      if (first) {
        m.type = util::Trim(piece);
        first = false;
        return;
      }
      auto eq = piece.find('=');
      if (eq == std::string_view::npos) return;
      m.params[util::Trim(piece.substr(0, eq))] = util::Trim(piece.substr(eq + 1));
    });
    if (!m.type.empty()) out.push_back(std::move(m));
  });
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

bool AcceptsJson(const std::string& accept) {
  auto ranges = ParseAccept(accept);
  if (ranges.empty()) return true;
  return std::any_of(ranges.begin(), ranges.end(),
                     [](const MediaRange& m) { return IsJsonish(m.type); });
}

std::string NegotiateOpenApiV2(const std::string& accept) {
  auto ranges = ParseAccept(accept);
  if (ranges.empty()) return "application/json";
  for (const auto& m : ranges) {
    if (IsJsonish(m.type)) return "application/json";
    if (m.type == kOpenApiV2Protobuf || m.type == kOpenApiV2ProtobufDeprecated) {
      return kOpenApiV2Protobuf;
    }
  }
  return "";
}

}  // namespace kubedouble::fake
