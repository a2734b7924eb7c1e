// kubectl proxy's request filter (k8s.io/kubectl/pkg/proxy FilterServer), with RE2.
#include <fmt/format.h>
#include <re2/re2.h>

#include <vector>

#include "kubedouble/accesslib/error.h"
#include "kubedouble/accesslib/proxy.h"

namespace kubedouble::access {

namespace {

using Patterns = std::vector<std::unique_ptr<RE2>>;

// Go's MakeRegexpArray(strings.Split(s, ",")): an empty string gives one empty pattern.
Patterns Compile(const std::string& list, const char* flag) {
  Patterns out;
  size_t start = 0;
  while (true) {
    size_t end = list.find(',', start);
    std::string p = list.substr(start, end == std::string::npos ? std::string::npos : end - start);
    auto re = std::make_unique<RE2>(p, RE2::Quiet);
    if (!re->ok())
      throw Error::Config(fmt::format("error parsing regexp in {}: {}: `{}`", flag, re->error(), p),
                          {"", "flags", flag});
    out.push_back(std::move(re));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

bool Matches(const std::string& s, const Patterns& patterns) {
  for (const auto& re : patterns)
    if (RE2::PartialMatch(s, *re)) return true;
  return false;
}

// kubectl: host, _, err := net.SplitHostPort(req.Host); on error the Host as it is.
std::string HostWithoutPort(const std::string& host) {
  if (!host.empty() && host[0] == '[') {
    auto close = host.find(']');
    if (close == std::string::npos || close + 1 >= host.size() || host[close + 1] != ':')
      return host;
    return host.substr(1, close - 1);
  }
  auto colon = host.find(':');
  if (colon == std::string::npos || host.find(':', colon + 1) != std::string::npos) return host;
  return host.substr(0, colon);
}

}  // namespace

struct ProxyFilter::Impl {
  Patterns accept_paths, reject_paths, accept_hosts, reject_methods;
};

ProxyFilter::ProxyFilter(const ProxyOptions& o) : impl_(std::make_unique<Impl>()) {
  impl_->accept_paths = Compile(o.accept_paths, "--accept-paths");
  impl_->reject_paths = Compile(o.reject_paths, "--reject-paths");
  impl_->accept_hosts = Compile(o.accept_hosts, "--accept-hosts");
  impl_->reject_methods = Compile(o.reject_methods, "--reject-methods");
}

ProxyFilter::~ProxyFilter() = default;
ProxyFilter::ProxyFilter(ProxyFilter&&) noexcept = default;

bool ProxyFilter::Accept(const std::string& method, const std::string& path,
                         const std::string& host) const {
  if (Matches(path, impl_->reject_paths)) return false;
  if (Matches(method, impl_->reject_methods)) return false;
  return Matches(path, impl_->accept_paths) && Matches(HostWithoutPort(host), impl_->accept_hosts);
}

}  // namespace kubedouble::access
