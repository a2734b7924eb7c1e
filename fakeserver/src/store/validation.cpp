#include "validation.h"

#include <re2/re2.h>

namespace kubedouble::fake {
namespace {

const char kLabelFmt[] = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const char kSubdomainFmt[] = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const char kDns1035Fmt[] = "[a-z]([-a-z0-9]*[a-z0-9])?";
const char kQualifiedNameFmt[] = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const char kLabelValueFmt[] = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";

// apimachinery's RegexError: "msg (e.g. 'a',  or 'b', regex used for validation is 'fmt')".
std::string RegexError(const std::string& msg, const std::string& fmt,
                       const std::vector<std::string>& examples) {
  std::string s = msg;
  if (examples.empty()) return s + " (regex used for validation is '" + fmt + "')";
  s += " (e.g. ";
  for (size_t i = 0; i < examples.size(); ++i) {
    if (i > 0) s += " or ";
    s += "'" + examples[i] + "', ";
  }
  return s + "regex used for validation is '" + fmt + "')";
}

bool Matches(const std::string& s, const char* fmt) {
  // One compiled pattern per format, shared by all threads (RE2 is thread-safe).
  static const RE2 label(kLabelFmt), subdomain(kSubdomainFmt), dns1035(kDns1035Fmt),
      qualified(kQualifiedNameFmt), value(kLabelValueFmt);
  const RE2* re = fmt == kLabelFmt           ? &label
                  : fmt == kSubdomainFmt     ? &subdomain
                  : fmt == kDns1035Fmt       ? &dns1035
                  : fmt == kQualifiedNameFmt ? &qualified
                                             : &value;
  return RE2::FullMatch(s, *re);
}

std::string MaxLen(size_t n) { return "must be no more than " + std::to_string(n) + " characters"; }

}  // namespace

bool IsDns1123Label(const std::string& s) { return Dns1123LabelErrors(s).empty(); }
bool IsDns1123Subdomain(const std::string& s) { return Dns1123SubdomainErrors(s).empty(); }

std::vector<std::string> Dns1123LabelErrors(const std::string& s) {
  std::vector<std::string> errs;
  if (s.size() > 63) errs.push_back(MaxLen(63));
  if (!Matches(s, kLabelFmt)) {
    errs.push_back(RegexError(
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
        "and must start and end with an alphanumeric character",
        kLabelFmt, {"my-name", "123-abc"}));
  }
  return errs;
}

std::vector<std::string> Dns1123SubdomainErrors(const std::string& s) {
  std::vector<std::string> errs;
  if (s.size() > 253) errs.push_back(MaxLen(253));
  if (!Matches(s, kSubdomainFmt)) {
    errs.push_back(RegexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
        "or '.', and must start and end with an alphanumeric character",
        kSubdomainFmt, {"example.com"}));
  }
  return errs;
}

std::vector<std::string> Dns1035LabelErrors(const std::string& s) {
  std::vector<std::string> errs;
  if (s.size() > 63) errs.push_back(MaxLen(63));
  if (!Matches(s, kDns1035Fmt)) {
    errs.push_back(RegexError(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
        "an alphabetic character, and end with an alphanumeric character",
        kDns1035Fmt, {"my-name", "abc-123"}));
  }
  return errs;
}

std::vector<std::string> LabelValueErrors(const std::string& s) {
  std::vector<std::string> errs;
  if (s.size() > 63) errs.push_back(MaxLen(63));
  if (!Matches(s, kLabelValueFmt)) {
    errs.push_back(RegexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
        "or '.', and must start and end with an alphanumeric character",
        kLabelValueFmt, {"MyValue", "my_value", "12345"}));
  }
  return errs;
}

std::vector<std::string> QualifiedNameErrors(const std::string& s) {
  std::vector<std::string> errs;
  std::string name = s;
  auto slash = s.find('/');
  if (slash != std::string::npos) {
    std::string prefix = s.substr(0, slash);
    name = s.substr(slash + 1);
    if (prefix.empty()) {
      errs.push_back("prefix part must be non-empty");
    } else {
      for (auto& e : Dns1123SubdomainErrors(prefix)) errs.push_back("prefix part " + e);
    }
  }
  if (name.empty()) {
    errs.push_back("name part must be non-empty");
  } else {
    if (name.size() > 63) errs.push_back("name part " + MaxLen(63));
    if (!Matches(name, kQualifiedNameFmt)) {
      errs.push_back(RegexError(
          "name part must consist of alphanumeric characters, '-', '_' or '.', and must start "
          "and end with an alphanumeric character",
          kQualifiedNameFmt, {"MyName", "my.name", "123-abc"}));
    }
  }
  return errs;
}

