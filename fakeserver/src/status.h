// The one error path of the server. A request that fails ends as one StatusError: a handler
// throws it (handler.cpp catches it), or hands it to SendError where the answer must still pass
// through what comes after the handler (a fault's after-effects). SendError is the only place a
// failure's Status body is written; every wording follows a real API server's (wire-format.md).
#pragma once

#include <string>

#include "kubedouble/base/status.h"
#include "kubedouble/fakeserver/store.h"

namespace httplib {
struct Response;
}

namespace kubedouble::fake {

// Writes `error` as the answer: its code, its Status body (JSON; the handler re-encodes it when
// the request asked for YAML or protobuf), and Retry-After when its details carry
// retryAfterSeconds, as kube-apiserver sends it.
void SendError(httplib::Response& res, const StatusError& error);  // answer.cpp

// 401 "Unauthorized".
StatusError UnauthorizedError();
// 404 "the server could not find the requested resource": a path nothing serves.
StatusError PathNotFoundError();
// 405 "the server does not allow this method on the requested resource".
StatusError MethodNotAllowedError();
// 500 "Internal error occurred: WHY", with WHY as its one cause.
StatusError InternalError(const std::string& why);

}  // namespace kubedouble::fake
