#include "protobuf_encode.h"

#include <charconv>
#include <cstdint>
#include <cstring>
#include <ctime>

#include "kubedouble/base/duration.h"
#include "kubedouble/base/encoding.h"
#include "kubedouble/schema/protobuf.h"
#include "protobuf.h"
#include "store/store_core.h"

namespace kubedouble::fake {

namespace {
using json = nlohmann::json;
using schema::JsonForm;
using schema::ProtoField;
using schema::ProtoMessage;
using schema::ProtoType;

constexpr int kVarint = 0, kFixed64 = 1, kLengthDelimited = 2;

void Varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

void Key(std::string& out, uint32_t number, int wire_type) {
  Varint(out, uint64_t(number) << 3 | uint64_t(wire_type));
}

void VarintField(std::string& out, uint32_t number, uint64_t v) {
  Key(out, number, kVarint);
  Varint(out, v);
}

void BytesField(std::string& out, uint32_t number, std::string_view v) {
  Key(out, number, kLengthDelimited);
  Varint(out, v.size());
  out.append(v);
}

// A length-delimited field whose content `fill` appends to `out`; the length is put in front
// once the content is known.
template <typename Fill>
void NestedField(std::string& out, uint32_t number, Fill&& fill) {
  Key(out, number, kLengthDelimited);
  const size_t start = out.size();
  fill(out);
  std::string length;
  Varint(length, out.size() - start);
  out.insert(start, length);
}

const ProtoMessage& MessageAt(int16_t index) {
  return schema::ProtoMessages()[static_cast<size_t>(index)];
}

const json* Member(const json& obj, std::string_view name) {
  auto it = obj.find(name);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

bool DigitsAt(std::string_view s, size_t at, size_t n, int& out) {
  if (at + n > s.size()) return false;
  auto [end, ec] = std::from_chars(s.data() + at, s.data() + at + n, out);
  return ec == std::errc() && end == s.data() + at + n;
}

// RFC 3339 ("2026-01-02T03:04:05Z", "...05.123456Z", "...05+02:00") as Unix seconds and nanos.
bool ParseRfc3339(std::string_view s, int64_t& seconds, int32_t& nanos) {
  int y, mo, d, h, mi, sec;
  if (!DigitsAt(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !DigitsAt(s, 5, 2, mo) ||
      s[7] != '-' || !DigitsAt(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't') ||
      !DigitsAt(s, 11, 2, h) || s[13] != ':' || !DigitsAt(s, 14, 2, mi) || s[16] != ':' ||
      !DigitsAt(s, 17, 2, sec)) {
    return false;
  }
  size_t at = 19;
  nanos = 0;
  if (at < s.size() && s[at] == '.') {
    int digits = 0;
    for (++at; at < s.size() && s[at] >= '0' && s[at] <= '9'; ++at, ++digits) {
      if (digits < 9) nanos = nanos * 10 + (s[at] - '0');
    }
    for (; digits < 9; ++digits) nanos *= 10;
  }
  int offset = 0;
  if (at < s.size() && (s[at] == '+' || s[at] == '-')) {
    int oh, om;
    if (!DigitsAt(s, at + 1, 2, oh) || at + 3 >= s.size() || s[at + 3] != ':' ||
        !DigitsAt(s, at + 4, 2, om)) {
      return false;
    }
    offset = (s[at] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
  } else if (at >= s.size() || (s[at] != 'Z' && s[at] != 'z')) {
    return false;
  }
  // timegm, not a nanosecond time_point: metav1.Time spans the years 1 to 9999.
  std::tm tm{};
  tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d;
  tm.tm_hour = h, tm.tm_min = mi, tm.tm_sec = sec;
  seconds = static_cast<int64_t>(timegm(&tm)) - offset;
  return true;
}

void EncodeMessage(const ProtoMessage& m, const json& obj, std::string& out);

// The content of a message of a special JSON form (Time, Quantity, ...) from its JSON value.
void EncodeSpecial(const ProtoMessage& m, const json& v, std::string& out) {
  switch (m.form) {
    case JsonForm::kTime:
    case JsonForm::kMicroTime: {
      int64_t seconds;
      int32_t nanos;
      if (!v.is_string() || !ParseRfc3339(v.get_ref<const std::string&>(), seconds, nanos)) {
        return;
      }
      if (m.form == JsonForm::kTime) nanos = 0;  // metav1.Time keeps whole seconds
      VarintField(out, 1, static_cast<uint64_t>(seconds));
      VarintField(out, 2, static_cast<uint64_t>(int64_t(nanos)));
      return;
    }
    case JsonForm::kDuration: {
      if (!v.is_string()) return;
      if (auto d = base::ParseGoDuration(v.get_ref<const std::string&>())) {
        VarintField(out, 1, static_cast<uint64_t>(d->count()));
      }
      return;
    }
    case JsonForm::kQuantity:
      BytesField(out, 1, v.is_string() ? v.get<std::string>() : v.dump());
      return;
    case JsonForm::kIntOrString:
      if (v.is_string()) {
        VarintField(out, 1, 1);
        VarintField(out, 2, 0);
        BytesField(out, 3, v.get_ref<const std::string&>());
      } else if (v.is_number_integer()) {
        VarintField(out, 1, 0);
        VarintField(out, 2, static_cast<uint64_t>(int64_t(v.get<int32_t>())));
        BytesField(out, 3, "");
      }
      return;
    case JsonForm::kRawJson:
      BytesField(out, 1, v.dump(-1, ' ', false, json::error_handler_t::replace));
      return;
    case JsonForm::kStringArray:
      if (v.is_array()) {
        for (const json& s : v) {
          if (s.is_string()) BytesField(out, 1, s.get_ref<const std::string&>());
        }
      }
      return;
    case JsonForm::kSchemaOrArray:
    case JsonForm::kSchemaOrBool:
    case JsonForm::kSchemaOrStringArray: {
      const int schema_number = m.form == JsonForm::kSchemaOrBool ? 2 : 1;
      const ProtoField* schema_field = nullptr;
      const ProtoField* second = nullptr;
      for (const ProtoField& f : m.fields) {
        if (f.number == uint32_t(schema_number)) schema_field = &f;
        if (f.number == 2) second = &f;
      }
      if (v.is_object() && schema_field && schema_field->message >= 0) {
        if (m.form == JsonForm::kSchemaOrBool) VarintField(out, 1, 1);
        NestedField(out, schema_field->number,
                    [&](std::string& o) { EncodeMessage(MessageAt(schema_field->message), v, o); });
      } else if (v.is_boolean() && m.form == JsonForm::kSchemaOrBool) {
        VarintField(out, 1, v.get<bool>() ? 1 : 0);
      } else if (v.is_array() && m.form == JsonForm::kSchemaOrArray && second &&
                 second->message >= 0) {
        for (const json& item : v) {
          if (!item.is_object()) continue;
          NestedField(out, 2,
                      [&](std::string& o) { EncodeMessage(MessageAt(second->message), item, o); });
        }
      } else if (v.is_array() && m.form == JsonForm::kSchemaOrStringArray) {
        for (const json& s : v) {
          if (s.is_string()) BytesField(out, 2, s.get_ref<const std::string&>());
        }
      }
      return;
    }
    case JsonForm::kObject:
      if (v.is_object()) EncodeMessage(m, v, out);
      return;
  }
}

// One value of `field` (an element of a repeated field, a map's value, or a single value) under
// `number`.
void EncodeValue(const ProtoField& field, uint32_t number, const json& v, std::string& out) {
  switch (field.type) {
    case ProtoType::kString:
      if (v.is_string()) BytesField(out, number, v.get_ref<const std::string&>());
      return;
    case ProtoType::kBytes:
      if (v.is_string()) {
        if (auto raw = base::Base64Decode(v.get_ref<const std::string&>())) {
          BytesField(out, number, *raw);
        }
      }
      return;
    case ProtoType::kBool:
      if (v.is_boolean()) VarintField(out, number, v.get<bool>() ? 1 : 0);
      return;
    case ProtoType::kInt32:
    case ProtoType::kInt64:
      if (v.is_number_integer()) {
        int64_t n =
            v.is_number_unsigned() ? static_cast<int64_t>(v.get<uint64_t>()) : v.get<int64_t>();
        if (field.type == ProtoType::kInt32) n = static_cast<int32_t>(n);
        VarintField(out, number, static_cast<uint64_t>(n));
      }
      return;
    case ProtoType::kDouble:
      if (v.is_number()) {
        double d = v.get<double>();
        uint64_t bits;
        std::memcpy(&bits, &d, sizeof bits);
        Key(out, number, kFixed64);
        for (int i = 0; i < 8; ++i) out += static_cast<char>((bits >> (8 * i)) & 0xff);
      }
      return;
    case ProtoType::kMessage:
      if (field.message < 0) return;
      const ProtoMessage& m = MessageAt(field.message);
      if (m.form == JsonForm::kObject && !v.is_object()) return;
      NestedField(out, number, [&](std::string& o) { EncodeSpecial(m, v, o); });
      return;
  }
}

void EncodeMessage(const ProtoMessage& m, const json& obj, std::string& out) {
  for (const ProtoField& field : m.fields) {
    if (field.inlined) {
      if (field.message >= 0) {
        NestedField(out, field.number,
                    [&](std::string& o) { EncodeMessage(MessageAt(field.message), obj, o); });
      }
      continue;
    }
    const json* v = Member(obj, field.json_name);
    if (!v) continue;
    if (field.map) {
      if (!v->is_object()) continue;
      for (const auto& [key, value] : v->items()) {
        NestedField(out, field.number, [&](std::string& o) {
          BytesField(o, 1, key);
          if (!value.is_null()) EncodeValue(field, 2, value, o);
        });
      }
    } else if (field.repeated) {
      if (!v->is_array()) continue;
      for (const json& item : *v) EncodeValue(field, field.number, item, out);
    } else {
      EncodeValue(field, field.number, *v, out);
    }
  }
}

// "k8s\0" + runtime.Unknown around the message of `obj`, appended to `out`.
bool AppendEnvelope(const json& obj, std::string& out) {
  if (!obj.is_object()) return false;
  // Legacy discovery's /api/v1 has a kind and no apiVersion.
  static const json kNoApiVersion = "";
  const json* api_version = Member(obj, "apiVersion");
  if (!api_version) api_version = &kNoApiVersion;
  const json* kind = Member(obj, "kind");
  if (!kind || !api_version->is_string() || !kind->is_string()) return false;
  const ProtoMessage* m = ProtobufMessageOf(api_version->get_ref<const std::string&>(),
                                            kind->get_ref<const std::string&>());
  if (!m) return false;
  out.append("k8s\0", 4);
  NestedField(out, 1, [&](std::string& o) {
    BytesField(o, 1, api_version->get_ref<const std::string&>());
    BytesField(o, 2, kind->get_ref<const std::string&>());
  });
  NestedField(out, 2, [&](std::string& o) { EncodeMessage(*m, obj, o); });
  BytesField(out, 3, "");
  BytesField(out, 4, "");
  return true;
}
}  // namespace

std::optional<std::string> EncodeProtobuf(const json& obj) {
  std::string out;
  if (!AppendEnvelope(obj, out)) return std::nullopt;
  return out;
}

std::optional<std::string> EncodeProtobufWatchFrame(std::string_view type, const json& obj) {
  std::string out(4, '\0');
  BytesField(out, 1, type);
  bool encoded = true;
  NestedField(out, 2, [&](std::string& o) {
    NestedField(o, 1, [&](std::string& raw) { encoded = AppendEnvelope(obj, raw); });
  });
  if (!encoded) return std::nullopt;
  const uint32_t size = static_cast<uint32_t>(out.size() - 4);
  for (int i = 0; i < 4; ++i) out[static_cast<size_t>(i)] = static_cast<char>(size >> (24 - 8 * i));
  return out;
}

}  // namespace kubedouble::fake
