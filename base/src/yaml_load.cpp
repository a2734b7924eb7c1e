// The checked loaders: one pass over yaml-cpp's events measures what the aliases expand to,
// and refuses the document before yaml-cpp builds its (shared, possibly cyclic) node graph.
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <sstream>
#include <unordered_map>

#include "kubedouble/base/utf8.h"
#include "kubedouble/base/yaml_json.h"

namespace kubedouble::base {
namespace {

// go-yaml's alias budget: the share of a document's nodes that may come from aliases.
constexpr double kRatioLowNodes = 400'000;
constexpr double kRatioHighNodes = 4'000'000;
constexpr size_t kMinAliasNodes = 100;  // below these two, any share is allowed
constexpr size_t kMinNodes = 1'000;
// Nesting, counted through aliases: yaml-cpp's own limit for nesting in the text, so that a walk
// of the expanded tree is never deeper than a walk of a document without aliases.
constexpr size_t kMaxDepth = 2'000;

double AllowedAliasShare(size_t nodes) {
  if (nodes <= kRatioLowNodes) return 0.99;
  if (nodes >= kRatioHighNodes) return 0.10;
  return 0.99 - 0.89 * ((nodes - kRatioLowNodes) / (kRatioHighNodes - kRatioLowNodes));
}

// Counts the nodes of one document as if every alias were expanded, and throws at the first
// event that breaks a rule of yaml_json.h.
class ExpansionCheck : public YAML::EventHandler {
 public:
  explicit ExpansionCheck(const YamlLimits& limits) : limits_(limits) {}

  void OnDocumentStart(const YAML::Mark& mark) override {
    // yaml-cpp 0.7 starts a document at a stray top-level `,` without moving past it, again and
    // again: LoadAll never returns (and fills the memory with empty documents).
    if (documents_++ > 0 && mark.pos == last_start_) {
      throw Error(mark, "did not find expected node content");
    }
    last_start_ = mark.pos;
    open_.clear();
    anchors_.clear();
    nodes_ = bytes_ = alias_nodes_ = alias_bytes_ = 0;
  }
  void OnDocumentEnd() override {}
  void OnAnchor(const YAML::Mark&, const std::string& name) override { anchor_name_ = name; }

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { Leaf(mark, anchor, 0); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override {
    // Every scalar is UTF-8 that JSON can hold. yaml-cpp refuses escapes such as "\uD800" itself,
    // and CheckUtf8 keeps it from decoding a stream as UTF-16/32; this guards whatever is left.
    for (size_t i = 0, n = 0; i < value.size(); i += n) {
      if ((n = Utf8SequenceAt(value, i)) == 0) {
        throw Error(mark, "found invalid Unicode character escape code");
      }
    }
    Leaf(mark, anchor, value.size());
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(mark, anchor);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(mark, anchor);
  }
  void OnMapEnd() override { Close(); }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) return;  // yaml-cpp refuses an unknown anchor itself
    const Anchored& a = it->second;
    if (a.open) throw Error(mark, "anchor '" + a.name + "' value contains itself");
    if (open_.size() + a.height > kMaxDepth) {
      throw Error(mark, "document nests deeper than " + std::to_string(kMaxDepth) +
                            " levels once alias '" + a.name + "' is expanded");
    }
    nodes_ += a.nodes;
    bytes_ += a.bytes;
    alias_nodes_ += a.nodes;
    alias_bytes_ += a.bytes;
    Child(a.height);
    CheckNodes(mark);
    if (alias_bytes_ > limits_.max_alias_bytes) {
      throw Error(mark, "document contains excessive aliasing: its aliases repeat more than " +
                            std::to_string(limits_.max_alias_bytes) + " bytes of text");
    }
    if (alias_nodes_ > kMinAliasNodes && nodes_ > kMinNodes &&
        static_cast<double>(alias_nodes_) / static_cast<double>(nodes_) >
            AllowedAliasShare(nodes_)) {
      throw Error(mark, "document contains excessive aliasing: " + std::to_string(alias_nodes_) +
                            " of its " + std::to_string(nodes_) + " nodes come from aliases");
    }
  }

 private:
  struct OpenNode {
    YAML::anchor_t anchor;
    std::string name;
    size_t nodes_before, bytes_before;
    size_t height = 0;  // of the highest child so far
  };
  struct Anchored {
    std::string name;
    bool open = true;
    size_t nodes = 0, bytes = 0, height = 0;
  };

