#include "selectors.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>

#include "validation.h"

namespace kubedouble::fake {
namespace {

bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
bool IsSpecial(char c) {
  return c == '!' || c == '=' || c == '(' || c == ')' || c == ',' || c == '<' || c == '>';
}

class Lexer {
 public:
  explicit Lexer(const std::string& s) : s_(s) {}
  void SkipSpace() {
    while (pos_ < s_.size() && IsSpace(s_[pos_])) ++pos_;
  }
  bool AtEnd() {
    SkipSpace();
    return pos_ >= s_.size();
  }
  char Peek() {
    SkipSpace();
    return pos_ < s_.size() ? s_[pos_] : '\0';
  }
  bool Consume(const std::string& tok) {
    SkipSpace();
    if (s_.compare(pos_, tok.size(), tok) == 0) {
      pos_ += tok.size();
      return true;
    }
    return false;
  }
  std::string Word() {
    SkipSpace();
    size_t start = pos_;
    while (pos_ < s_.size() && !IsSpace(s_[pos_]) && !IsSpecial(s_[pos_])) ++pos_;
    return s_.substr(start, pos_ - start);
  }
  std::string Rest() {
    SkipSpace();
    return pos_ < s_.size() ? s_.substr(pos_, 10) : std::string("end of input");
  }

 private:
  const std::string& s_;
  size_t pos_ = 0;
};

[[noreturn]] void Bad(const std::string& kind, const std::string& text, const std::string& why) {
  throw StatusError::BadRequest("unable to parse " + kind + " selector \"" + text + "\": " + why);
}

std::string LabelOf(const json& object, const std::string& key, bool* found) {
  *found = false;
  auto m = object.find("metadata");
  if (m == object.end() || !m->is_object()) return "";
  auto l = m->find("labels");
  if (l == m->end() || !l->is_object()) return "";
  auto v = l->find(key);
  if (v == l->end()) return "";
  *found = true;
  return v->is_string() ? v->get<std::string>() : v->dump();
}

// The fields each kind can be selected by (kube-apiserver's field label conversion functions).
const std::map<std::string, std::vector<std::string>>& KindFields() {
  static const std::map<std::string, std::vector<std::string>> m = {
      {"/pods",
       {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
        "spec.hostNetwork", "status.phase", "status.podIP", "status.podIPs",
        "status.nominatedNodeName"}},
      {"/secrets", {"type"}},
      {"/namespaces", {"status.phase"}},
      {"/nodes", {"spec.unschedulable"}},
      {"/events",
       {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
        "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
        "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"}},
  };
  return m;
}

bool FieldSupported(const ResourceInfo& res, const std::string& field) {
  if (field == "metadata.name" || field == "metadata.namespace") return true;
  auto it = KindFields().find(res.group + "/" + res.plural);
  if (it == KindFields().end()) return false;
  return std::find(it->second.begin(), it->second.end(), field) != it->second.end();
}

std::string FieldValue(const json& object, const std::string& field) {
  if (field == "source") {  // events: source.component
    auto s = object.find("source");
    if (s != object.end() && s->is_object()) return s->value("component", "");
    return "";
  }
  if (field == "status.podIPs") {  // pods: the first podIP
    return FieldValue(object, "status.podIP");
  }
  const json* cur = &object;
  size_t start = 0;
  while (start <= field.size()) {
    size_t dot = field.find('.', start);
    std::string part =
        field.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!cur->is_object()) return "";
    auto it = cur->find(part);
    if (it == cur->end()) {
      if (field == "spec.hostNetwork" || field == "spec.unschedulable") return "false";
      return "";
    }
    cur = &*it;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (cur->is_string()) return cur->get<std::string>();
  if (cur->is_boolean()) return cur->get<bool>() ? "true" : "false";
  if (cur->is_null()) return "";
  return cur->dump();
}

}  // namespace

LabelSelector LabelSelector::Parse(const std::string& text) {
  LabelSelector sel;
  Lexer lx(text);
  if (lx.AtEnd()) return sel;
  while (true) {
    Requirement r;
    bool negated = false;
    if (lx.Peek() == '!') {
      lx.Consume("!");
      negated = true;
    }
    r.key = lx.Word();
    if (r.key.empty()) Bad("label", text, "expected a label key, found " + lx.Rest());
    auto key_errs = QualifiedNameErrors(r.key);
    if (!key_errs.empty()) Bad("label", text, "key \"" + r.key + "\": " + key_errs[0]);
    if (negated) {
      r.op = Op::kDoesNotExist;
    } else if (lx.AtEnd() || lx.Peek() == ',') {
      r.op = Op::kExists;
    } else if (lx.Consume("==") || lx.Consume("=")) {
      r.op = Op::kEquals;
    } else if (lx.Consume("!=")) {
      r.op = Op::kNotEquals;
    } else if (lx.Consume(">")) {
      r.op = Op::kGt;
    } else if (lx.Consume("<")) {
      r.op = Op::kLt;
    } else {
      std::string w = lx.Word();
      if (w == "in") {
        r.op = Op::kIn;
      } else if (w == "notin") {
        r.op = Op::kNotIn;
      } else {
        Bad("label", text,
            "found '" + (w.empty() ? lx.Rest() : w) + "' after key \"" + r.key +
                "\", expected one of '=', '==', '!=', 'in', 'notin', ',' or the end");
      }
    }
    if (r.op == Op::kIn || r.op == Op::kNotIn) {
      if (!lx.Consume("("))
        Bad("label", text, "expected '(' after 'in'/'notin' for key \"" + r.key + "\"");
      while (true) {
        std::string v = lx.Word();
        r.values.push_back(v);
        if (lx.Consume(",")) continue;
        if (lx.Consume(")")) break;
        Bad("label", text,
            "expected ',' or ')' in the values of key \"" + r.key + "\", found " + lx.Rest());
      }
      if (r.values.size() == 1 && r.values[0].empty()) {
        Bad("label", text, "for 'in', 'notin' operators, values set can't be empty");
      }
    } else if (r.op == Op::kEquals || r.op == Op::kNotEquals || r.op == Op::kGt ||
               r.op == Op::kLt) {
      r.values.push_back(lx.Word());
    }
    for (const auto& v : r.values) {
      auto errs = LabelValueErrors(v);
      if (!errs.empty()) Bad("label", text, "value \"" + v + "\": " + errs[0]);
      if (r.op == Op::kGt || r.op == Op::kLt) {
        long long n;
        auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
        if (ec != std::errc() || p != v.data() + v.size()) {
          Bad("label", text, "for 'Gt', 'Lt' operators, the value must be an integer");
        }
      }
    }
    sel.reqs_.push_back(std::move(r));
    if (lx.AtEnd()) break;
    if (!lx.Consume(",")) Bad("label", text, "expected ',' or the end, found " + lx.Rest());
  }
  return sel;
}

bool LabelSelector::Matches(const json& object) const {
  for (const auto& r : reqs_) {
    bool found;
    std::string v = LabelOf(object, r.key, &found);
    bool in = found && std::find(r.values.begin(), r.values.end(), v) != r.values.end();
    switch (r.op) {
      case Op::kEquals:
      case Op::kIn:
        if (!in) return false;
        break;
      case Op::kNotEquals:
      case Op::kNotIn:
        if (in) return false;
        break;
      case Op::kExists:
        if (!found) return false;
        break;
      case Op::kDoesNotExist:
        if (found) return false;
        break;
      case Op::kGt:
      case Op::kLt: {
        if (!found) return false;
        long long have, want = std::stoll(r.values[0]);
        auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), have);
        if (ec != std::errc() || p != v.data() + v.size()) return false;
        if (r.op == Op::kGt ? !(have > want) : !(have < want)) return false;
        break;
      }
    }
  }
  return true;
}

