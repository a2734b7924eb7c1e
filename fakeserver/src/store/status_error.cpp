// StatusError: the Status objects a real API server sends, worded as it words them.
#include <utility>

#include "kubedouble/base/status.h"
#include "kubedouble/fakeserver/store.h"

namespace kubedouble::fake {
namespace {

// "pods" -> {"pods", ""}; "widgets.example.com" -> {"widgets", "example.com"}.
std::pair<std::string, std::string> SplitQualified(const std::string& qualified) {
  auto dot = qualified.find('.');
  if (dot == std::string::npos) return {qualified, ""};
  return {qualified.substr(0, dot), qualified.substr(dot + 1)};
}

json NameDetails(const std::string& qualified, const std::string& name) {
  auto [kind, group] = SplitQualified(qualified);
  json d = json::object();
  d["name"] = name;
  if (!group.empty()) d["group"] = group;
  d["kind"] = kind;
  return d;
}

}  // namespace

StatusError::StatusError(int code, std::string reason, std::string message, json details)
    : std::runtime_error(std::move(message)),
      code_(code),
      reason_(std::move(reason)),
      details_(std::move(details)) {}

json StatusError::ToStatus() const { return base::MakeStatus(code_, reason_, what(), details_); }

StatusError StatusError::NotFound(const std::string& resource, const std::string& name) {
  if (name.empty()) {
    return StatusError(404, "NotFound", "the server could not find the requested resource");
  }
  return StatusError(404, "NotFound", resource + " \"" + name + "\" not found",
                     NameDetails(resource, name));
}

StatusError StatusError::AlreadyExists(const std::string& resource, const std::string& name) {
  return StatusError(409, "AlreadyExists", resource + " \"" + name + "\" already exists",
                     NameDetails(resource, name));
}

StatusError StatusError::Conflict(const std::string& resource, const std::string& name,
                                  const std::string& why) {
  return StatusError(409, "Conflict",
                     "Operation cannot be fulfilled on " + resource + " \"" + name + "\": " + why,
                     NameDetails(resource, name));
}

StatusError StatusError::BadRequest(const std::string& message) {
  return StatusError(400, "BadRequest", message);
}

// `kind` may be qualified ("ListOptions.meta.k8s.io"); causes are
// [{"reason":"FieldValueInvalid","message":"Invalid value: ...","field":"metadata.name"}].
StatusError StatusError::Invalid(const std::string& kind, const std::string& name, json causes) {
  if (!causes.is_array()) causes = json::array();
  std::string message = kind + " \"" + name + "\" is invalid";
  std::vector<std::string> parts;
  for (const auto& c : causes) {
    std::string field = c.value("field", "");
    std::string msg = c.value("message", "");
    parts.push_back(field.empty() ? msg : field + ": " + msg);
  }
  if (parts.size() == 1) {
    message += ": " + parts[0];
  } else if (parts.size() > 1) {
    message += ": [";
    for (size_t i = 0; i < parts.size(); ++i) message += (i ? ", " : "") + parts[i];
    message += "]";
  }
  auto [k, group] = SplitQualified(kind);
  json d = json::object();
  d["name"] = name;
  if (!group.empty()) d["group"] = group;
  d["kind"] = k;
  d["causes"] = causes;
  return StatusError(422, "Invalid", message, d);
}

StatusError StatusError::Expired(const std::string& message) {
  return StatusError(410, "Expired", message);
}

StatusError StatusError::UnsupportedMediaType(const std::string& message) {
  return StatusError(415, "UnsupportedMediaType", message);
}

StatusError StatusError::MethodNotAllowed() {
  return StatusError(405, "MethodNotAllowed",
                     "the server does not allow this method on the requested resource");
}

}  // namespace kubedouble::fake
