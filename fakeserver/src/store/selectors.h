// Label and field selectors, parsed once per request and matched against stored objects.
#pragma once

#include <string>
#include <vector>

#include "kubedouble/fakeserver/store.h"

namespace kubedouble::fake {

// A label selector (the whole grammar: k=v, k==v, k!=v, k in (a,b), k notin (a,b), k, !k,
// k>N, k<N; comma is AND). Parse throws StatusError 400 naming the selector and the problem.
class LabelSelector {
 public:
  static LabelSelector Parse(const std::string& text);
  bool Matches(const json& object) const;  // against metadata.labels
  bool empty() const { return reqs_.empty(); }

 private:
  enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kDoesNotExist, kGt, kLt };
  struct Requirement {
    std::string key;
    Op op;
    std::vector<std::string> values;
  };
  std::vector<Requirement> reqs_;
};

// A field selector (k=v, k==v, k!=v, comma is AND) limited to the fields the kind supports;
// an unsupported field is 400 "field label not supported: X".
class FieldSelector {
 public:
  static FieldSelector Parse(const ResourceInfo& res, const std::string& text);
  bool Matches(const json& object) const;
  bool empty() const { return reqs_.empty(); }
  // The value a metadata.name=X requirement pins, if any (lets lists skip a scan).
  const std::string* PinnedName() const;

 private:
  struct Requirement {
    std::string field;
    bool negate;
    std::string value;
  };
  std::vector<Requirement> reqs_;
};

// Both selectors of a list or watch.
struct Selectors {
  LabelSelector labels;
  FieldSelector fields;
  bool Matches(const json& object) const {
    return labels.Matches(object) && fields.Matches(object);
  }
  bool empty() const { return labels.empty() && fields.empty(); }
};

}  // namespace kubedouble::fake
