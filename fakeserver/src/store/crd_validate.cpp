// Validation of custom resources against their structural schema, worded as kube-apiserver's
// apiextensions handler words it (kube-openapi's messages inside apimachinery field errors).
#include <fmt/format.h>
#include <re2/re2.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "crd_schema.h"
#include "field_types.h"
#include "kubedouble/base/encoding.h"
#include "kubedouble/base/strings.h"

namespace kubedouble::fake {
namespace {

// The JSON type of a value, as the validator names it.
std::string TypeOf(const json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "boolean";
  if (v.is_number_integer()) return "integer";
  if (v.is_number()) return "number";
  if (v.is_string()) return "string";
  if (v.is_array()) return "array";
  return "object";
}

bool Fits(const std::string& type, const json& v) {
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "integer") return v.is_number_integer();
  if (type == "number") return v.is_number();
  if (type == "boolean") return v.is_boolean();
  return true;
}

// A float64 as Go's %v prints it: shortest form, exponent from 1e+21 and below 1e-4.
std::string GoFloat(double d) {
  char buf[64];
  const double a = std::fabs(d);
  const bool exp = a != 0 && (a >= 1e21 || a < 1e-4);
  auto r = exp ? std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific)
               : std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
  std::string s(buf, r.ptr);
  const auto e = s.find('e');
  if (e == std::string::npos) return s;
  // Go writes at least two exponent digits: 1e+06.
  int exponent = 0;
  std::from_chars(s.data() + e + 1 + (s[e + 1] == '+'), s.data() + s.size(), exponent);
  return fmt::format("{}e{}{:02}", s.substr(0, e), exponent < 0 ? '-' : '+', std::abs(exponent));
}

