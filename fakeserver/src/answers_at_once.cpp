// Requests answered without waiting (see answers_at_once.h).
#include "answers_at_once.h"

#include <string_view>

#include "kubedouble/net/relay.h"

namespace kubedouble::fake {

namespace {

// Subresources whose answer waits on something else: an upstream, or a stream's peer.
bool WaitingSubresource(std::string_view path) {
  for (std::string_view name : {"proxy", "exec", "attach", "portforward"}) {
    for (size_t at = path.find(name); at != std::string_view::npos; at = path.find(name, at + 1)) {
      const size_t end = at + name.size();
      if (at > 0 && path[at - 1] == '/' && (end == path.size() || path[end] == '/')) return true;
    }
  }
  return false;
}

}  // namespace

bool AnswersAtOnce(const httplib::Request& req, const FaultSet& faults) {
  return (req.method == "GET" || req.method == "HEAD") && faults.empty() &&
         !net::WantsStream(req) && !WaitingSubresource(req.path);
}

}  // namespace kubedouble::fake