FieldSelector FieldSelector::Parse(const ResourceInfo& res, const std::string& text) {
  FieldSelector sel;
  // Split on unescaped commas; values may escape ',', '=' and '\' with a backslash.
  std::vector<std::string> terms;
  std::string cur;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      cur += text[i];
      cur += text[++i];
    } else if (text[i] == ',') {
      terms.push_back(cur);
      cur.clear();
    } else {
      cur += text[i];
    }
  }
  terms.push_back(cur);
  if (terms.size() == 1 && terms[0].find_first_not_of(" \t") == std::string::npos) return sel;
  for (const auto& term : terms) {
    Requirement r;
    size_t op_pos = std::string::npos, op_len = 0;
    for (size_t i = 0; i < term.size(); ++i) {
      if (term[i] == '\\') {
        ++i;
        continue;
      }
      if (term.compare(i, 2, "!=") == 0) {
        op_pos = i, op_len = 2, r.negate = true;
        break;
      }
      if (term.compare(i, 2, "==") == 0) {
        op_pos = i, op_len = 2, r.negate = false;
        break;
      }
      if (term[i] == '=') {
        op_pos = i, op_len = 1, r.negate = false;
        break;
      }
    }
    if (op_pos == std::string::npos) {
      throw StatusError::BadRequest("invalid field selector \"" + text + "\": '" + term +
                                    "' is not of the form field=value or field!=value");
    }
    r.field = term.substr(0, op_pos);
    r.field.erase(0, r.field.find_first_not_of(' '));
    r.field.erase(r.field.find_last_not_of(' ') + 1);
    std::string raw = term.substr(op_pos + op_len);
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '\\' && i + 1 < raw.size()) ++i;
      r.value += raw[i];
    }
    if (r.field.empty()) {
      throw StatusError::BadRequest("invalid field selector \"" + text + "\": '" + term +
                                    "' has no field name");
    }
    if (!FieldSupported(res, r.field)) {
      throw StatusError::BadRequest("field label not supported: " + r.field);
    }
    sel.reqs_.push_back(std::move(r));
  }
  return sel;
}

bool FieldSelector::Matches(const json& object) const {
  for (const auto& r : reqs_) {
    bool eq = FieldValue(object, r.field) == r.value;
    if (eq == r.negate) return false;
  }
  return true;
}

const std::string* FieldSelector::PinnedName() const {
  for (const auto& r : reqs_) {
    if (r.field == "metadata.name" && !r.negate) return &r.value;
  }
  return nullptr;
}

}  // namespace kubedouble::fake
