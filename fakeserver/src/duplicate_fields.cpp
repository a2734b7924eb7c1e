// Repeated keys: a SAX pass over JSON text, a walk over a YAML node tree.
#include "duplicate_fields.h"

#include <nlohmann/json.hpp>

#include <set>

namespace kubedouble::fake {
namespace {

using json = nlohmann::json;

// Follows the path through the document and notes each key seen twice in one object.
class DuplicateFinder : public json::json_sax_t {
 public:
  std::vector<std::string> found;

  bool null() override { return Value(); }
  bool boolean(bool) override { return Value(); }
  bool number_integer(json::number_integer_t) override { return Value(); }
  bool number_unsigned(json::number_unsigned_t) override { return Value(); }
  bool number_float(json::number_float_t, const json::string_t&) override { return Value(); }
  bool string(json::string_t&) override { return Value(); }
  bool binary(json::binary_t&) override { return Value(); }
  bool start_object(std::size_t) override {
    frames_.push_back({false, 0, {}, ""});
    return true;
  }
  bool key(json::string_t& k) override {
    Frame& f = frames_.back();
    f.key = k;
    if (!f.keys.insert(k).second) found.push_back(Path());
    return true;
  }
  bool end_object() override {
    frames_.pop_back();
    return Value();
  }
  bool start_array(std::size_t) override {
    frames_.push_back({true, 0, {}, ""});
    return true;
  }
  bool end_array() override {
    frames_.pop_back();
    return Value();
  }
  bool parse_error(std::size_t, const std::string&, const json::exception&) override {
    found.clear();
    return false;
  }

 private:
  struct Frame {
    bool array;
    size_t index;
    std::set<std::string> keys;
    std::string key;
  };

  // A value ended: the next one of an array is the next index.
  bool Value() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
    return true;
  }

  std::string Path() const {
    std::string out;
    for (const auto& f : frames_) {
      if (f.array) {
        out += "[" + std::to_string(f.index) + "]";
      } else {
        out += (out.empty() ? "" : ".") + f.key;
      }
    }
    return out;
  }

  std::vector<Frame> frames_;
};

void WalkYaml(const YAML::Node& node, std::vector<std::string>& out) {
  if (node.IsMap()) {
    std::set<std::string> seen;
    for (const auto& kv : node) {
      if (kv.first.IsScalar() && !seen.insert(kv.first.Scalar()).second) {
        out.push_back("line " + std::to_string(kv.first.Mark().line + 1) + ": key \"" +
                      kv.first.Scalar() + "\" already set in map");
      }
      WalkYaml(kv.second, out);
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) WalkYaml(item, out);
  }
}

}  // namespace

std::vector<std::string> DuplicateJsonFields(std::string_view text) {
  DuplicateFinder finder;
  json::sax_parse(text, &finder);
  return finder.found;
}

std::vector<std::string> DuplicateYamlKeys(const YAML::Node& doc) {
  std::vector<std::string> out;
  WalkYaml(doc, out);
  return out;
}

}  // namespace kubedouble::fake