json InvalidCause(const std::string& field, const std::string& value, const std::string& detail) {
  return {{"reason", "FieldValueInvalid"},
          {"message", "Invalid value: " + json(value).dump() + ": " + detail},
          {"field", field}};
}

json InvalidShownCause(const std::string& field, const std::string& shown,
                       const std::string& detail) {
  return {{"reason", "FieldValueInvalid"},
          {"message", "Invalid value: " + shown + ": " + detail},
          {"field", field}};
}

json DuplicateCause(const std::string& field, const std::string& value) {
  return {{"reason", "FieldValueDuplicate"},
          {"message", "Duplicate value: " + json(value).dump()},
          {"field", field}};
}

json RequiredCause(const std::string& field, const std::string& detail) {
  return {{"reason", "FieldValueRequired"},
          {"message", "Required value" + (detail.empty() ? "" : ": " + detail)},
          {"field", field}};
}

json ForbiddenCause(const std::string& field, const std::string& detail) {
  return {{"reason", "FieldValueForbidden"}, {"message", "Forbidden: " + detail}, {"field", field}};
}

json NotSupportedCause(const std::string& field, const std::string& value,
                       const std::vector<std::string>& supported) {
  std::string list;
  for (size_t i = 0; i < supported.size(); ++i) {
    list += (i ? ", " : "") + json(supported[i]).dump();
  }
  return {{"reason", "FieldValueNotSupported"},
          {"message", "Unsupported value: " + json(value).dump() + ": supported values: " + list},
          {"field", field}};
}

std::vector<std::string> PathSegmentNameErrors(const std::string& s) {
  std::vector<std::string> out;
  if (s == "." || s == "..") out.push_back("may not be '" + s + "'");
  if (s.find('/') != std::string::npos) out.push_back("may not contain '/'");
  if (s.find('%') != std::string::npos) out.push_back("may not contain '%'");
  return out;
}

json NameCauses(const ResourceInfo& res, const std::string& name) {
  json causes = json::array();
  if (name.empty()) {
    causes.push_back(RequiredCause("metadata.name", "name or generateName is required"));
    return causes;
  }
  std::vector<std::string> errs;
  if (res.group.empty() && res.plural == "namespaces") {
    errs = Dns1123LabelErrors(name);
  } else if (res.group.empty() && res.plural == "services") {
    errs = Dns1035LabelErrors(name);
  } else if (res.group == "rbac.authorization.k8s.io") {
    errs = PathSegmentNameErrors(name);  // "system:basic-user"
  } else {
    errs = Dns1123SubdomainErrors(name);
  }
  for (const auto& e : errs) causes.push_back(InvalidCause("metadata.name", name, e));
  return causes;
}

json MetadataCauses(const ResourceInfo& res, const json& object) {
  const std::string name = object.contains("metadata") && object["metadata"].is_object()
                               ? object["metadata"].value("name", "")
                               : "";
  json causes = NameCauses(res, name);
  const json* labels = nullptr;
  if (object.contains("metadata") && object["metadata"].is_object() &&
      object["metadata"].contains("labels")) {
    labels = &object["metadata"]["labels"];
  }
  if (labels && !labels->is_null()) {
    if (!labels->is_object()) {
      causes.push_back(InvalidCause("metadata.labels", labels->dump(), "must be a map of strings"));
      return causes;
    }
    for (const auto& [key, value] : labels->items()) {
      for (const auto& e : QualifiedNameErrors(key)) {
        causes.push_back(InvalidCause("metadata.labels", key, e));
      }
      if (!value.is_string()) {
        causes.push_back(InvalidCause("metadata.labels", value.dump(), "must be a string"));
        continue;
      }
      for (const auto& e : LabelValueErrors(value.get<std::string>())) {
        causes.push_back(InvalidCause("metadata.labels", value.get<std::string>(), e));
      }
    }
  }
  return causes;
}

std::string QualifiedKind(const ResourceInfo& res) {
  return res.group.empty() ? res.kind : res.kind + "." + res.group;
}

std::string QualifiedResource(const ResourceInfo& res) {
  return res.group.empty() ? res.plural : res.plural + "." + res.group;
}

}  // namespace kubedouble::fake