// A value as apimachinery's field errors print it: strings quoted, numbers and booleans bare.
std::string Shown(const json& v) {
  if (v.is_number_float()) return GoFloat(v.get<double>());
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string Plural(int64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

json Cause(const char* reason, const std::string& path, const std::string& message) {
  return {{"reason", reason}, {"message", message}, {"field", path}};
}

// field.Invalid / field.TypeInvalid: "Invalid value: <value>: <path> in body <detail>".
json InvalidBody(const std::string& path, const std::string& shown, const std::string& detail,
                 const char* reason = "FieldValueInvalid") {
  const std::string name = path.empty() ? "" : path + " ";
  return Cause(reason, path, "Invalid value: " + shown + ": " + name + "in body " + detail);
}

json TypeCause(const std::string& path, const std::string& type, const std::string& actual) {
  return InvalidBody(path, json(actual).dump(),
                     fmt::format("must be of type {}: {}", type, json(actual).dump()),
                     "FieldValueTypeInvalid");
}

json TooMany(const std::string& path, int64_t actual, int64_t max) {
  return Cause(
      "FieldValueTooMany", path,
      fmt::format("Too many: {}: must have at most {}", actual, Plural(max, "item", "items")));
}

std::optional<int64_t> IntOf(const json& schema, const char* key) {
  auto it = schema.find(key);
  if (it == schema.end() || !it->is_number()) return std::nullopt;
  return it->get<int64_t>();
}

std::optional<double> NumOf(const json& schema, const char* key) {
  auto it = schema.find(key);
  if (it == schema.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

// Length in characters (UTF-8 code points), as the validator counts them.
int64_t Runes(const std::string& s) {
  int64_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool MatchesRe(const std::string& pattern, const std::string& s) {
  RE2 re(pattern, RE2::Quiet);
  return re.ok() && RE2::PartialMatch(s, re);
}

bool IsHostname(const std::string& s) {
  static const RE2 label("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
  if (s.empty() || s.size() > 255) return false;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    std::string part = s.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!RE2::FullMatch(part, label)) return false;
    if (dot == std::string::npos) return true;
    start = dot + 1;
  }
}

bool IsCidr(const std::string& s) {
  auto slash = s.find('/');
  if (slash == std::string::npos) return false;
  std::string ip = s.substr(0, slash), bits = s.substr(slash + 1);
  const bool v6 = ip.find(':') != std::string::npos;
  int n = -1;
  auto [p, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), n);
  if (ec != std::errc() || p != bits.data() + bits.size() || bits.empty()) return false;
  return (v6 ? base::IsIpv6Address(ip) : base::IsIpv4Address(ip)) && n >= 0 && n <= (v6 ? 128 : 32);
}

// Whether a string value fits a format the apiextensions validator checks; unknown formats
// (and "password", "uri") accept anything.
bool FitsFormat(const std::string& format, const std::string& s) {
  static const RE2 date_time(
      R"(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}(:?\d{2})?)?)");
  static const RE2 date(R"(\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]))");
  static const RE2 uuid("(?i)[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}");
  static const RE2 email(R"([^@\s]+@[^@\s]+)");
  static const RE2 duration(R"(\s*(\d+(\.\d+)?\s*(ns|us|µs|ms|s|m|h|d|w|[a-z]+)\s*)+)");
  static const RE2 mac(
      R"(([0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5,19})|([0-9A-Fa-f]{4}(\.[0-9A-Fa-f]{4}){2,9}))");
  static const RE2 hexcolor("#?([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})");
  if (format == "date-time" || format == "datetime") return RE2::FullMatch(s, date_time);
  if (format == "date") return RE2::FullMatch(s, date);
  if (format == "byte") return base::Base64Decode(s).has_value();
  if (format == "uuid" || format == "uuid3" || format == "uuid4" || format == "uuid5") {
    return RE2::FullMatch(s, uuid);
  }
  if (format == "ipv4") return base::IsIpv4Address(s);
  if (format == "ipv6") return base::IsIpv6Address(s);
  if (format == "cidr") return IsCidr(s);
  if (format == "hostname") return IsHostname(s);
  if (format == "email") return RE2::FullMatch(s, email);
  if (format == "duration") return RE2::FullMatch(s, duration);
  if (format == "mac") return RE2::FullMatch(s, mac);
  if (format == "hexcolor") return RE2::FullMatch(s, hexcolor);
  return true;
}

class Validator {
 public:
  explicit Validator(json& causes) : causes_(causes) {}

  void Check(const json& s, const json& v, const std::string& path) {
    if (!s.is_object()) return;
    if (v.is_null() && SchemaFlag(s, "nullable")) return;
    const std::string type = SchemaString(s, "type");
    if (SchemaFlag(s, "x-kubernetes-int-or-string")) {
      if (!v.is_number_integer() && !v.is_string()) {
        return Add(TypeCause(path, "integer,string", TypeOf(v)));
      }
    } else if (!type.empty() && !Fits(type, v)) {
      return Add(TypeCause(path, type, TypeOf(v)));
    }
    Enum(s, v, path);
    if (v.is_string()) String(s, v.get<std::string>(), path);
    if (v.is_number()) Number(s, v, path);
    if (v.is_array()) Array(s, v, path);
    if (v.is_object()) Object(s, v, path);
    Combinations(s, v, path);
  }

 private:
  void Add(json cause) { causes_.push_back(std::move(cause)); }

  void Enum(const json& s, const json& v, const std::string& path) {
    auto it = s.find("enum");
    if (it == s.end() || !it->is_array()) return;
    std::string list;
    for (const auto& allowed : *it) {
      if (allowed == v) return;
      std::string shown = allowed.is_string() ? allowed.get<std::string>() : allowed.dump();
      list += (list.empty() ? "" : ", ") + json(shown).dump();
    }
    Add(Cause("FieldValueNotSupported", path,
              "Unsupported value: " + Shown(v) + ": supported values: " + list));
  }

  void String(const json& s, const std::string& v, const std::string& path) {
    const std::string shown = json(v).dump(-1, ' ', false, json::error_handler_t::replace);
    if (auto max = IntOf(s, "maxLength"); max && Runes(v) > *max) {
      Add(Cause("FieldValueTooLong", path,
                "Too long: may not be more than " + Plural(*max, "byte", "bytes")));
    }
    if (auto min = IntOf(s, "minLength"); min && Runes(v) < *min) {
      Add(InvalidBody(path, shown, fmt::format("should be at least {} chars long", *min)));
    }
    if (std::string p = SchemaString(s, "pattern"); !p.empty() && !MatchesRe(p, v)) {
      Add(InvalidBody(path, shown, "should match '" + p + "'"));
    }
    if (std::string f = SchemaString(s, "format"); !f.empty() && !FitsFormat(f, v)) {
      Add(InvalidBody(path, shown, fmt::format("must be of type {}: {}", f, shown),
                      "FieldValueTypeInvalid"));
    }
  }

  void Number(const json& s, const json& v, const std::string& path) {
    const std::string shown = Shown(v);
    const double d = v.get<double>();
    const std::string format = SchemaString(s, "format");
    if (v.is_number_integer() && (format == "int32" || format == "int64")) {
      const bool fits =
          format == "int32"
              ? v.is_number_unsigned()
                    ? v.get<uint64_t>() <= uint64_t{std::numeric_limits<int32_t>::max()}
                    : v.get<int64_t>() >= std::numeric_limits<int32_t>::min() &&
                          v.get<int64_t>() <= std::numeric_limits<int32_t>::max()
              : !v.is_number_unsigned() ||
                    v.get<uint64_t>() <= uint64_t{std::numeric_limits<int64_t>::max()};
      if (!fits) {
        Add(InvalidBody(path, shown,
                        fmt::format("must be of type {}: {}", format, json(shown).dump()),
                        "FieldValueTypeInvalid"));
      }
    }
    if (auto max = NumOf(s, "maximum")) {
      if (SchemaFlag(s, "exclusiveMaximum") ? d >= *max : d > *max) {
        Add(InvalidBody(
            path, shown,
            fmt::format("should be less than {}{}",
                        SchemaFlag(s, "exclusiveMaximum") ? "" : "or equal to ", GoFloat(*max))));
      }
    }
    if (auto min = NumOf(s, "minimum")) {
      if (SchemaFlag(s, "exclusiveMinimum") ? d <= *min : d < *min) {
        Add(InvalidBody(
            path, shown,
            fmt::format("should be greater than {}{}",
                        SchemaFlag(s, "exclusiveMinimum") ? "" : "or equal to ", GoFloat(*min))));
      }
    }
    if (auto m = NumOf(s, "multipleOf"); m && *m > 0) {
      const double q = d / *m;
      if (std::fabs(q - std::round(q)) > 1e-9) {
        Add(InvalidBody(path, shown, "should be a multiple of " + GoFloat(*m)));
      }
    }
  }

  void Array(const json& s, const json& v, const std::string& path) {
    const auto n = static_cast<int64_t>(v.size());
    if (auto max = IntOf(s, "maxItems"); max && n > *max) Add(TooMany(path, n, *max));
    if (auto min = IntOf(s, "minItems"); min && n < *min) {
      Add(InvalidBody(path, std::to_string(n), fmt::format("should have at least {} items", *min)));
    }
    if (SchemaFlag(s, "uniqueItems")) {
      for (size_t i = 0; i < v.size(); ++i) {
        for (size_t j = 0; j < i; ++j) {
          if (v[i] == v[j]) {
            Add(Cause("FieldValueDuplicate", path + "[" + std::to_string(i) + "]",
                      "Duplicate value: " + Shown(v[i])));
          }
        }
      }
    }
    auto items = s.find("items");
    if (items == s.end() || !items->is_object()) return;
    for (size_t i = 0; i < v.size(); ++i) {
      Check(*items, v[i], path + "[" + std::to_string(i) + "]");
    }
  }

  void Object(const json& s, const json& v, const std::string& path) {
    const bool root = path.empty();
    auto child = [&](const std::string& key) { return root ? key : path + "." + key; };
    const auto n = static_cast<int64_t>(v.size());
    if (!root) {
      if (auto max = IntOf(s, "maxProperties"); max && n > *max) Add(TooMany(path, n, *max));
      if (auto min = IntOf(s, "minProperties"); min && n < *min) {
        Add(InvalidBody(path, std::to_string(n),
                        fmt::format("should have at least {} properties", *min)));
      }
    }
    if (auto req = s.find("required"); req != s.end() && req->is_array()) {
      for (const auto& key : *req) {
        if (key.is_string() && !v.contains(key.get<std::string>())) {
          Add(Cause("FieldValueRequired", child(key.get<std::string>()), "Required value"));
        }
      }
    }
    if (SchemaFlag(s, "x-kubernetes-embedded-resource")) {
      for (const char* key : {"apiVersion", "kind"}) {
        auto it = v.find(key);
        if (it == v.end() || !it->is_string() || it->get<std::string>().empty()) {
          Add(Cause("FieldValueRequired", child(key), "Required value: must not be empty"));
        }
      }
    }
    auto props = s.find("properties");
    auto extra = s.find("additionalProperties");
    for (const auto& [key, value] : v.items()) {
      if (root && (key == "apiVersion" || key == "kind" || key == "metadata")) continue;
      if (props != s.end() && props->is_object() && props->contains(key)) {
        Check((*props)[key], value, child(key));
      } else if (extra != s.end() && extra->is_object()) {
        Check(*extra, value, child(key));
      }
    }
  }

  // allOf, anyOf, oneOf and not: value validations only, in a structural schema.
  void Combinations(const json& s, const json& v, const std::string& path) {
    auto passes = [&](const json& sub) {
      json inner = json::array();
      Validator(inner).Check(sub, v, path);
      return inner.empty();
    };
    if (auto all = s.find("allOf"); all != s.end() && all->is_array()) {
      for (const auto& sub : *all) Check(sub, v, path);
    }
    if (auto any = s.find("anyOf"); any != s.end() && any->is_array() && !any->empty()) {
      bool ok = false;
      for (const auto& sub : *any) ok = ok || passes(sub);
      if (!ok) Add(InvalidBody(path, Shown(v), "must validate at least one schema (anyOf)"));
    }
    if (auto one = s.find("oneOf"); one != s.end() && one->is_array() && !one->empty()) {
      int matched = 0;
      for (const auto& sub : *one) matched += passes(sub) ? 1 : 0;
      if (matched != 1) {
        Add(InvalidBody(path, Shown(v), "must validate one and only one schema (oneOf)"));
      }
    }
    if (auto no = s.find("not"); no != s.end() && no->is_object() && passes(*no)) {
      Add(InvalidBody(path, Shown(v), "must not validate the schema (not)"));
    }
  }

  json& causes_;
};

}  // namespace

json SchemaCauses(const json& schema, const json& object) {
  json causes = json::array();
  Validator(causes).Check(schema, object, "");
  return causes;
}

}  // namespace kubedouble::fake
