// The transport layers over the network: credentials and retries.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <thread>

#include "kubedouble/accesslib/error.h"
#include "kubedouble/accesslib/transport.h"
#include "kubedouble/base/encoding.h"
#include "kubedouble/base/strings.h"
#include "util.h"

namespace kubedouble::access {

bool CaseInsensitiveLess::operator()(const std::string& a, const std::string& b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) <
           std::tolower(static_cast<unsigned char>(y));
  });
}

std::string Response::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

std::string Request::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

bool Request::IsIdempotent() const {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
         method == "OPTIONS";
}

std::string UserAgent() { return std::string("kubedouble/") + KUBEDOUBLE_VERSION; }

std::unique_ptr<Tunnel> Transport::Upgrade(const Request& request, Response*) {
  throw Error(ErrorKind::kProtocol, fmt::format("{} {}: this transport cannot upgrade connections",
                                                request.method, request.path));
}

// ---- TokenSource ----
TokenSource::TokenSource(std::string token, std::string file, std::chrono::milliseconds refresh,
                         SteadyClock now)
    : static_token_(std::move(token)),
      file_(std::move(file)),
      refresh_(refresh),
      now_(std::move(now)) {}

bool TokenSource::ReadLocked() {
  read_at_ = now_();
  read_once_ = true;
  std::string why;
  auto text = detail::TryReadFile(file_, &why);
  std::string token = text ? base::Trim(*text) : "";
  if (!text || token.empty()) {
    spdlog::warn("could not re-read the token file {} ({}); keeping the last token", file_,
                 text ? "it is empty" : why);
    return false;
  }
  bool changed = token != current_;
  current_ = std::move(token);
  return changed;
}

std::string TokenSource::Token() {
  std::lock_guard<std::mutex> lock(mu_);
  if (file_.empty()) return static_token_;
  if (!read_once_ || now_() - read_at_ >= refresh_) ReadLocked();
  return current_.empty() ? static_token_ : current_;
}

bool TokenSource::ForceRefresh() {
  std::lock_guard<std::mutex> lock(mu_);
  if (file_.empty()) return false;
  return ReadLocked();
}

namespace {

class CredentialsLayer : public Transport {
 public:
  CredentialsLayer(std::shared_ptr<Transport> next, std::shared_ptr<TokenSource> tokens,
                   std::string username, std::string password)
      : next_(std::move(next)),
        tokens_(std::move(tokens)),
        basic_(username.empty() && password.empty()
                   ? ""
                   : "Basic " + base::Base64Encode(username + ":" + password)) {}

  Response Send(const Request& request) override {
    if (request.headers.count("Authorization")) return next_->Send(request);
    Response r = SendWith(request);
    if (r.status == 401 && tokens_ && !tokens_->empty() && request.body_replayable &&
        tokens_->ForceRefresh()) {
      spdlog::debug("401 Unauthorized: the token file changed, retrying once with the new token");
      r = SendWith(request);
    }
    // A 401 on a stream was held back for the retry; the caller sees it now.
    if (r.status == 401 && request.on_head) request.on_head(r);
    return r;
  }

 private:
  // `request` with the credentials' Authorization header: the current token, else basic auth.
  Request Authorized(const Request& request) {
    Request req = request;
    if (tokens_ && !tokens_->empty()) {
      std::string token = tokens_->Token();
      if (!token.empty()) req.headers.emplace("Authorization", "Bearer " + token);
    } else if (!basic_.empty()) {
      req.headers.emplace("Authorization", basic_);
    }
    return req;
  }

  Response SendWith(const Request& request) {
    Request req = Authorized(request);
    if (request.on_head) {
      req.on_head = [&request](const Response& head) {
        if (head.status == 401) return false;
        return request.on_head(head);
      };
    }
    return next_->Send(req);
  }

 public:
  std::unique_ptr<Tunnel> Upgrade(const Request& request, Response* head) override {
    if (request.headers.count("Authorization")) return next_->Upgrade(request, head);
    return next_->Upgrade(Authorized(request), head);
  }

 private:
  std::shared_ptr<Transport> next_;
  std::shared_ptr<TokenSource> tokens_;
  std::string basic_;
};

int RetryAfterSeconds(const Response& r) {
  std::string v = base::Trim(r.Header("Retry-After"));
  if (v.empty() || v.size() > 9) return -1;
  for (char c : v)
    if (!std::isdigit(static_cast<unsigned char>(c))) return -1;
  return std::stoi(v);
}

bool Retryable(const Response& r) {
  return (r.status == 429 || r.status >= 500) && RetryAfterSeconds(r) >= 0;
}

class RetryLayer : public Transport {
 public:
  RetryLayer(std::shared_ptr<Transport> next, RetryOptions options)
      : next_(std::move(next)), options_(std::move(options)) {
    if (!options_.sleep)
      options_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  }

  Response Send(const Request& request) override {
    const bool may_retry = request.IsIdempotent() || request.body_replayable;
    for (int attempt = 0;; attempt++) {
      const bool last = !may_retry || attempt >= options_.max_retries;
      Request req = request;
      bool held = false;
      if (request.on_head && !last) {
        req.on_head = [&](const Response& head) {
          if (Retryable(head)) {
            held = true;
            return false;
          }
          return request.on_head(head);
        };
      }
      Response r = next_->Send(req);
      if (last || !Retryable(r)) {
        if (held && request.on_head) request.on_head(r);
        return r;
      }
      auto wait = std::max(options_.backoff,
                           std::chrono::milliseconds(std::chrono::seconds(RetryAfterSeconds(r))));
      spdlog::debug("{} {}: got {} with Retry-After {}; retry {} of {} in {} ms", request.method,
                    request.path, r.status, RetryAfterSeconds(r), attempt + 1, options_.max_retries,
                    wait.count());
      options_.sleep(wait);
    }
  }

  std::unique_ptr<Tunnel> Upgrade(const Request& request, Response* head) override {
    return next_->Upgrade(request, head);
  }

 private:
  std::shared_ptr<Transport> next_;
  RetryOptions options_;
};

}  // namespace

std::shared_ptr<Transport> WithCredentials(std::shared_ptr<Transport> next,
                                           std::shared_ptr<TokenSource> tokens,
                                           std::string username, std::string password) {
  return std::make_shared<CredentialsLayer>(std::move(next), std::move(tokens), std::move(username),
                                            std::move(password));
}

std::shared_ptr<Transport> WithRetries(std::shared_ptr<Transport> next, RetryOptions options) {
  return std::make_shared<RetryLayer>(std::move(next), std::move(options));
}

std::shared_ptr<Transport> MakeTransport(const Config& config, Env env) {
  std::shared_ptr<Transport> t = MakeHttpTransport(config, std::move(env));
  const bool has_credentials =
      !config.token.empty() || !config.token_file.empty() || !config.username.empty();
  if (has_credentials) {
    if (config.IsHttps()) {
      t = WithCredentials(
          t, std::make_shared<TokenSource>(config.token, config.token_file, config.token_refresh),
          config.username, config.password);
    } else {
      spdlog::warn("not sending credentials to {}: credentials are only sent over https",
                   config.server);
    }
  }
  if (!config.impersonate_user.empty()) t = WithImpersonation(t, config);
  RetryOptions retry;
  retry.max_retries = config.max_retries;
  retry.backoff = config.retry_backoff;
  return WithRetries(t, retry);
}

}  // namespace kubedouble::access
