#include "protobuf.h"

#include <fmt/format.h>
#include <kubedouble/base/utf8.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include "kubedouble/base/duration.h"
#include "kubedouble/base/encoding.h"
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

// intstr.IntOrString {type=1 (0 int, 1 string), intVal=2, strVal=3}: a number or a string, zero
// included (a *IntOrString's 0, maxUnavailable: 0, is the client's choice).
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
  if (type == 1) return str_val;
  return int_val;
}

json DecodeMessage(const schema::ProtoMessage& m, std::string_view bytes, const std::string& path);
json Envelope(std::string_view body, const std::string& path);

constexpr std::string_view kMagic("k8s\0", 4);
constexpr int kMaxNesting = 200;

const schema::ProtoMessage& MessageAt(int16_t index) {
  return schema::ProtoMessages()[static_cast<size_t>(index)];
}

// metav1.MicroTime: as Time, with 6 fractional digits.
json MicroTime(const Field& f, const std::string& path) {
  json whole = Time(f, path);
  if (whole.is_null()) return nullptr;
  int32_t nanos = 0;
  for (const Field& t : Parse(f.bytes, path)) {
    if (t.number == 2) nanos = Int32(t, path + ".nanos");
  }
  if (nanos < 0 || nanos > 999999999) {
    throw Malformed(fmt::format("{}.nanos: {} is outside 0 to 999999999", path, nanos));
  }
  const std::string& s = whole.get_ref<const std::string&>();
  return s.substr(0, s.size() - 1) + fmt::format(".{:06}Z", nanos / 1000);
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
      return base::FormatGoDuration(std::chrono::nanoseconds(ns));
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
      // A RawExtension of a protobuf answer (a watch event's object) holds a whole envelope.
      if (raw.rfind(kMagic, 0) == 0) return Envelope(raw, path);
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
      return base::Base64Encode(f.bytes);
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
  // Messages nest as deep as the body says (JSONSchemaProps, envelopes in RawExtensions); the
  // stack is not the body's to exhaust.
  static thread_local int depth = 0;
  struct Nesting {
    Nesting(const std::string& path) {
      if (++depth > kMaxNesting) {
        --depth;
        throw Malformed(fmt::format("{}: nested more than {} messages deep", path, kMaxNesting));
      }
    }
    ~Nesting() { --depth; }
  } nesting(path);
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
      bool has_value = false;
      for (const Field& e : Parse(f.bytes, p)) {
        if (e.number == 1) key = String(e, p + " key");
        if (e.number == 2) {
          value = Value(*field, e, p + "[" + key + "]");
          has_value = true;
        }
      }
      if (!has_value) {  // an entry without its value has the value's zero
        Field zero;
        zero.number = 2;
        zero.wire_type = field->type == schema::ProtoType::kDouble ? 1
                         : IsPackable(field->type)                 ? 0
                                                                   : 2;
        value = Value(*field, zero, p + "[" + key + "]");
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
    // Go's marshallers write every non-pointer field, empty or not; Go's JSON encoder leaves an
    // empty one out when its tag says omitempty, which is every field the OpenAPI does not
    // require. Left out here: a zero time, and an empty string not required (a *string set to ""
    // is the one value this loses). Zero numbers, IntOrStrings and false are kept: for a pointer
    // field (replicas, automountServiceAccountToken, maxUnavailable) they are what the client
    // asked for, and for a non-pointer one the API server reads them as the field left out.
    const bool empty_string = field->type == schema::ProtoType::kString && v.is_string() &&
                              v.get_ref<const std::string&>().empty();
    if (v.is_null() || (empty_string && !field->required)) {
      out.erase(name);
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

// "k8s\0" + runtime.Unknown {typeMeta {apiVersion = 1, kind = 2} = 1, raw = 2} as the JSON
// object of its kind. Throws Malformed (what and where), or StatusError 415 for a kind without a
// message.
json Envelope(std::string_view body, const std::string& path) {
  if (body.substr(0, 4) != kMagic) {
    throw StatusError::BadRequest(
        "the protobuf body does not start with the \"k8s\\x00\" prefix of Kubernetes' protobuf "
        "envelope");
  }
  const std::string where = path.empty() ? "runtime.Unknown" : path + " runtime.Unknown";
  std::string api_version, kind;
  std::string_view raw;
  bool has_type_meta = false;
  try {
    for (const Field& f : Parse(body.substr(4), where)) {
      if (f.number == 2) {
        Expect(f, 2, where + ".raw");
        raw = f.bytes;
      } else if (f.number == 1) {
        Expect(f, 2, where + ".typeMeta");
        has_type_meta = true;
        for (const Field& t : Parse(f.bytes, where + ".typeMeta")) {
          if (t.number == 1) api_version = String(t, where + ".typeMeta.apiVersion");
          if (t.number == 2) kind = String(t, where + ".typeMeta.kind");
        }
      }
    }
  } catch (const Malformed& e) {
    throw Malformed(fmt::format("the protobuf envelope is malformed: {}", e.what()));
  }
  if (!has_type_meta || kind.empty()) {
    throw StatusError::BadRequest(
        "the protobuf envelope has no kind (runtime.Unknown field 1, typeMeta)");
  }
  const schema::ProtoMessage* m = ProtobufMessageOf(api_version, kind);
  if (!m) {
    throw StatusError::UnsupportedMediaType(fmt::format(
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json, application/yaml (kubedouble decodes protobuf bodies of the built-in "
        "kinds it serves, not {} {})",
        api_version.empty() ? "apiVersion \"\"" : api_version, kind));
  }
  json out = {{"apiVersion", api_version}, {"kind", kind}};
  try {
    DecodeFields(*m, raw, path, out);
  } catch (const Malformed& e) {
    throw Malformed(fmt::format("the protobuf {} in the body is malformed: {}", kind, e.what()));
  }
  return out;
}
}  // namespace

bool IsProtobufContentType(std::string_view content_type) {
  constexpr std::string_view kType(kProtobufContentType);
  if (content_type.substr(0, kType.size()) != kType) return false;
  return content_type.size() == kType.size() || content_type[kType.size()] == ';' ||
         content_type[kType.size()] == ' ';
}

const schema::ProtoMessage* ProtobufMessageOf(std::string_view api_version, std::string_view kind) {
  const auto slash = api_version.rfind('/');
  const std::string_view group =
      slash == std::string_view::npos ? "" : api_version.substr(0, slash);
  const std::string_view version =
      slash == std::string_view::npos ? api_version : api_version.substr(slash + 1);
  if (const schema::ProtoMessage* m = schema::FindKindMessage(group, version, kind)) return m;
  // The meta.k8s.io kinds every group-version has (Status is "v1" Status from every group), and
  // legacy discovery's.
  constexpr std::string_view kMeta = "k8s.io.apimachinery.pkg.apis.meta.";
  if (kind == "Status" || kind == "WatchEvent" || kind == "DeleteOptions" ||
      kind == "APIVersions" || kind == "APIGroupList" || kind == "APIGroup" ||
      kind == "APIResourceList") {
    return schema::FindMessage(std::string(kMeta) + "v1." + std::string(kind));
  }
  if (group == "meta.k8s.io" && (version == "v1" || version == "v1beta1") &&
      (kind == "PartialObjectMetadata" || kind == "PartialObjectMetadataList")) {
    // v1beta1's PartialObjectMetadata is v1's; its list has a message of its own.
    const bool own = version == "v1beta1" && kind == "PartialObjectMetadataList";
    return schema::FindMessage(std::string(kMeta) + (own ? "v1beta1." : "v1.") + std::string(kind));
  }
  return nullptr;
}

json DecodeProtobufBody(std::string_view body) {
  try {
    return Envelope(body, "");
  } catch (const Malformed& e) {
    throw StatusError::BadRequest(e.what());
  }
}

}  // namespace kubedouble::fake
