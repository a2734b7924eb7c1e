// UnknownFields: a JSON object walked along a kind's message tables.
#include "kubedouble/schema/fields.h"
#include "kubedouble/schema/protobuf.h"

#include <type_traits>

namespace kubedouble::schema {

using json = nlohmann::json;

namespace {

const ProtoMessage& MessageAt(int16_t index) { return ProtoMessages()[static_cast<size_t>(index)]; }

// The field of `m` (or of a message inlined into it) with this JSON name.
const ProtoField* FindField(const ProtoMessage& m, std::string_view name) {
  for (const auto& f : m.fields) {
    if (f.inlined) {
      if (f.message < 0) continue;
      if (const ProtoField* inner = FindField(MessageAt(f.message), name)) return inner;
    } else if (f.json_name == name) {
      return &f;
    }
  }
  return nullptr;
}

// Walks `value` (an object of message `m`); with a non-const `value` the unknown fields are also
// erased from it.
template <typename Json>
void Walk(const ProtoMessage& m, Json& value, const std::string& path,
          std::vector<std::string>& out);

// A value of field `f`: a message is walked, anything else (scalars, special forms) is not.
template <typename Json>
void WalkValue(const ProtoField& f, Json& v, const std::string& path,
               std::vector<std::string>& out) {
  if (f.type != ProtoType::kMessage || f.message < 0) return;
  const ProtoMessage& m = MessageAt(f.message);
  if (m.form == JsonForm::kObject) Walk(m, v, path, out);
}

template <typename Json>
void Walk(const ProtoMessage& m, Json& value, const std::string& path,
          std::vector<std::string>& out) {
  if (!value.is_object()) return;
  std::vector<std::string> unknown;
  for (auto& [key, v] : value.items()) {
    if (key.starts_with("$")) continue;
    // apiVersion and kind of an object are its type, not fields of its message.
    if (path.empty() && (key == "apiVersion" || key == "kind")) continue;
    std::string p = path.empty() ? key : path + "." + key;
    const ProtoField* f = FindField(m, key);
    if (!f) {
      out.push_back(std::move(p));
      unknown.push_back(key);
      continue;
    }
    if (f->map && v.is_object()) {
      for (auto& [k, item] : v.items()) WalkValue(*f, item, p + "." + k, out);
    } else if (f->repeated && v.is_array()) {
      for (size_t i = 0; i < v.size(); ++i) {
        WalkValue(*f, v[i], p + "[" + std::to_string(i) + "]", out);
      }
    } else {
      WalkValue(*f, v, p, out);
    }
  }
  if constexpr (!std::is_const_v<Json>) {
    for (const auto& key : unknown) value.erase(key);
  }
}

}  // namespace

std::vector<std::string> UnknownFields(std::string_view group, std::string_view version,
                                       std::string_view kind, const json& object) {
  std::vector<std::string> out;
  const ProtoMessage* m = FindKindMessage(group, version, kind);
  if (!m || !object.is_object()) return out;
  Walk(*m, object, "", out);
  return out;
}

std::vector<std::string> PruneUnknownFields(std::string_view group, std::string_view version,
                                            std::string_view kind, json& object) {
  std::vector<std::string> out;
  const ProtoMessage* m = FindKindMessage(group, version, kind);
  if (!m || !object.is_object()) return out;
  Walk(*m, object, "", out);
  return out;
}

}  // namespace kubedouble::schema