  static YAML::ParserException Error(const YAML::Mark& mark, const std::string& msg) {
    return YAML::ParserException(mark, msg);
  }

  void CheckNodes(const YAML::Mark& mark) const {
    if (nodes_ > limits_.max_nodes) {
      throw Error(mark, "document has more than " + std::to_string(limits_.max_nodes) +
                            " nodes (counting what its aliases repeat)");
    }
  }
  void Child(size_t height) {
    if (!open_.empty()) open_.back().height = std::max(open_.back().height, height);
  }
  std::string TakeName(YAML::anchor_t anchor) {
    std::string name = anchor == YAML::NullAnchor ? std::string() : std::move(anchor_name_);
    anchor_name_.clear();
    return name;
  }

  void Leaf(const YAML::Mark& mark, YAML::anchor_t anchor, size_t bytes) {
    ++nodes_;
    bytes_ += bytes;
    CheckNodes(mark);
    Child(1);
    if (anchor != YAML::NullAnchor) anchors_[anchor] = {TakeName(anchor), false, 1, bytes, 1};
  }
  void Open(const YAML::Mark& mark, YAML::anchor_t anchor) {
    ++nodes_;
    CheckNodes(mark);
    std::string name = TakeName(anchor);
    if (anchor != YAML::NullAnchor) anchors_[anchor] = {name, true};
    open_.push_back({anchor, std::move(name), nodes_ - 1, bytes_});
  }
  void Close() {
    if (open_.empty()) return;
    OpenNode n = std::move(open_.back());
    open_.pop_back();
    size_t height = n.height + 1;
    if (n.anchor != YAML::NullAnchor) {
      anchors_[n.anchor] = {std::move(n.name), false, nodes_ - n.nodes_before,
                            bytes_ - n.bytes_before, height};
    }
    Child(height);
  }

  const YamlLimits& limits_;
  std::vector<OpenNode> open_;
  std::unordered_map<YAML::anchor_t, Anchored> anchors_;
  std::string anchor_name_;  // from OnAnchor, for the node event that follows
  size_t documents_ = 0;
  int last_start_ = 0;  // where the last document started
  size_t nodes_ = 0, bytes_ = 0, alias_nodes_ = 0, alias_bytes_ = 0;
};

// The text must be UTF-8 without NUL bytes. go-yaml refuses bytes that are not UTF-8, and control
// characters; yaml-cpp passes stray bytes into scalars (where JSON cannot hold them), and reads a
// text with NULs among its first four bytes as UTF-16 or UTF-32, making scalars of garbage.
// (So UTF-16 and UTF-32 documents, which go-yaml reads after a byte order mark, are refused.)
void CheckUtf8(const std::string& text) {
  YAML::Mark mark;
  for (size_t i = 0; i < text.size(); ++mark.column) {
    if (text[i] == '\0') {
      mark.pos = static_cast<int>(i);
      throw YAML::ParserException(mark, "control characters are not allowed");
    }
    if (size_t n = Utf8SequenceAt(text, i)) {
      if (text[i] == '\n') {
        ++mark.line;
        mark.column = -1;
      }
      i += n;
      continue;
    }
    mark.pos = static_cast<int>(i);
    auto c = static_cast<unsigned char>(text[i]);
    bool leading = c >= 0xc2 && c <= 0xf4;
    size_t want = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
    throw YAML::ParserException(mark, !leading                 ? "invalid leading UTF-8 octet"
                                      : i + want > text.size() ? "incomplete UTF-8 octet sequence"
                                                               : "invalid trailing UTF-8 octet");
  }
}

// Runs the checks over the first document, or over all of them.
void Check(const std::string& text, const YamlLimits& limits, bool all) {
  CheckUtf8(text);
  std::istringstream in(text);
  YAML::Parser parser(in);
  ExpansionCheck check(limits);
  while (parser.HandleNextDocument(check) && all) {
  }
}

}  // namespace

YAML::Node LoadYaml(const std::string& text, const YamlLimits& limits) {
  Check(text, limits, false);
  return YAML::Load(text);
}

std::vector<YAML::Node> LoadAllYaml(const std::string& text, const YamlLimits& limits) {
  Check(text, limits, true);
  return YAML::LoadAll(text);
}

nlohmann::json LoadYamlAsJson(const std::string& text, const YamlLimits& limits) {
  return YamlToJson(LoadYaml(text, limits));
}

}  // namespace kubedouble::base
