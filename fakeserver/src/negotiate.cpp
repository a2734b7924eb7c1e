#include "negotiate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <string_view>
#include <vector>

#include "kubedouble/base/strings.h"
#include "kubedouble/fakeserver/store.h"
#include "util.h"

namespace kubedouble::fake {

namespace {
struct MediaRange {
  std::string type;     // "application"
  std::string subtype;  // "json"
  double q = 1;
  std::map<std::string, std::string> params;  // without q
  std::string Full() const { return type + "/" + subtype; }
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

// Accept as goautoneg reads it: ranges without a "/" (other than "*") are dropped, q is a
// parameter of its own, and the ranges are sorted by q, then wildcards last.
std::vector<MediaRange> ParseAccept(std::string_view accept) {
  std::vector<MediaRange> out;
  if (accept.empty()) return out;  // most requests
  Split(accept, ',', [&](std::string_view range) {
    MediaRange m;
    bool first = true;
    bool valid = true;
    Split(range, ';', [&](std::string_view piece) {
      if (first) {
        first = false;
        std::string full = base::Trim(piece);
        if (full == "*") full = "*/*";
        size_t slash = full.find('/');
        if (slash == std::string::npos) {
          valid = false;
          return;
        }
        m.type = full.substr(0, slash);
        m.subtype = full.substr(slash + 1);
        return;
      }
      auto eq = piece.find('=');
      if (eq == std::string_view::npos) return;
      std::string key = base::Trim(piece.substr(0, eq));
      std::string value = base::Trim(piece.substr(eq + 1));
      if (key == "q") {
        m.q = std::strtod(value.c_str(), nullptr);
      } else {
        m.params[key] = value;
      }
    });
    if (valid && !m.type.empty()) out.push_back(std::move(m));
  });
  std::stable_sort(out.begin(), out.end(), [](const MediaRange& a, const MediaRange& b) {
    if (a.q != b.q) return a.q > b.q;
    if ((a.type != "*") != (b.type != "*")) return a.type != "*";
    return (a.subtype != "*") && (b.subtype == "*");
  });
  return out;
}

std::string Param(const MediaRange& m, const std::string& key) {
  auto it = m.params.find(key);
  return it == m.params.end() ? "" : it->second;
}

bool IsJsonish(const MediaRange& m) {
  return (m.type == "application" && (m.subtype == "json" || m.subtype == "*")) ||
         (m.type == "*" && m.subtype == "*");
}

// Go's strconv.ParseBool; anything else is false.
bool GoBool(std::string_view s) {
  return s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "true" || s == "True";
}

bool PrettyByRequest(const NegotiationInput& in) {
  if (in.pretty_param != nullptr && !in.pretty_param->empty()) return GoBool(*in.pretty_param);
  return in.user_agent.starts_with("curl") || in.user_agent.starts_with("Wget") ||
         in.user_agent.starts_with("Mozilla/5.0");
}

// The server's serializers, in kube-apiserver's order.
constexpr Encoding kEncodings[] = {Encoding::kJson, Encoding::kYaml, Encoding::kProtobuf};

const char* SubtypeOf(Encoding e) {
  switch (e) {
    case Encoding::kJson:
      return "json";
    case Encoding::kYaml:
      return "yaml";
    case Encoding::kProtobuf:
      return "vnd.kubernetes.protobuf";
  }
  return "json";
}

bool Streams(Encoding e) { return e != Encoding::kYaml; }

// The range's parameters as the endpoint allows them for encoding `e`; false: skip the pairing.
bool AcceptOptions(const MediaRange& m, Encoding e, const Endpoint& endpoint, OutputFormat& out) {
  OutputFormat f;
  f.encoding = e;
  const std::string as = Param(m, "as"), g = Param(m, "g"), v = Param(m, "v");
  const bool convert = m.params.count("as") || m.params.count("g") || m.params.count("v");
  if (auto s = m.params.find("stream"); s != m.params.end() && !s->second.empty()) {
    if (!Streams(e) || s->second != "watch") return false;
  }
  if (auto sv = m.params.find("sv"); sv != m.params.end() && !sv->second.empty()) {
    return false;  // a server version the resource endpoints do not offer
  }
  f.pretty = Param(m, "pretty") == "1";
  if (!convert) {
    // The object itself: a custom resource has no protobuf form.
    if (endpoint.custom_resource && e == Encoding::kProtobuf) return false;
  } else {
    if (!endpoint.transforms || g != "meta.k8s.io" || (v != "v1" && v != "v1beta1")) return false;
    f.meta_version = v;
    if (as == "Table") {
      if (e == Encoding::kProtobuf) return false;  // Tables are JSON or YAML only
      f.transform = Transform::kTable;
    } else if (as == "PartialObjectMetadata") {
      f.transform = Transform::kPartialObjectMetadata;
    } else if (as == "PartialObjectMetadataList") {
      f.transform = Transform::kPartialObjectMetadataList;
    } else {
      return false;
    }
  }
  out = f;
  return true;
}

std::optional<OutputFormat> Pick(const std::vector<MediaRange>& ranges, const Endpoint& endpoint) {
  if (ranges.empty()) return OutputFormat{};
  for (const MediaRange& m : ranges) {
    for (Encoding e : kEncodings) {
      const bool matches =
          (m.type == "application" && (m.subtype == SubtypeOf(e) || m.subtype == "*")) ||
          (m.type == "*" && m.subtype == "*");
      if (!matches) continue;
      OutputFormat f;
      if (AcceptOptions(m, e, endpoint, f)) return f;
    }
  }
  return std::nullopt;
}

StatusError NotAcceptable(bool watch) {
  const std::string accepted =
      watch ? fmt::format("{};stream=watch, {};stream=watch", kMediaJson, kMediaProtobuf)
            : fmt::format("{}, {}, {}", kMediaJson, kMediaYaml, kMediaProtobuf);
  return StatusError(406, "NotAcceptable",
                     "only the following media types are accepted: " + accepted);
}
}  // namespace

const char* OutputFormat::ContentType() const {
  switch (encoding) {
    case Encoding::kJson:
      return kMediaJson;
    case Encoding::kYaml:
      return kMediaYaml;
    case Encoding::kProtobuf:
      return watch ? kMediaProtobufWatch : kMediaProtobuf;
  }
  return kMediaJson;
}

OutputFormat NegotiateOutput(const NegotiationInput& in, const Endpoint& endpoint) {
  auto picked = Pick(ParseAccept(in.accept), endpoint);
  if (!picked) throw NotAcceptable(endpoint.watch);
  if (endpoint.watch) {
    if (!Streams(picked->encoding)) throw NotAcceptable(true);
    picked->watch = true;
    picked->pretty = false;  // watch events are never indented
    return *picked;
  }
  if (PrettyByRequest(in)) picked->pretty = true;
  return *picked;
}

OutputFormat NegotiateErrorOutput(const NegotiationInput& in) {
  auto picked = Pick(ParseAccept(in.accept), Endpoint{});
  OutputFormat f = picked.value_or(OutputFormat{});
  if (PrettyByRequest(in)) f.pretty = true;
  return f;
}

Encoding NegotiateInput(std::string_view content_type) {
  std::string type = base::Trim(content_type.substr(0, content_type.find(';')));
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (type.empty() && base::Trim(content_type).empty()) return Encoding::kJson;
  if (type == kMediaJson) return Encoding::kJson;
  if (type == kMediaYaml) return Encoding::kYaml;
  if (type == kMediaProtobuf) return Encoding::kProtobuf;
  throw StatusError::UnsupportedMediaType(
      fmt::format("the body of the request was in an unknown format - accepted media types "
                  "include: {}, {}, {}",
                  kMediaJson, kMediaYaml, kMediaProtobuf));
}

DiscoveryFormat NegotiateDiscovery(const std::string& accept) {
  for (const auto& m : ParseAccept(accept)) {
    if (!IsJsonish(m)) continue;
    std::string as = Param(m, "as");
    if (as.empty()) return DiscoveryFormat::kLegacy;
    if (as == "APIGroupDiscoveryList" && Param(m, "g") == "apidiscovery.k8s.io") {
      if (Param(m, "v") == "v2") return DiscoveryFormat::kAggregatedV2;
      if (Param(m, "v") == "v2beta1") return DiscoveryFormat::kAggregatedV2Beta1;
    }
  }
  return DiscoveryFormat::kLegacy;
}

bool AcceptsJson(const std::string& accept) {
  auto ranges = ParseAccept(accept);
  if (ranges.empty()) return true;
  return std::any_of(ranges.begin(), ranges.end(), IsJsonish);
}

std::string NegotiateOpenApiV2(const std::string& accept) {
  auto ranges = ParseAccept(accept);
  if (ranges.empty()) return "application/json";
  for (const auto& m : ranges) {
    if (IsJsonish(m)) return "application/json";
    if (m.Full() == kOpenApiV2Protobuf || m.Full() == kOpenApiV2ProtobufDeprecated) {
      return kOpenApiV2Protobuf;
    }
  }
  return "";
}

}  // namespace kubedouble::fake
