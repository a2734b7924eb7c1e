// The resources the server answers itself: SelfSubjectReview (kubectl auth whoami),
// SelfSubjectAccessReview (kubectl auth can-i), SubjectAccessReview and
// LocalSubjectAccessReview (the same question for another user), SelfSubjectRulesReview
// (kubectl auth can-i --list) and TokenRequest (kubectl create token), all authorization
// answers from the same RBAC state as the requests themselves.
#include <fmt/format.h>

#include <chrono>

#include "kubedouble/base/rfc3339.h"
#include "protobuf.h"
#include "reviews.h"
#include "status.h"
#include "util.h"

namespace kubedouble::fake {

namespace {
using Clock = std::chrono::system_clock;

json BodyOrEmpty(const httplib::Request& req) {
  if (req.body.empty()) return json::object();
  if (IsProtobufContentType(req.get_header_value("Content-Type"))) {
    return DecodeProtobufBody(req.body);
  }
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    throw StatusError::BadRequest("the request body is not a JSON object");
  }
  return body;
}

}  // namespace

json UserInfoJson(const UserInfo& u) {
  json j = {{"username", u.name}, {"groups", u.groups}};
  if (!u.uid.empty()) j["uid"] = u.uid;
  if (!u.extra.empty()) j["extra"] = u.extra;
  return j;
}

void ServeSelfSubjectReview(const ServerClock& clock, Call& call) {
  BodyOrEmpty(call.req);
  std::string api_version = "authentication.k8s.io/" + call.info.api_version;
  SendJson(call.res, 201,
           {{"kind", "SelfSubjectReview"},
            {"apiVersion", api_version},
            {"metadata", {{"creationTimestamp", base::FormatRfc3339(clock.Now())}}},
            {"status", {{"userInfo", UserInfoJson(call.auth.user)}}}});
}

namespace {
// The attributes a review's spec asks about (422 when it names neither kind).
Attributes ReviewAttributes(const json& spec, const std::string& kind) {
  Attributes a;
  if (spec.contains("resourceAttributes") && spec["resourceAttributes"].is_object()) {
    const json& ra = spec["resourceAttributes"];
    a.resource_request = true;
    a.verb = ra.value("verb", "");
    a.api_group = ra.value("group", "");
    a.api_version = ra.value("version", "");
    a.resource = ra.value("resource", "");
    a.subresource = ra.value("subresource", "");
    a.ns = ra.value("namespace", "");
    a.name = ra.value("name", "");
  } else if (spec.contains("nonResourceAttributes") && spec["nonResourceAttributes"].is_object()) {
    const json& na = spec["nonResourceAttributes"];
    a.verb = na.value("verb", "");
    a.path = na.value("path", "");
  } else {
    json causes = {{{"reason", "FieldValueRequired"},
                    {"message",
                     "Required value: exactly one of nonResourceAttributes or "
                     "resourceAttributes must be specified"},
                    {"field", "spec.resourceAttributes"}}};
    throw StatusError::Invalid(kind, "", causes);
  }
  return a;
}

json ReviewStatus(const Decision& d) {
  json status = {{"allowed", d.allowed}};
  if (!d.reason.empty()) status["reason"] = d.reason;
  return status;
}

std::vector<std::string> StringList(const json& spec, const char* field) {
  std::vector<std::string> out;
  if (spec.contains(field) && spec[field].is_array()) {
    for (const auto& g : spec[field]) {
      if (g.is_string()) out.push_back(g.get<std::string>());
    }
  }
  return out;
}
}  // namespace

void AuthorizationReviews::SelfSubjectAccessReview(Call& call) const {
  json body = BodyOrEmpty(call.req);
  json spec = body.value("spec", json::object());
  if (!spec.is_object()) throw StatusError::BadRequest("spec must be an object");
  Attributes a = ReviewAttributes(spec, "SelfSubjectAccessReview");
  a.user = call.auth.user;
  json out = {{"kind", "SelfSubjectAccessReview"},
              {"apiVersion", "authorization.k8s.io/" + call.info.api_version},
              {"metadata", {{"creationTimestamp", base::FormatRfc3339(clock.Now())}}},
              {"spec", spec},
              {"status", ReviewStatus(authz.Decide(a))}};
  SendJson(call.res, 201, out);
}

