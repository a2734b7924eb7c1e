// kubedouble::access::Transport — one request in, one answer out.
//
// The client talks to a Transport; each concern is a thin layer over the next, as in client-go:
//
//   WithRetries  ->  WithCredentials  ->  HttpTransport (cpp-httplib + OpenSSL)
//
// so retries, token refresh and paging are tested with a mock Transport and no network.
// An HTTP error status is NOT an exception at this level (the Response carries it); connection
// and TLS failures are thrown as kubedouble::access::Error.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "kubedouble/accesslib/config.h"

namespace kubedouble::access {

struct CaseInsensitiveLess {
  bool operator()(const std::string& a, const std::string& b) const;
};
using Headers = std::multimap<std::string, std::string, CaseInsensitiveLess>;

struct Response {
  int status = 0;
  Headers headers;
  std::string body;  // empty when the request streamed its body (Request::on_body)
  // The first value of a header, or "".
  std::string Header(const std::string& name) const;
};

struct Request {
  std::string method = "GET";
  std::string path;  // absolute path with query, e.g. "/api/v1/pods?limit=5"
  Headers headers;
  std::string body;
  // False when the body came from a stream that was already consumed: such a request is never
  // re-sent (client-go retries only requests whose body can be rewound).
  bool body_replayable = true;
  // Streaming: on_head gets the status and headers before any body; returning false stops the
  // request (the transport then returns the head without a body). on_body gets each piece of
  // the body, which is then not collected in Response::body; returning false stops reading.
  std::function<bool(const Response& head)> on_head;
  std::function<bool(std::string_view piece)> on_body;

  std::string Header(const std::string& name) const;
  bool IsIdempotent() const;  // GET, HEAD, PUT, DELETE, OPTIONS
};

// The connection left after a 101 Switching Protocols answer: raw bytes both ways (SPDY or
// WebSocket for exec, attach and port-forward). One thread may read while another writes (the
// two directions of a pipe); otherwise used from one thread at a time.
class Tunnel {
 public:
  virtual ~Tunnel() = default;
  // Bytes read into `buf`: > 0; 0 at the end of the stream; -1 on an error; kAgain when
  // nothing can be read without blocking (wait for fd() to be readable, unless Pending()).
  static constexpr long kAgain = -2;
  virtual long Read(char* buf, size_t size) = 0;
  // Writes all of `data` (blocking); false when the connection failed.
  virtual bool Write(std::string_view data) = 0;
  // Bytes already received and decoded (TLS) that Read returns without touching the socket.
  virtual bool Pending() const = 0;
  virtual int fd() const = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual Response Send(const Request& request) = 0;
  // A request with `Connection: Upgrade`: sends it and fills `head` with the answer. When the
  // server switched protocols (101) the connection is returned as a Tunnel; otherwise nullptr
  // and `head` holds the whole answer (body included). Never retried. The default throws a
  // kProtocol Error (a transport that cannot upgrade).
  virtual std::unique_ptr<Tunnel> Upgrade(const Request& request, Response* head);
};

// ---- the network ----
// Connects as the Config says: TLS (CA file/data or system roots, host name and IP SAN checks,
// tls-server-name for the check and SNI, insecure with a warning), client certificates (files
// re-read when they change), proxy-url or HTTPS_PROXY/NO_PROXY (HTTP CONNECT), timeouts,
// User-Agent kubedouble/<version>, keep-alive. Thread-safe: it keeps a pool of connections.
// Credentials are not added here (see WithCredentials).
std::shared_ptr<Transport> MakeHttpTransport(const Config& config, Env env = ProcessEnv());

// ---- bearer tokens ----
using SteadyClock = std::function<std::chrono::steady_clock::time_point()>;

// A token from the config: the file (re-read every `refresh`, trimmed; the last good token kept
// when a re-read fails) wins over the static token while it can be read. Thread-safe.
class TokenSource {
 public:
  TokenSource(
      std::string token, std::string file,
      std::chrono::milliseconds refresh = std::chrono::minutes(1),
      SteadyClock now = [] { return std::chrono::steady_clock::now(); });
  std::string Token();
  // Re-reads the file now (after a 401). True when the token changed.
  bool ForceRefresh();
  bool empty() const { return static_token_.empty() && file_.empty(); }

 private:
  bool ReadLocked();
  std::mutex mu_;
  std::string static_token_, file_, current_;
  std::chrono::milliseconds refresh_;
  SteadyClock now_;
  std::chrono::steady_clock::time_point read_at_{};
  bool read_once_ = false;
};

// Adds `Authorization: Bearer <token>` (or Basic for username/password) unless the request has
// an Authorization header already. After a 401 it forces a token re-read and, when the token
// changed and the body can be replayed, sends the request once more.
std::shared_ptr<Transport> WithCredentials(std::shared_ptr<Transport> next,
                                           std::shared_ptr<TokenSource> tokens,
                                           std::string username = "", std::string password = "");

// ---- impersonation ----
// Adds the Impersonate-* headers for `config`'s impersonate_* fields to every request that
// carries none of its own (client-go's impersonating round tripper); extra keys are
// percent-escaped where a header name could not carry them.
std::shared_ptr<Transport> WithImpersonation(std::shared_ptr<Transport> next, const Config& config);

// ---- retries ----
struct RetryOptions {
  int max_retries = 10;
  std::chrono::milliseconds backoff{0};  // minimum wait; the wait is max(backoff, Retry-After)
  std::function<void(std::chrono::milliseconds)> sleep;  // default: std::this_thread::sleep_for
};
// Retries answers 429 and 5xx that carry an integer Retry-After (seconds), as client-go does;
// never a non-idempotent request whose body cannot be replayed.
std::shared_ptr<Transport> WithRetries(std::shared_ptr<Transport> next, RetryOptions options);

// The whole stack for a Config: network, credentials (only over https; a warning is logged when
// an http:// server would have received them), impersonation, retries.
std::shared_ptr<Transport> MakeTransport(const Config& config, Env env = ProcessEnv());

// "kubedouble/<version>".
std::string UserAgent();

}  // namespace kubedouble::access
