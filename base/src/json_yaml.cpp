#include "kubedouble/base/json_yaml.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <string_view>

#include "kubedouble/base/utf8.h"

namespace kubedouble::base {

namespace {
using json = nlohmann::json;

// What go-yaml's resolver (YAML 1.1) reads as something other than a string.
bool ResolvesToNonString(std::string_view s) {
  static const char* const kWords[] = {
      "y",    "Y",    "yes",   "Yes",   "YES",   "n",     "N",     "no",    "No",   "NO",
      "true", "True", "TRUE",  "false", "False", "FALSE", "on",    "On",    "ON",   "off",
      "Off",  "OFF",  "~",     "null",  "Null",  "NULL",  ".nan",  ".NaN",  ".NAN", ".inf",
      ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", "<<"};
  for (const char* w : kWords) {
    if (s == w) return true;
  }
  // Integers (decimal, 0x, 0o, 0b, octal 0..., underscores allowed), floats, base-60 numbers
  // and timestamps.
  static const RE2 kNumber(R"([-+]?(0b[01_]+|0x[0-9a-fA-F_]+|0o?[0-7_]+|[0-9][0-9_]*)|)"
                           R"([-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?|)"
                           R"([-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?)");
  static const RE2 kTimestamp(
      R"([0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2})"
      R"((\.[0-9]*)?([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?)?)");
  return RE2::FullMatch(s, kNumber) || RE2::FullMatch(s, kTimestamp);
}

// A character YAML prints as it is (go-yaml's is_printable, without tab and line ends).
bool Printable(std::string_view s, size_t at, size_t n) {
  auto c = static_cast<unsigned char>(s[at]);
  if (n == 1) return c >= 0x20 && c <= 0x7e;
  if (n == 2 && c == 0xc2) {
    auto d = static_cast<unsigned char>(s[at + 1]);
    return d >= 0xa0;  // U+0080..U+009F are control characters
  }
  if (n == 3 && s.substr(at, 3) == "\xef\xbb\xbf") return false;  // BOM
  return true;
}

enum class Style { kPlain, kSingle, kDouble, kLiteral };

Style StyleOf(std::string_view s) {
  if (s.empty() || ResolvesToNonString(s)) return Style::kDouble;
  bool special = false, line_break = false, indicators = false;
  for (size_t i = 0; i < s.size();) {
    size_t n = Utf8SequenceAt(s, i);
    if (n == 0) return Style::kDouble;
    char c = s[i];
    if (c == '\n') {
      line_break = true;
    } else if (!Printable(s, i, n)) {
      special = true;
    }
    const bool followed_by_space = i + n >= s.size() || s[i + n] == ' ' || s[i + n] == '\n';
    const bool preceded_by_space = i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\n');
    if (i == 0) {
      if (std::string_view("#,[]{}&*!|>'\"%@`").find(c) != std::string_view::npos)
        indicators = true;
      if ((c == '?' || c == ':' || c == '-') && followed_by_space) indicators = true;
    } else {
      if (c == ':' && followed_by_space) indicators = true;
      if (c == '#' && preceded_by_space) indicators = true;
    }
    i += n;
  }
  if (special) return Style::kDouble;
  if (line_break) {
    // A literal block, unless a line has trailing spaces or the text starts with a space.
    if (s.front() == ' ') return Style::kDouble;
    for (size_t at = s.find('\n'); at != std::string_view::npos; at = s.find('\n', at + 1)) {
      if (at > 0 && s[at - 1] == ' ') return Style::kDouble;
      if (at + 1 < s.size() && s[at + 1] == ' ' && at > 0 && s[at - 1] != '\n') {
        return Style::kDouble;  // a line break then spaces (go-yaml's break_space)
      }
    }
    if (s.back() == ' ') return Style::kDouble;
    return Style::kLiteral;
  }
  if (s.starts_with("---") || s.starts_with("...")) return Style::kSingle;
  if (indicators || s.front() == ' ' || s.back() == ' ') return Style::kSingle;
  return Style::kPlain;
}

std::string DoubleQuoted(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    size_t n = Utf8SequenceAt(s, i);
    if (n == 0) {  // not UTF-8: as U+FFFD, as the JSON it came from holds
      out += "\xef\xbf\xbd";
      ++i;
      continue;
    }
    auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      case 0:
        out += "\\0";
        break;
      default:
        if (n == 1 && (c < 0x20 || c == 0x7f)) {
          out += fmt::format("\\x{:02X}", c);
        } else if (!Printable(s, i, n)) {
          // The code point of a multi-byte non-printable character.
          uint32_t cp = n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
          for (size_t k = 1; k < n; ++k)
            cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
          out += cp <= 0xff ? fmt::format("\\x{:02X}", cp) : fmt::format("\\u{:04X}", cp);
        } else {
          out.append(s.substr(i, n));
        }
    }
    i += n;
  }
  return out + "\"";
}

std::string SingleQuoted(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

// A scalar after "key: " or "- "; a literal block's lines at `indent` + 2.
void Scalar(std::string& out, const json& v, size_t indent) {
  if (!v.is_string()) {
    out += v.is_null() ? "null" : v.dump();
    out += '\n';
    return;
  }
  const std::string& s = v.get_ref<const std::string&>();
  switch (StyleOf(s)) {
    case Style::kPlain:
      out += s;
      break;
    case Style::kSingle:
      out += SingleQuoted(s);
      break;
    case Style::kDouble:
      out += DoubleQuoted(s);
      break;
    case Style::kLiteral: {
      size_t trailing = 0;
      while (trailing < s.size() && s[s.size() - 1 - trailing] == '\n') ++trailing;
      out += trailing == 0 ? "|-" : trailing == 1 ? "|" : "|+";
      out += '\n';
      std::string_view body(s);
      body.remove_suffix(trailing);
      std::string pad(indent + 2, ' ');
      for (size_t start = 0;;) {
        size_t end = body.find('\n', start);
        std::string_view line = body.substr(start, end - start);
        if (!line.empty()) out += pad;
        out += line;
        out += '\n';
        if (end == std::string_view::npos) break;
        start = end + 1;
      }
      for (size_t k = 1; k < trailing; ++k) out += '\n';
      return;
    }
  }
  out += '\n';
}

void Key(std::string& out, const std::string& key) {
  json k = key;
  std::string line;
  Scalar(line, k, 0);
  line.pop_back();  // keys are one line (a multi-line key is rare enough to double-quote)
  if (line.find('\n') != std::string::npos) line = DoubleQuoted(key);
  out += line;
}

bool IsCollection(const json& v) { return (v.is_object() || v.is_array()) && !v.empty(); }

void Node(std::string& out, const json& v, size_t indent, bool in_sequence_item);

// The members of a non-empty mapping; the first one's indentation is already written when
// `first_inline` (after "- ").
void Mapping(std::string& out, const json& v, size_t indent, bool first_inline) {
  bool first = true;
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (!(first && first_inline)) out.append(indent, ' ');
    first = false;
    Key(out, it.key());
    out += ':';
    const json& child = it.value();
    if (IsCollection(child)) {
      out += '\n';
      // A list in a mapping stays at the key's indentation.
      Node(out, child, child.is_array() ? indent : indent + 2, false);
    } else {
      out += ' ';
      Node(out, child, indent, false);
    }
  }
}

void Sequence(std::string& out, const json& v, size_t indent, bool first_inline) {
  bool first = true;
  for (const json& item : v) {
    if (!(first && first_inline)) out.append(indent, ' ');
    first = false;
    out += "- ";
    Node(out, item, indent + 2, true);
  }
}

// `v` at `indent`; `in_sequence_item`: right after "- ", on the same line.
void Node(std::string& out, const json& v, size_t indent, bool in_sequence_item) {
  if (v.is_object()) {
    if (v.empty()) {
      out += "{}\n";
    } else {
      Mapping(out, v, indent, in_sequence_item);
    }
  } else if (v.is_array()) {
    if (v.empty()) {
      out += "[]\n";
    } else {
      Sequence(out, v, indent, in_sequence_item);
    }
  } else {
    Scalar(out, v, indent > 0 && in_sequence_item ? indent - 2 : indent);
  }
}
}  // namespace

std::string JsonToYaml(const json& value) {
  std::string out;
  Node(out, value, 0, false);
  return out;
}

}  // namespace kubedouble::base
