#include "status.h"

namespace kubedouble::fake {

StatusError UnauthorizedError() { return StatusError(401, "Unauthorized", "Unauthorized"); }

StatusError PathNotFoundError() {
  return StatusError(404, "NotFound", "the server could not find the requested resource",
                     json::object());
}

StatusError MethodNotAllowedError() {
  return StatusError(405, "MethodNotAllowed",
                     "the server does not allow this method on the requested resource",
                     json::object());
}

StatusError InternalError(const std::string& why) {
  return StatusError(500, "InternalError", "Internal error occurred: " + why,
                     {{"causes", {{{"message", why}}}}});
}

}  // namespace kubedouble::fake
