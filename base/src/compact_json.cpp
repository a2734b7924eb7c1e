// CompactJson: nlohmann's compact dump with a fast path for plain ASCII strings.
#include "kubedouble/base/compact_json.h"

#include <charconv>
#include <string_view>

namespace kubedouble::base {
namespace {

using json = nlohmann::json;

// Whether `s` prints as itself between quotes: printable ASCII without '"' or '\'.
bool Plain(std::string_view s) {
  for (unsigned char ch : s) {
    if (ch < 0x20 || ch > 0x7e || ch == '"' || ch == '\\') return false;
  }
  return true;
}

void AppendDump(std::string& out, const json& value) {
  out += value.dump(-1, ' ', false, json::error_handler_t::replace);
}

void AppendString(std::string& out, const std::string& s, const json* value) {
  if (Plain(s)) {
    out += '"';
    out += s;
    out += '"';
  } else if (value != nullptr) {
    AppendDump(out, *value);  // escapes, UTF-8 checked and replaced by the serializer
  } else {
    AppendDump(out, json(s));
  }
}

template <typename Int>
void AppendInteger(std::string& out, Int n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, end);
}

}  // namespace

void AppendCompactJson(std::string& out, const json& value) {
  switch (value.type()) {
    case json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [k, v] : value.get_ref<const json::object_t&>()) {
        if (!first) out += ',';
        first = false;
        AppendString(out, k, nullptr);
        out += ':';
        AppendCompactJson(out, v);
      }
      out += '}';
      return;
    }
    case json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& v : value.get_ref<const json::array_t&>()) {
        if (!first) out += ',';
        first = false;
        AppendCompactJson(out, v);
      }
      out += ']';
      return;
    }
    case json::value_t::string:
      AppendString(out, value.get_ref<const std::string&>(), &value);
      return;
    case json::value_t::boolean:
      out += value.get<bool>() ? "true" : "false";
      return;
    case json::value_t::null:
      out += "null";
      return;
    case json::value_t::number_integer:
      AppendInteger(out, value.get<json::number_integer_t>());
      return;
    case json::value_t::number_unsigned:
      AppendInteger(out, value.get<json::number_unsigned_t>());
      return;
    default:
      AppendDump(out, value);  // floats, binary, discarded: as the serializer writes them
      return;
  }
}

void AppendCompactJsonString(std::string& out, const std::string& s) {
  AppendString(out, s, nullptr);
}

std::string CompactJson(const json& value) {
  std::string out;
  AppendCompactJson(out, value);
  return out;
}

}  // namespace kubedouble::base
