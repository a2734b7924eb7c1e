// Kubernetes Status objects: the failure reasons and the HTTP codes that go with them, the one
// builder of a Status body and the one reader of one.
//
// A failed API call answers with a Status:
//   {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
//    "message":"pods \"x\" not found","reason":"NotFound","details":{...},"code":404}
// The server (fakeserver) writes them with MakeStatus; a client (accesslib, the scenario
// drivers) reads them with ParseStatus, and words an answer that came without one as client-go
// does (GenericFailure).
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace kubedouble::base {

// A failure as a Status carries it.
struct Status {
  int code = 0;            // the HTTP code, 404
  std::string reason;      // "NotFound"; may be empty
  std::string message;     // `pods "x" not found`; may be empty
  nlohmann::json details;  // {"name":"x","kind":"pods"}, or null when absent
};

// The reason kube-apiserver gives a failure with `code`: "NotFound" for 404, "Conflict" for 409,
// "Expired" for 410 (a resourceVersion too old: the 410 it sends), "TooManyRequests" for 429;
// "" for a code it has no reason for.
std::string_view ReasonForCode(int code);

// The HTTP code of a reason: 409 for both "Conflict" and "AlreadyExists", 410 for "Expired" and
// "Gone"; 0 for a reason that is not one of metav1's.
int CodeForReason(std::string_view reason);

// What client-go makes of a failure answer whose body is not a Status: the reason and message
// it words for the code ("NotFound", "the server could not find the requested resource"; for
// 410 "Gone"), and for a code it has no words for "Unknown", "an error on the server has
// prevented the request from succeeding".
struct GenericWords {
  std::string_view reason;
  std::string_view message;
};
GenericWords GenericFailure(int code);

// The Status body of a failure (as above); "details" only when `details` is not null.
nlohmann::json MakeStatus(int code, std::string_view reason, std::string_view message,
                          const nlohmann::json& details = nullptr);
nlohmann::json MakeStatus(const Status& status);

// A success Status, as a DELETE or a binding answers: {"kind":"Status","apiVersion":"v1",
// "metadata":{},"status":"Success"} with "details" when not null and "code" when not 0.
nlohmann::json MakeSuccessStatus(const nlohmann::json& details = nullptr, int code = 0);

// The failure in `body` when it is a Status with "status":"Failure"; nullopt for anything else
// (another object, a success Status, not an object). Missing or mistyped fields read as empty
// (code 0, details null).
std::optional<Status> ParseStatus(const nlohmann::json& body);
// The same for body text; nullopt also when the text is not JSON.
std::optional<Status> ParseStatus(std::string_view body);
std::optional<Status> ParseStatus(const std::string& body);

}  // namespace kubedouble::base
