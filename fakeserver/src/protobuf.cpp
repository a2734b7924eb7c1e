#include "protobuf.h"

#include <cstdint>
#include <string_view>
#include <vector>

namespace kubedouble::fake {

namespace {
using json = nlohmann::json;

struct Field {
  int number = 0;
  int wire_type = 0;
  uint64_t varint = 0;
  std::string_view bytes;
};

bool ReadVarint(std::string_view& in, uint64_t& out) {
  out = 0;
  for (int shift = 0; shift < 64 && !in.empty(); shift += 7) {
    auto b = static_cast<unsigned char>(in[0]);
    in.remove_prefix(1);
    out |= uint64_t(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

// Splits a message into fields; nullopt when malformed.
std::optional<std::vector<Field>> Parse(std::string_view in) {
  std::vector<Field> out;
  while (!in.empty()) {
    uint64_t key = 0;
    if (!ReadVarint(in, key)) return std::nullopt;
    Field f;
    f.number = static_cast<int>(key >> 3);
    f.wire_type = static_cast<int>(key & 7);
    switch (f.wire_type) {
      case 0:
        if (!ReadVarint(in, f.varint)) return std::nullopt;
        break;
      case 1:
        if (in.size() < 8) return std::nullopt;
        in.remove_prefix(8);
        break;
      case 2: {
        uint64_t len = 0;
        if (!ReadVarint(in, len) || len > in.size()) return std::nullopt;
        f.bytes = in.substr(0, len);
        in.remove_prefix(len);
        break;
      }
      case 5:
        if (in.size() < 4) return std::nullopt;
        in.remove_prefix(4);
        break;
      default:
        return std::nullopt;
    }
    out.push_back(f);
  }
  return out;
}

// A message of string fields, named by field number.
json Strings(std::string_view msg, const std::vector<std::pair<int, const char*>>& names) {
  json out = json::object();
  auto fields = Parse(msg);
  if (!fields) return out;
  for (const auto& f : *fields) {
    if (f.wire_type != 2) continue;
    for (const auto& [n, name] : names) {
      if (n == f.number) out[name] = std::string(f.bytes);
    }
  }
  return out;
}

json SelfSubjectAccessReviewSpec(std::string_view msg) {
  json spec = json::object();
  auto fields = Parse(msg);
  if (!fields) return spec;
  for (const auto& f : *fields) {
    if (f.wire_type != 2) continue;
    if (f.number == 1) {
      spec["resourceAttributes"] = Strings(f.bytes, {{1, "namespace"},
                                                     {2, "verb"},
                                                     {3, "group"},
                                                     {4, "version"},
                                                     {5, "resource"},
                                                     {6, "subresource"},
                                                     {7, "name"}});
    } else if (f.number == 2) {
      spec["nonResourceAttributes"] = Strings(f.bytes, {{1, "path"}, {2, "verb"}});
    }
  }
  return spec;
}

json TokenRequestSpec(std::string_view msg) {
  json spec = json::object();
  auto fields = Parse(msg);
  if (!fields) return spec;
  json audiences = json::array();
  for (const auto& f : *fields) {
    if (f.number == 1 && f.wire_type == 2) audiences.push_back(std::string(f.bytes));
    if (f.number == 4 && f.wire_type == 0)
      spec["expirationSeconds"] = static_cast<int64_t>(f.varint);
    if (f.number == 3 && f.wire_type == 2) {
      spec["boundObjectRef"] =
          Strings(f.bytes, {{1, "kind"}, {2, "apiVersion"}, {3, "name"}, {4, "uid"}});
    }
  }
  if (!audiences.empty()) spec["audiences"] = audiences;
  return spec;
}
}  // namespace

std::optional<json> DecodeProtobufBody(const std::string& body) {
  static constexpr std::string_view kMagic("k8s\0", 4);
  std::string_view in(body);
  if (in.substr(0, 4) != kMagic) return std::nullopt;
  auto unknown = Parse(in.substr(4));
  if (!unknown) return std::nullopt;
  std::string api_version, kind;
  std::string_view raw;
  for (const auto& f : *unknown) {
    if (f.number == 1 && f.wire_type == 2) {
      json tm = Strings(f.bytes, {{1, "apiVersion"}, {2, "kind"}});
      api_version = tm.value("apiVersion", "");
      kind = tm.value("kind", "");
    } else if (f.number == 2 && f.wire_type == 2) {
      raw = f.bytes;
    }
  }
  auto fields = Parse(raw);
  if (!fields) return std::nullopt;
  json out = {{"apiVersion", api_version}, {"kind", kind}};
  std::string_view spec;
  for (const auto& f : *fields) {
    if (f.number == 2 && f.wire_type == 2) spec = f.bytes;
  }
  if (kind == "SelfSubjectReview") return out;
  if (kind == "SelfSubjectAccessReview") {
    out["spec"] = SelfSubjectAccessReviewSpec(spec);
    return out;
  }
  if (kind == "SelfSubjectRulesReview") {
    out["spec"] = Strings(spec, {{1, "namespace"}});
    return out;
  }
  if (kind == "TokenRequest") {
    out["spec"] = TokenRequestSpec(spec);
    return out;
  }
  return std::nullopt;
}

}  // namespace kubedouble::fake
