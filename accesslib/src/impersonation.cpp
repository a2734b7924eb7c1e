// The impersonation layer: the Impersonate-* headers a Config asks for, on every request.
#include <fmt/format.h>

#include <strings.h>
#include <cctype>

#include <cstring>

#include "kubedouble/accesslib/transport.h"

namespace kubedouble::access {

namespace {

// A header name carries only token characters (RFC 7230); anything else in an extra's key, and
// '%' itself, goes as %XX — which the API server decodes.
std::string EscapeExtraKey(const std::string& key) {
  static constexpr char kTokenMarks[] = "!#$&'*+-.^_`|~";
  std::string out;
  for (unsigned char c : key) {
    if (std::isalnum(c) || (c != '\0' && std::strchr(kTokenMarks, c) != nullptr)) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

bool HasImpersonationHeader(const Headers& headers) {
  for (const auto& [name, value] : headers) {
    if (name.size() >= 12 && strncasecmp(name.c_str(), "Impersonate-", 12) == 0) return true;
  }
  return false;
}

class ImpersonationLayer : public Transport {
 public:
  ImpersonationLayer(std::shared_ptr<Transport> next, const Config& config)
      : next_(std::move(next)) {
    headers_.emplace("Impersonate-User", config.impersonate_user);
    if (!config.impersonate_uid.empty())
      headers_.emplace("Impersonate-Uid", config.impersonate_uid);
    for (const auto& g : config.impersonate_groups) headers_.emplace("Impersonate-Group", g);
    for (const auto& [key, values] : config.impersonate_extra) {
      for (const auto& v : values) headers_.emplace("Impersonate-Extra-" + EscapeExtraKey(key), v);
    }
  }

  Response Send(const Request& request) override { return next_->Send(With(request)); }
  std::unique_ptr<Tunnel> Upgrade(const Request& request, Response* head) override {
    return next_->Upgrade(With(request), head);
  }

 private:
  // A request that already impersonates someone is sent as it is.
  Request With(const Request& request) const {
    if (HasImpersonationHeader(request.headers)) return request;
    Request req = request;
    req.headers.insert(headers_.begin(), headers_.end());
    return req;
  }

  std::shared_ptr<Transport> next_;
  Headers headers_;
};

}  // namespace

std::shared_ptr<Transport> WithImpersonation(std::shared_ptr<Transport> next,
                                             const Config& config) {
  return std::make_shared<ImpersonationLayer>(std::move(next), config);
}

}  // namespace kubedouble::access
