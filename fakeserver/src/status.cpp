#include "status.h"

namespace kubedouble::fake {

nlohmann::json UnauthorizedStatus() { return MakeStatus(401, "Unauthorized", "Unauthorized"); }

nlohmann::json NotFoundStatus() {
  return MakeStatus(404, "NotFound", "the server could not find the requested resource",
                    nlohmann::json::object());
}

nlohmann::json MethodNotAllowedStatus() {
  return MakeStatus(405, "MethodNotAllowed",
                    "the server does not allow this method on the requested resource",
                    nlohmann::json::object());
}

nlohmann::json BadRequestStatus(const std::string& message) {
  return MakeStatus(400, "BadRequest", message);
}

nlohmann::json InternalErrorStatus(const std::string& why) {
  return MakeStatus(500, "InternalError", "Internal error occurred: " + why,
                    {{"causes", {{{"message", why}}}}});
}

}  // namespace kubedouble::fake
