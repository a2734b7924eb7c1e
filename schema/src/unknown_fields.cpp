// UnknownFields: a JSON object walked along a kind's message tables.
#include "kubedouble/schema/fields.h"
#include "kubedouble/schema/protobuf.h"

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

void Walk(const ProtoMessage& m, const json& value, const std::string& path,
          std::vector<std::string>& out);

// A value of field `f`: a message is walked, anything else (scalars, special forms) is not.
void WalkValue(const ProtoField& f, const json& v, const std::string& path,
               std::vector<std::string>& out) {
  if (f.type != ProtoType::kMessage || f.message < 0) return;
  const ProtoMessage& m = MessageAt(f.message);
  if (m.form == JsonForm::kObject) Walk(m, v, path, out);
}

void Walk(const ProtoMessage& m, const json& value, const std::string& path,
          std::vector<std::string>& out) {
  if (!value.is_object()) return;
  for (const auto& [key, v] : value.items()) {
    if (key.starts_with("$")) continue;
    // apiVersion and kind of an object are its type, not fields of its message.
    if (path.empty() && (key == "apiVersion" || key == "kind")) continue;
    std::string p = path.empty() ? key : path + "." + key;
    const ProtoField* f = FindField(m, key);
    if (!f) {
      out.push_back(std::move(p));
      continue;
    }
    if (f->map && v.is_object()) {
      for (const auto& [k, item] : v.items()) WalkValue(*f, item, p + "." + k, out);
    } else if (f->repeated && v.is_array()) {
      for (size_t i = 0; i < v.size(); ++i) {
        WalkValue(*f, v[i], p + "[" + std::to_string(i) + "]", out);
      }
    } else {
      WalkValue(*f, v, p, out);
    }
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

}  // namespace kubedouble::schema
