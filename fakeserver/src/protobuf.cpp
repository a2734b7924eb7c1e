#include "protobuf.h"

#include <fmt/format.h>
#include <kubedouble/base/utf8.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <functional>
#include <stdexcept>

#include "kubedouble/fakeserver/store.h"
#include "kubedouble/schema/protobuf.h"
#include "util.h"

namespace kubedouble::fake {

namespace {
using json = nlohmann::json;

// A malformed body: what is wrong, and where (the JSON path of the field being decoded).
struct Malformed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Field {
  int number = 0;
  int wire_type = 0;
  uint64_t varint = 0;
  std::string_view bytes;
};

const char* WireTypeName(int t) {
  switch (t) {
    case 0:
      return "varint";
    case 1:
      return "64-bit";
    case 2:
      return "length-delimited";
    case 5:
      return "32-bit";
    default:
      return "unknown";
  }
}

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

// Splits the message at `path` into its fields.
std::vector<Field> Parse(std::string_view msg, const std::string& path) {
  std::vector<Field> out;
  const size_t size = msg.size();
  std::string_view in = msg;
  while (!in.empty()) {
    const size_t at = size - in.size();
    uint64_t key = 0;
    if (!ReadVarint(in, key)) {
      throw Malformed(fmt::format("{}: truncated field key at byte {}", path, at));
    }
    Field f;
    f.number = static_cast<int>(std::min<uint64_t>(key >> 3, INT32_MAX));
    f.wire_type = static_cast<int>(key & 7);
    if (f.number == 0) throw Malformed(fmt::format("{}: field number 0 at byte {}", path, at));
    switch (f.wire_type) {
      case 0:
        if (!ReadVarint(in, f.varint)) {
          throw Malformed(
              fmt::format("{}: truncated varint of field {} at byte {}", path, f.number, at));
        }
        break;
      case 1:
      case 5: {
        size_t n = f.wire_type == 1 ? 8 : 4;
        if (in.size() < n) {
          throw Malformed(fmt::format("{}: truncated {} field {} at byte {}", path,
                                      WireTypeName(f.wire_type), f.number, at));
        }
        for (size_t i = 0; i < n; ++i) {  // little-endian
          f.varint |= uint64_t(static_cast<unsigned char>(in[i])) << (8 * i);
        }
        in.remove_prefix(n);
        break;
      }
      case 2: {
        uint64_t len = 0;
        if (!ReadVarint(in, len)) {
          throw Malformed(
              fmt::format("{}: truncated length of field {} at byte {}", path, f.number, at));
        }
        if (len > in.size()) {
          throw Malformed(
              fmt::format("{}: field {} at byte {} is {} bytes long, but only {} bytes follow",
                          path, f.number, at, len, in.size()));
        }
        f.bytes = in.substr(0, len);
        in.remove_prefix(len);
        break;
      }
      default:
        throw Malformed(
            fmt::format("{}: field {} at byte {} has wire type {}, which is not "
                        "supported",
                        path, f.number, at, f.wire_type));
    }
    out.push_back(f);
  }
  return out;
}

std::string Join(const std::string& path, const char* name) {
  return path.empty() ? name : path + "." + name;
}

void Expect(const Field& f, int wire_type, const std::string& path) {
  if (f.wire_type != wire_type) {
    throw Malformed(fmt::format("{}: wire type {} ({}), expected {}", path, f.wire_type,
                                WireTypeName(f.wire_type), WireTypeName(wire_type)));
  }
}

std::string String(const Field& f, const std::string& path) {
  Expect(f, 2, path);
  return base::ToValidUtf8(f.bytes);
}
int64_t Int64(const Field& f, const std::string& path) {
  Expect(f, 0, path);
  return static_cast<int64_t>(f.varint);
}
int32_t Int32(const Field& f, const std::string& path) {
  Expect(f, 0, path);
  return static_cast<int32_t>(static_cast<uint32_t>(f.varint));
}
bool Bool(const Field& f, const std::string& path) {
  Expect(f, 0, path);
  return f.varint != 0;
}

// Each field of the message at `path`, given to `on` with the field's JSON path when its number
// is in `names`; other numbers are skipped, as protobuf decoders skip unknown fields.
using Names = std::vector<std::pair<int, const char*>>;
void Visit(std::string_view msg, const std::string& path, const Names& names,
           const std::function<void(const char* name, const Field&, const std::string&)>& on) {
  for (const Field& f : Parse(msg, path)) {
    for (const auto& [n, name] : names) {
      if (n == f.number) on(name, f, Join(path, name));
    }
  }
}

// Omitted when empty, as `json:",omitempty"` strings are.
void SetString(json& out, const char* name, const Field& f, const std::string& path) {
  std::string s = String(f, path);
  if (s.empty()) {
    out.erase(name);
  } else {
    out[name] = std::move(s);
  }
}

// A message of string fields only.
json Strings(std::string_view msg, const std::string& path, const Names& names) {
  json out = json::object();
  Visit(msg, path, names, [&](const char* name, const Field& f, const std::string& p) {
    SetString(out, name, f, p);
  });
  return out;
}

// A map<string, string> (bytes_values: map<string, bytes>, written as base64) entry, added to
// `out`.
void MapEntry(json& out, const Field& f, const std::string& path, bool bytes_values) {
  Expect(f, 2, path);
  std::string key, value;
  for (const Field& e : Parse(f.bytes, path)) {
    if (e.number == 1) key = String(e, path + " key");
    if (e.number == 2) {
      Expect(e, 2, path + "[" + key + "]");
      value = bytes_values ? util::Base64(e.bytes) : base::ToValidUtf8(e.bytes);
    }
  }
  if (!out.is_object()) out = json::object();
  out[key] = std::move(value);
}

// metav1.Time {seconds=1, nanos=2} as RFC 3339 (seconds precision, as metav1.Time is written);
// null for the zero time.
json Time(const Field& f, const std::string& path) {
  Expect(f, 2, path);
  int64_t seconds = 0;
  for (const Field& t : Parse(f.bytes, path)) {
    if (t.number == 1) seconds = Int64(t, path + ".seconds");
    if (t.number == 2) Int32(t, path + ".nanos");
  }
  if (f.bytes.empty()) return nullptr;
  // 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z, the range protobuf Timestamps allow.
  if (seconds < -62135596800LL || seconds > 253402300799LL) {
    throw Malformed(
        fmt::format("{}: {} seconds is outside 0001-01-01 to 9999-12-31", path, seconds));
  }
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

json OwnerReference(std::string_view msg, const std::string& path) {
  json out = json::object();
  Visit(msg, path,
        {{5, "apiVersion"},
         {1, "kind"},
         {3, "name"},
         {4, "uid"},
         {6, "controller"},
         {7, "blockOwnerDeletion"}},
        [&](const char* name, const Field& f, const std::string& p) {
          if (f.number == 6 || f.number == 7) {
            out[name] = Bool(f, p);  // *bool: kept when sent
          } else {
            SetString(out, name, f, p);
          }
        });
  return out;
}

json ManagedFieldsEntry(std::string_view msg, const std::string& path) {
  json out = json::object();
  Visit(msg, path,
        {{1, "manager"},
         {2, "operation"},
         {3, "apiVersion"},
         {4, "time"},
         {6, "fieldsType"},
         {7, "fieldsV1"},
         {8, "subresource"}},
        [&](const char* name, const Field& f, const std::string& p) {
          if (f.number == 4) {
            json t = Time(f, p);
            if (!t.is_null()) out[name] = t;
          } else if (f.number == 7) {
            Expect(f, 2, p);
            std::string raw;
            for (const Field& r : Parse(f.bytes, p)) {
              if (r.number == 1) raw = std::string(String(r, p + ".Raw"));
            }
            json v = json::parse(raw.empty() ? "{}" : raw, nullptr, false);
            if (v.is_discarded()) throw Malformed(p + ": not JSON");
            out[name] = std::move(v);
          } else {
            SetString(out, name, f, p);
          }
        });
  return out;
}

json ObjectMeta(std::string_view msg, const std::string& path) {
  json out = json::object();
  Visit(msg, path,
        {{1, "name"},
         {2, "generateName"},
         {3, "namespace"},
         {4, "selfLink"},
         {5, "uid"},
         {6, "resourceVersion"},
         {7, "generation"},
         {8, "creationTimestamp"},
         {9, "deletionTimestamp"},
         {10, "deletionGracePeriodSeconds"},
         {11, "labels"},
         {12, "annotations"},
         {13, "ownerReferences"},
         {14, "finalizers"},
         {17, "managedFields"}},
        [&](const char* name, const Field& f, const std::string& p) {
          switch (f.number) {
            case 7: {
              int64_t g = Int64(f, p);
              if (g != 0) out[name] = g;  // omitempty
              break;
            }
            case 8:
            case 9: {
              json t = Time(f, p);
              if (!t.is_null()) out[name] = t;
              break;
            }
            case 10:
              out[name] = Int64(f, p);  // *int64
              break;
            case 11:
            case 12:
              MapEntry(out[name], f, p, false);
              break;
            case 13:
              Expect(f, 2, p);
              out[name].push_back(OwnerReference(f.bytes, p));
              break;
            case 14:
              out[name].push_back(String(f, p));
              break;
            case 17:
              Expect(f, 2, p);
              out[name].push_back(ManagedFieldsEntry(f.bytes, p));
              break;
            default:
              SetString(out, name, f, p);
          }
        });
  return out;
}

// The decoders of the object messages (the raw bytes of runtime.Unknown), by kind. Each fills
// `out`, which already has apiVersion and kind.
using KindDecoder = void (*)(std::string_view raw, json& out);

// `metadata` (field 1 of every object) into out["metadata"], merged as protobuf merges
// repeated occurrences of a message field.
void Metadata(const Field& f, json& out) {
  Expect(f, 2, "metadata");
  out["metadata"].update(ObjectMeta(f.bytes, "metadata"), true);
}

void ConfigMap(std::string_view raw, json& out) {
  Visit(raw, "", {{1, "metadata"}, {2, "data"}, {3, "binaryData"}, {4, "immutable"}},
        [&](const char* name, const Field& f, const std::string& p) {
          if (f.number == 1) return Metadata(f, out);
          if (f.number == 4) {
            out[name] = Bool(f, p);
            return;
          }
          MapEntry(out[name], f, p, f.number == 3);
        });
}

void Secret(std::string_view raw, json& out) {
  Visit(raw, "", {{1, "metadata"}, {2, "data"}, {3, "type"}, {4, "stringData"}, {5, "immutable"}},
        [&](const char* name, const Field& f, const std::string& p) {
          if (f.number == 1) return Metadata(f, out);
          if (f.number == 3) return SetString(out, name, f, p);
          if (f.number == 5) {
            out[name] = Bool(f, p);
            return;
          }
          MapEntry(out[name], f, p, f.number == 2);
        });
}

json NamespaceCondition(std::string_view msg, const std::string& path) {
  json out = json::object();
  Visit(msg, path,
        {{1, "type"}, {2, "status"}, {4, "lastTransitionTime"}, {5, "reason"}, {6, "message"}},
        [&](const char* name, const Field& f, const std::string& p) {
          if (f.number == 4) {
            json t = Time(f, p);
            if (!t.is_null()) out[name] = t;
          } else {
            SetString(out, name, f, p);
          }
        });
  return out;
}

void Namespace(std::string_view raw, json& out) {
  json spec = json::object(), status = json::object();
  Visit(raw, "", {{1, "metadata"}, {2, "spec"}, {3, "status"}},
        [&](const char*, const Field& f, const std::string& p) {
          if (f.number == 1) return Metadata(f, out);
          Expect(f, 2, p);
          if (f.number == 2) {
            Visit(f.bytes, p, {{1, "finalizers"}},
                  [&](const char* name, const Field& g, const std::string& q) {
                    spec[name].push_back(String(g, q));
                  });
          } else {
            Visit(f.bytes, p, {{1, "phase"}, {2, "conditions"}},
                  [&](const char* name, const Field& g, const std::string& q) {
                    if (g.number == 1) return SetString(status, name, g, q);
                    Expect(g, 2, q);
                    status[name].push_back(NamespaceCondition(g.bytes, q));
                  });
          }
        });
  // kubectl sends an empty spec and status; the API server fills both (finalizers
  // ["kubernetes"], phase Active), which the store does for a namespace without them.
  if (!spec.empty()) out["spec"] = std::move(spec);
  if (!status.empty()) out["status"] = std::move(status);
}

void ServiceAccount(std::string_view raw, json& out) {
  Visit(raw, "",
        {{1, "metadata"},
         {2, "secrets"},
         {3, "imagePullSecrets"},
         {4, "automountServiceAccountToken"}},
        [&](const char* name, const Field& f, const std::string& p) {
          if (f.number == 1) return Metadata(f, out);
          if (f.number == 4) {
            out[name] = Bool(f, p);
            return;
          }
          Expect(f, 2, p);
          if (f.number == 2) {
            out[name].push_back(Strings(f.bytes, p,
                                        {{1, "kind"},
                                         {2, "namespace"},
                                         {3, "name"},
                                         {4, "uid"},
                                         {5, "apiVersion"},
                                         {6, "resourceVersion"},
                                         {7, "fieldPath"}}));
          } else {
            out[name].push_back(Strings(f.bytes, p, {{1, "name"}}));
          }
        });
}

// intstr.IntOrString {type=1 (0 int, 1 string), intVal=2, strVal=3}; null when zero.
json IntOrString(const Field& f, const std::string& path) {
  Expect(f, 2, path);
  int64_t type = 0;
  int32_t int_val = 0;
  std::string str_val;
  for (const Field& g : Parse(f.bytes, path)) {
    if (g.number == 1) type = Int64(g, path + ".type");
    if (g.number == 2) int_val = Int32(g, path + ".intVal");
    if (g.number == 3) str_val = String(g, path + ".strVal");
  }
  if (type == 1) return str_val.empty() ? json(nullptr) : json(str_val);
  return int_val == 0 ? json(nullptr) : json(int_val);
}

json ServicePort(std::string_view msg, const std::string& path) {
  json out = json::object();
  Visit(msg, path,
        {{1, "name"},
         {2, "protocol"},
         {3, "port"},
         {4, "targetPort"},
         {5, "nodePort"},
         {6, "appProtocol"}},
        [&](const char* name, const Field& f, const std::string& p) {
          if (f.number == 3) {
            out[name] = Int32(f, p);  // `json:"port"`, no omitempty
          } else if (f.number == 4) {
            json v = IntOrString(f, p);
            if (!v.is_null()) out[name] = v;
          } else if (f.number == 5) {
            int32_t v = Int32(f, p);
            if (v != 0) out[name] = v;
          } else {
            SetString(out, name, f, p);
          }
        });
  if (!out.contains("port")) out["port"] = 0;
  return out;
}

void Service(std::string_view raw, json& out) {
  Visit(raw, "", {{1, "metadata"}, {2, "spec"}},
        [&](const char*, const Field& f, const std::string& p) {
          if (f.number == 1) return Metadata(f, out);
          Expect(f, 2, p);
          json& spec = out["spec"];
          if (!spec.is_object()) spec = json::object();
          Visit(f.bytes, p,
                {{1, "ports"},
                 {2, "selector"},
                 {3, "clusterIP"},
                 {18, "clusterIPs"},
                 {4, "type"},
                 {5, "externalIPs"},
                 {7, "sessionAffinity"},
                 {8, "loadBalancerIP"},
                 {9, "loadBalancerSourceRanges"},
                 {10, "externalName"},
                 {11, "externalTrafficPolicy"},
                 {12, "healthCheckNodePort"},
                 {13, "publishNotReadyAddresses"},
                 {19, "ipFamilies"},
                 {17, "ipFamilyPolicy"},
                 {20, "allocateLoadBalancerNodePorts"},
                 {21, "loadBalancerClass"}},
                [&](const char* name, const Field& g, const std::string& q) {
                  switch (g.number) {
                    case 1:
                      Expect(g, 2, q);
                      spec[name].push_back(ServicePort(g.bytes, q));
                      break;
                    case 2:
                      MapEntry(spec[name], g, q, false);
                      break;
                    case 5:
                    case 9:
                    case 18:
                    case 19:
                      spec[name].push_back(String(g, q));
                      break;
                    case 12:
                      if (int32_t v = Int32(g, q); v != 0) spec[name] = v;
                      break;
                    case 13:
                      if (Bool(g, q)) spec[name] = true;  // bool, omitempty
                      break;
                    case 20:
                      spec[name] = Bool(g, q);  // *bool
                      break;
                    default:
                      SetString(spec, name, g, q);
                  }
                });
        });
  // status (field 3) is the server's to fill.
}

void DeleteOptions(std::string_view raw, json& out) {
  Visit(raw, "",
        {{1, "gracePeriodSeconds"},
         {2, "preconditions"},
         {3, "orphanDependents"},
         {4, "propagationPolicy"},
         {5, "dryRun"}},
        [&](const char* name, const Field& f, const std::string& p) {
          switch (f.number) {
            case 1:
              out[name] = Int64(f, p);
              break;
            case 2:
              Expect(f, 2, p);
              out[name] = Strings(f.bytes, p, {{1, "uid"}, {2, "resourceVersion"}});
              break;
            case 3:
              out[name] = Bool(f, p);
              break;
            case 4:
              SetString(out, name, f, p);
              break;
            default:
              out[name].push_back(String(f, p));
          }
        });
}

// The review kinds: metadata=1, spec=2 (status=3 is the server's).
void ReviewSpec(std::string_view raw, json& out,
                const std::function<json(std::string_view, const std::string&)>& spec) {
  Visit(raw, "", {{1, "metadata"}, {2, "spec"}},
        [&](const char*, const Field& f, const std::string& p) {
          if (f.number == 1) return Metadata(f, out);
          Expect(f, 2, p);
          out["spec"] = spec(f.bytes, p);
        });
}

json SelfSubjectAccessReviewSpec(std::string_view msg, const std::string& path) {
  json spec = json::object();
  Visit(msg, path, {{1, "resourceAttributes"}, {2, "nonResourceAttributes"}},
        [&](const char* name, const Field& f, const std::string& p) {
          Expect(f, 2, p);
          if (f.number == 1) {
            spec[name] = Strings(f.bytes, p,
                                 {{1, "namespace"},
                                  {2, "verb"},
                                  {3, "group"},
                                  {4, "version"},
                                  {5, "resource"},
                                  {6, "subresource"},
                                  {7, "name"}});
          } else {
            spec[name] = Strings(f.bytes, p, {{1, "path"}, {2, "verb"}});
          }
        });
  return spec;
}

json TokenRequestSpec(std::string_view msg, const std::string& path) {
  json spec = json::object();
  Visit(msg, path, {{1, "audiences"}, {3, "boundObjectRef"}, {4, "expirationSeconds"}},
        [&](const char* name, const Field& f, const std::string& p) {
          if (f.number == 1) {
            spec[name].push_back(String(f, p));
          } else if (f.number == 4) {
            spec[name] = Int64(f, p);  // *int64
          } else {
            Expect(f, 2, p);
            spec[name] =
                Strings(f.bytes, p, {{1, "kind"}, {2, "apiVersion"}, {3, "name"}, {4, "uid"}});
          }
        });
  return spec;
}

struct Kind {
  const char* group;  // the API group of apiVersion; "*" for any (DeleteOptions)
  const char* kind;
  std::function<void(std::string_view, json&)> decode;
};

const std::vector<Kind>& Kinds() {
  static const std::vector<Kind> kinds = {
      {"", "ConfigMap", ConfigMap},
      {"", "Secret", Secret},
      {"", "Namespace", Namespace},
      {"", "ServiceAccount", ServiceAccount},
      {"", "Service", Service},
      {"*", "DeleteOptions", DeleteOptions},
      {"authentication.k8s.io", "SelfSubjectReview",
       [](std::string_view raw, json& out) {
         ReviewSpec(raw, out, [](std::string_view, const std::string&) { return json::object(); });
         out.erase("spec");
       }},
      {"authorization.k8s.io", "SelfSubjectAccessReview",
       [](std::string_view raw, json& out) {
         ReviewSpec(raw, out, SelfSubjectAccessReviewSpec);
         if (!out.contains("spec")) out["spec"] = json::object();
       }},
      {"authorization.k8s.io", "SelfSubjectRulesReview",
       [](std::string_view raw, json& out) {
         ReviewSpec(raw, out, [](std::string_view msg, const std::string& p) {
           return Strings(msg, p, {{1, "namespace"}});
         });
         if (!out.contains("spec")) out["spec"] = json::object();
       }},
      {"authentication.k8s.io", "TokenRequest",
       [](std::string_view raw, json& out) {
         ReviewSpec(raw, out, TokenRequestSpec);
         if (!out.contains("spec")) out["spec"] = json::object();
       }},
  };
  return kinds;
}

// ---- Every other served kind: decoded from the schema's message tables (schema/protobuf.h).

json DecodeMessage(const schema::ProtoMessage& m, std::string_view bytes, const std::string& path);

const schema::ProtoMessage& MessageAt(int16_t index) {
  return schema::ProtoMessages()[static_cast<size_t>(index)];
}

// Go's time.Duration.String: "1h2m3.5s", "1.5ms", "0s".
std::string GoDuration(int64_t ns) {
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  uint64_t u = ns < 0 ? uint64_t(0) - uint64_t(ns) : uint64_t(ns);
  auto fraction = [](uint64_t v, int digits) {  // v / 10^digits, trailing zeros dropped
    uint64_t scale = 1;
    for (int i = 0; i < digits; ++i) scale *= 10;
    std::string out = std::to_string(v / scale);
    uint64_t rest = v % scale;
    if (rest == 0) return out;
    std::string frac = fmt::format("{:0{}}", rest, digits);
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    return out + "." + frac;
  };
  if (u < 1000) return sign + std::to_string(u) + "ns";
  if (u < 1000000) return sign + fraction(u, 3) + "\u00b5s";
  if (u < 1000000000) return sign + fraction(u, 6) + "ms";
  uint64_t secs = u / 1000000000, h = secs / 3600, m = (secs / 60) % 60;
  std::string out = sign;
  if (h > 0) out += std::to_string(h) + "h";
  if (h > 0 || m > 0) out += std::to_string(m) + "m";
  return out + fraction(u % 60000000000ULL, 9) + "s";
}

// metav1.MicroTime: as Time, with 6 fractional digits.
json MicroTime(const Field& f, const std::string& path) {
  json whole = Time(f, path);
  if (whole.is_null()) return nullptr;
  int32_t nanos = 0;
  for (const Field& t : Parse(f.bytes, path)) {
    if (t.number == 2) nanos = Int32(t, path + ".nanos");
  }
  const std::string& s = whole.get_ref<const std::string&>();
  return s.substr(0, s.size() - 1) + fmt::format(".{:06}Z", std::max(nanos, 0) / 1000);
}

// The JSON form of a message that is not written as an object.
json Special(const schema::ProtoMessage& m, const Field& f, const std::string& path) {
  using schema::JsonForm;
  Expect(f, 2, path);
  switch (m.form) {
    case JsonForm::kTime:
      return Time(f, path);
    case JsonForm::kMicroTime:
      return MicroTime(f, path);
    case JsonForm::kDuration: {
      int64_t ns = 0;
      for (const Field& g : Parse(f.bytes, path)) {
        if (g.number == 1) ns = Int64(g, path + ".duration");
      }
      return GoDuration(ns);
    }
    case JsonForm::kQuantity: {
      std::string q;
      for (const Field& g : Parse(f.bytes, path)) {
        if (g.number == 1) q = String(g, path);
      }
      return q;
    }
    case JsonForm::kIntOrString:
      return IntOrString(f, path);
    case JsonForm::kRawJson: {
      std::string raw;
      for (const Field& g : Parse(f.bytes, path)) {
        if (g.number == 1) {
          Expect(g, 2, path);
          raw = std::string(g.bytes);
        }
      }
      if (raw.empty()) return nullptr;
      json v = json::parse(raw, nullptr, false);
      if (v.is_discarded()) throw Malformed(path + ": the embedded object is not JSON");
      return v;
    }
    case JsonForm::kStringArray: {
      json out = json::array();
      for (const Field& g : Parse(f.bytes, path)) {
        if (g.number == 1) out.push_back(String(g, path));
      }
      return out;
    }
    case JsonForm::kSchemaOrArray:
    case JsonForm::kSchemaOrBool:
    case JsonForm::kSchemaOrStringArray: {
      json schema, list = json::array();
      bool allows = false;
      const int schema_field = m.form == JsonForm::kSchemaOrBool ? 2 : 1;
      for (const Field& g : Parse(f.bytes, path)) {
        const schema::ProtoField* pf = nullptr;
        for (const auto& x : m.fields) {
          if (x.number == static_cast<uint32_t>(g.number)) pf = &x;
        }
        if (g.number == schema_field && pf && pf->message >= 0) {
          Expect(g, 2, path);
          schema = DecodeMessage(MessageAt(pf->message), g.bytes, path);
        } else if (m.form == JsonForm::kSchemaOrBool && g.number == 1) {
          allows = Bool(g, path);
        } else if (g.number == 2 && m.form == JsonForm::kSchemaOrArray && pf && pf->message >= 0) {
          Expect(g, 2, path);
          list.push_back(DecodeMessage(MessageAt(pf->message), g.bytes, path));
        } else if (g.number == 2 && m.form == JsonForm::kSchemaOrStringArray) {
          list.push_back(String(g, path));
        }
      }
      if (!schema.is_null()) return schema;
      if (m.form == JsonForm::kSchemaOrBool) return allows;
      return list;
    }
    case JsonForm::kObject:
      break;
  }
  return DecodeMessage(m, f.bytes, path);
}

// One value of `field` (a scalar, a message, or a map's value).
json Value(const schema::ProtoField& field, const Field& f, const std::string& path) {
  using schema::ProtoType;
  switch (field.type) {
    case ProtoType::kString:
      return String(f, path);
    case ProtoType::kBytes:
      Expect(f, 2, path);
      return util::Base64(f.bytes);
    case ProtoType::kBool:
      return Bool(f, path);
    case ProtoType::kInt32:
      return Int32(f, path);
    case ProtoType::kInt64:
      return Int64(f, path);
    case ProtoType::kDouble: {
      Expect(f, 1, path);
      double d;
      std::memcpy(&d, &f.varint, sizeof d);
      return d;
    }
    case ProtoType::kMessage:
      break;
  }
  if (field.message < 0) return nullptr;
  return Special(MessageAt(field.message), f, path);
}

bool IsPackable(schema::ProtoType t) {
  using schema::ProtoType;
  return t == ProtoType::kBool || t == ProtoType::kInt32 || t == ProtoType::kInt64 ||
         t == ProtoType::kDouble;
}

// The fields of `bytes` (a message of type `m`) into `out`, an object.
void DecodeFields(const schema::ProtoMessage& m, std::string_view bytes, const std::string& path,
                  json& out) {
  for (const Field& f : Parse(bytes, path)) {
    const schema::ProtoField* field = nullptr;
    for (const auto& x : m.fields) {
      if (x.number == static_cast<uint32_t>(f.number)) field = &x;
    }
    if (!field) continue;  // unknown numbers are skipped
    const std::string name(field->json_name);
    const std::string p = field->inlined ? path : Join(path, name.c_str());
    if (field->inlined) {
      Expect(f, 2, p);
      if (field->message >= 0) DecodeFields(MessageAt(field->message), f.bytes, p, out);
      continue;
    }
    if (field->map) {
      Expect(f, 2, p);
      std::string key;
      json value;
      for (const Field& e : Parse(f.bytes, p)) {
        if (e.number == 1) key = String(e, p + " key");
        if (e.number == 2) value = Value(*field, e, p + "[" + key + "]");
      }
      if (!out[name].is_object()) out[name] = json::object();
      out[name][key] = std::move(value);
      continue;
    }
    if (field->repeated) {
      if (!out[name].is_array()) out[name] = json::array();
      if (f.wire_type == 2 && IsPackable(field->type)) {  // packed scalars
        std::string_view in = f.bytes;
        while (!in.empty()) {
          Field one;
          one.number = f.number;
          if (field->type == schema::ProtoType::kDouble) {
            if (in.size() < 8) throw Malformed(p + ": truncated packed doubles");
            one.wire_type = 1;
            for (size_t i = 0; i < 8; ++i) {
              one.varint |= uint64_t(static_cast<unsigned char>(in[i])) << (8 * i);
            }
            in.remove_prefix(8);
          } else if (!ReadVarint(in, one.varint)) {
            throw Malformed(p + ": truncated packed varints");
          }
          out[name].push_back(Value(*field, one, p));
        }
        continue;
      }
      out[name].push_back(Value(*field, f, p));
      continue;
    }
    json v = Value(*field, f, p);
    if (v.is_null() || (v.is_string() && v.get_ref<const std::string&>().empty() &&
                        field->type == schema::ProtoType::kString)) {
      out.erase(name);  // omitted, as Go writes an empty string or a zero time
    } else if (v.is_object() && out.contains(name) && out[name].is_object()) {
      out[name].update(v, true);  // a message sent twice is merged
    } else {
      out[name] = std::move(v);
    }
  }
}

json DecodeMessage(const schema::ProtoMessage& m, std::string_view bytes, const std::string& path) {
  json out = json::object();
  DecodeFields(m, bytes, path, out);
  return out;
}

std::string GroupOf(const std::string& api_version) {
  auto slash = api_version.rfind('/');
  return slash == std::string::npos ? "" : api_version.substr(0, slash);
}
}  // namespace

bool IsProtobufContentType(std::string_view content_type) {
  constexpr std::string_view kType(kProtobufContentType);
  if (content_type.substr(0, kType.size()) != kType) return false;
  return content_type.size() == kType.size() || content_type[kType.size()] == ';' ||
         content_type[kType.size()] == ' ';
}

json DecodeProtobufBody(std::string_view body) {
  static constexpr std::string_view kMagic("k8s\0", 4);
  if (body.substr(0, 4) != kMagic) {
    throw StatusError::BadRequest(
        "the protobuf body does not start with the \"k8s\\x00\" prefix of Kubernetes' protobuf "
        "envelope");
  }
  std::string api_version, kind;
  std::string_view raw;
  bool has_type_meta = false;
  try {
    Visit(body.substr(4), "runtime.Unknown", {{1, "typeMeta"}, {2, "raw"}},
          [&](const char*, const Field& f, const std::string& p) {
            if (f.number == 2) {
              Expect(f, 2, p);
              raw = f.bytes;
              return;
            }
            Expect(f, 2, p);
            has_type_meta = true;
            json tm = Strings(f.bytes, p, {{1, "apiVersion"}, {2, "kind"}});
            api_version = tm.value("apiVersion", "");
            kind = tm.value("kind", "");
          });
  } catch (const Malformed& e) {
    throw StatusError::BadRequest(fmt::format("the protobuf envelope is malformed: {}", e.what()));
  }
  if (!has_type_meta || kind.empty()) {
    throw StatusError::BadRequest(
        "the protobuf envelope has no kind (runtime.Unknown field 1, typeMeta)");
  }
  std::string group = GroupOf(api_version);
  for (const Kind& k : Kinds()) {
    if (kind != k.kind || (std::string_view(k.group) != "*" && group != k.group)) continue;
    json out = {{"apiVersion", api_version}, {"kind", kind}};
    try {
      k.decode(raw, out);
    } catch (const Malformed& e) {
      throw StatusError::BadRequest(
          fmt::format("the protobuf {} in the body is malformed: {}", kind, e.what()));
    }
    return out;
  }
  std::string version = api_version.substr(api_version.rfind('/') + 1);
  if (const schema::ProtoMessage* m = schema::FindKindMessage(group, version, kind)) {
    json out = {{"apiVersion", api_version}, {"kind", kind}};
    try {
      DecodeFields(*m, raw, "", out);
    } catch (const Malformed& e) {
      throw StatusError::BadRequest(
          fmt::format("the protobuf {} in the body is malformed: {}", kind, e.what()));
    }
    return out;
  }
  throw StatusError::UnsupportedMediaType(fmt::format(
      "the body of the request was in an unknown format - accepted media types include: "
      "application/json, application/yaml (kubedouble decodes protobuf bodies of the built-in "
      "kinds it serves, not {} {})",
      api_version.empty() ? "apiVersion \"\"" : api_version, kind));
}

}  // namespace kubedouble::fake