void AuthorizationReviews::SubjectAccessReview(Call& call) const {
  bool local = call.info.resource == "localsubjectaccessreviews";
  std::string kind = local ? "LocalSubjectAccessReview" : "SubjectAccessReview";
  json body = BodyOrEmpty(call.req);
  json spec = body.value("spec", json::object());
  if (!spec.is_object()) throw StatusError::BadRequest("spec must be an object");
  Attributes a = ReviewAttributes(spec, kind);
  a.user.name = spec.value("user", "");
  a.user.uid = spec.value("uid", "");
  a.user.groups = StringList(spec, "groups");
  if (spec.contains("extra") && spec["extra"].is_object()) {
    for (const auto& [k, v] : spec["extra"].items())
      a.user.extra[k] = StringList(spec["extra"], k.c_str());
  }
  json causes = json::array();
  if (a.user.name.empty() && a.user.groups.empty()) {
    causes.push_back(
        {{"reason", "FieldValueInvalid"},
         {"message", "Invalid value: \"\": at least one of user or group must be specified"},
         {"field", "spec.user"}});
  }
  json meta = body.value("metadata", json::object());
  if (!meta.is_object()) meta = json::object();
  if (local) {
    meta["namespace"] = call.info.ns;
    if (spec.contains("nonResourceAttributes")) {
      causes.push_back({{"reason", "FieldValueInvalid"},
                        {"message", "Invalid value: " + spec["nonResourceAttributes"].dump() +
                                        ": disallowed on this kind of request"},
                        {"field", "spec.nonResourceAttributes"}});
    } else if (a.ns != call.info.ns) {
      causes.push_back(
          {{"reason", "FieldValueInvalid"},
           {"message", "Invalid value: " + json(a.ns).dump() + ": must match metadata.namespace"},
           {"field", "spec.resourceAttributes.namespace"}});
    }
  }
  if (!causes.empty()) throw StatusError::Invalid(kind, "", causes);
  meta["creationTimestamp"] = base::FormatRfc3339(clock.Now());
  json out = {{"kind", kind},
              {"apiVersion", "authorization.k8s.io/" + call.info.api_version},
              {"metadata", meta},
              {"spec", spec},
              {"status", ReviewStatus(authz.Decide(a))}};
  SendJson(call.res, 201, out);
}

void AuthorizationReviews::SelfSubjectRulesReview(Call& call) const {
  json body = BodyOrEmpty(call.req);
  json spec = body.value("spec", json::object());
  if (!spec.is_object()) throw StatusError::BadRequest("spec must be an object");
  std::string ns = spec.value("namespace", "");
  SendJson(call.res, 201,
           {{"kind", "SelfSubjectRulesReview"},
            {"apiVersion", "authorization.k8s.io/" + call.info.api_version},
            {"metadata", {{"creationTimestamp", base::FormatRfc3339(clock.Now())}}},
            {"spec", {{"namespace", ns}}},
            {"status", authz.RulesFor(call.auth.user, ns)}});
}

void ServeTokenRequest(const Store& store, const TokenIssuer& issuer, const ServerClock& clock,
                       Call& call, const ResourceInfo& res) {
  json sa = store.Get(res, call.info.ns, call.info.name);  // 404 when it does not exist
  json body = BodyOrEmpty(call.req);
  json spec = body.value("spec", json::object());
  if (!spec.is_object()) throw StatusError::BadRequest("spec must be an object");
  int64_t seconds = 3600;
  if (spec.contains("expirationSeconds") && !spec["expirationSeconds"].is_null()) {
    if (!spec["expirationSeconds"].is_number_integer()) {
      throw StatusError::BadRequest("spec.expirationSeconds must be an integer");
    }
    seconds = spec["expirationSeconds"].get<int64_t>();
  }
  if (seconds < 600 || seconds > (int64_t{1} << 32)) {
    json causes = {
        {{"reason", "FieldValueInvalid"},
         {"message", seconds < 600 ? "Invalid value: " + std::to_string(seconds) +
                                         ": may not specify a duration less than 10 minutes"
                                   : "Invalid value: " + std::to_string(seconds) +
                                         ": may not specify a duration larger than 2^32 seconds"},
         {"field", "spec.expirationSeconds"}}};
    throw StatusError::Invalid("TokenRequest", call.info.name, causes);
  }
  std::vector<std::string> audiences;
  if (spec.contains("audiences") && spec["audiences"].is_array()) {
    for (const auto& a : spec["audiences"]) {
      if (a.is_string()) audiences.push_back(a.get<std::string>());
    }
  }
  if (audiences.empty()) audiences = ApiAudiences();
  ServiceAccountRef ref{call.info.ns, call.info.name, sa["metadata"].value("uid", "")};
  auto now = clock.Now();
  std::string token = issuer.IssueBound(ref, audiences, std::chrono::seconds(seconds), now);
  json out = {
      {"kind", "TokenRequest"},
      {"apiVersion", "authentication.k8s.io/v1"},
      {"metadata",
       {{"name", call.info.name},
        {"namespace", call.info.ns},
        {"creationTimestamp", base::FormatRfc3339(now)}}},
      {"spec",
       {{"audiences", audiences},
        {"expirationSeconds", seconds},
        {"boundObjectRef", spec.value("boundObjectRef", json(nullptr))}}},
      {"status",
       {{"token", token},
        {"expirationTimestamp", base::FormatRfc3339(now + std::chrono::seconds(seconds))}}}};
  SendJson(call.res, 201, out);
}

}  // namespace kubedouble::fake
