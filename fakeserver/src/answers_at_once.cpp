// Requests answered without waiting (see answers_at_once.h).
#include "answers_at_once.h"

#include <string_view>

#include "kubedouble/net/relay.h"

namespace kubedouble::fake {

namespace {

// Subresources whose answer waits on something else: an upstream, or a stream's peer. Any
// segment of the path (after a '/') that is one of them counts.
bool WaitingSubresource(std::string_view path) {
  for (size_t at = path.find('/'); at != std::string_view::npos;) {
    const size_t end = path.find('/', at + 1);
    const std::string_view segment =
        path.substr(at + 1, end == std::string_view::npos ? std::string_view::npos : end - at - 1);
    if (segment == "proxy" || segment == "exec" || segment == "attach" ||
        segment == "portforward") {
      return true;
    }
    at = end;
  }
  return false;
}

}  // namespace

bool AnswersAtOnce(const httplib::Request& req, const FaultSet& faults) {
  return (req.method == "GET" || req.method == "HEAD") && faults.empty() &&
         !net::WantsStream(req) && !WaitingSubresource(req.path);
}

}  // namespace kubedouble::fake
