// One table of metav1's failure reasons; the Status body built and read in one place.
#include "kubedouble/base/status.h"

#include <array>

namespace kubedouble::base {
namespace {

using json = nlohmann::json;

struct Row {
  std::string_view reason;
  int code;
  // client-go's words when a failure with this code has no Status body; empty on a reason
  // client-go does not choose for its code.
  std::string_view generic_message;
};

// For a code with more than one reason, the first row is what kube-apiserver sends for it and
// the first with a message is client-go's choice.
constexpr std::array kRows{
    Row{"BadRequest", 400, "the server rejected our request for an unknown reason"},
    Row{"Unauthorized", 401, "the server has asked for the client to provide credentials"},
    Row{"Forbidden", 403, "forbidden"},
    Row{"NotFound", 404, "the server could not find the requested resource"},
    Row{"MethodNotAllowed", 405, "the server does not allow this method on the requested resource"},
    Row{"NotAcceptable", 406,
        "the server was unable to respond with a content type that the client supports"},
    Row{"Conflict", 409, "the server reported a conflict"},
    Row{"AlreadyExists", 409, ""},
    Row{"Expired", 410, ""},
    Row{"Gone", 410, "the resource requested is no longer available"},
    Row{"RequestEntityTooLarge", 413,
        "the server has rejected the request because it is too large"},
    Row{"UnsupportedMediaType", 415,
        "the server responded with the status code 415 but did not return more information"},
    Row{"Invalid", 422, "the server rejected our request due to an error in our request"},
    Row{"TooManyRequests", 429,
        "the server has received too many requests and has asked us to try again later"},
    Row{"InternalError", 500, "an error on the server has prevented the request from succeeding"},
    Row{"ServiceUnavailable", 503, "the server is currently unable to handle the request"},
    Row{"Timeout", 504,
        "the server was unable to return a response in the time allotted, but may still be "
        "processing the request"},
};

json Envelope(std::string_view outcome) {
  return {
      {"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", json::object()}, {"status", outcome}};
}

}  // namespace

std::string_view ReasonForCode(int code) {
  for (const Row& r : kRows) {
    if (r.code == code) return r.reason;
  }
  return "";
}

int CodeForReason(std::string_view reason) {
  for (const Row& r : kRows) {
    if (r.reason == reason) return r.code;
  }
  return 0;
}

GenericWords GenericFailure(int code) {
  for (const Row& r : kRows) {
    if (r.code == code && !r.generic_message.empty()) return {r.reason, r.generic_message};
  }
  return {"Unknown", "an error on the server has prevented the request from succeeding"};
}

json MakeStatus(int code, std::string_view reason, std::string_view message, const json& details) {
  json s = Envelope("Failure");
  s["message"] = message;
  s["reason"] = reason;
  if (!details.is_null()) s["details"] = details;
  s["code"] = code;
  return s;
}

json MakeStatus(const Status& status) {
  return MakeStatus(status.code, status.reason, status.message, status.details);
}

json MakeSuccessStatus(const json& details, int code) {
  json s = Envelope("Success");
  if (!details.is_null()) s["details"] = details;
  if (code != 0) s["code"] = code;
  return s;
}

std::optional<Status> ParseStatus(const json& body) {
  if (!body.is_object()) return std::nullopt;
  auto text = [&body](const char* key) -> std::string {
    auto it = body.find(key);
    return it != body.end() && it->is_string() ? it->get<std::string>() : "";
  };
  if (text("kind") != "Status" || text("status") != "Failure") return std::nullopt;
  Status s;
  s.reason = text("reason");
  s.message = text("message");
  if (auto it = body.find("code"); it != body.end() && it->is_number_integer()) {
    s.code = it->get<int>();
  }
  if (auto it = body.find("details"); it != body.end()) s.details = *it;
  return s;
}

std::optional<Status> ParseStatus(std::string_view body) {
  json parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded()) return std::nullopt;
  return ParseStatus(parsed);
}

std::optional<Status> ParseStatus(const std::string& body) {
  return ParseStatus(std::string_view(body));
}

}  // namespace kubedouble::base
