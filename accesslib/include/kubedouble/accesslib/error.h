// kubedouble::access::Error — the one error type of the access library.
//
// Its kind() says which layer failed, so a program (or a test) can tell a bad kubeconfig from a
// refused connection, an untrusted certificate or an HTTP error Status without parsing text:
//
//   layer       kinds
//   config      kConfig              (file, entry and field in config())
//   connect     kConnectRefused, kConnectTimeout, kConnectDns, kConnectOther
//   tls         kTlsUnknownAuthority, kTlsHostnameMismatch, kTlsExpired, kTlsNotYetValid, kTlsOther
//   http        kHttp                (code, reason, message decoded from the Status in http())
//   protocol    kProtocol            (an answer that is not what the API promises, e.g. bad JSON)
//
// what() is worded like client-go's error; KubectlMessage() is the line kubectl would print.
#pragma once

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>

namespace kubedouble::access {

enum class ErrorKind {
  kConfig,
  kConnectRefused,
  kConnectTimeout,
  kConnectDns,
  kConnectOther,
  kTlsUnknownAuthority,
  kTlsHostnameMismatch,
  kTlsExpired,
  kTlsNotYetValid,
  kTlsOther,
  kHttp,
  kProtocol,
};

// "config", "connect.refused", "connect.timeout", "connect.dns", "connect.other",
// "tls.unknown_authority", "tls.hostname_mismatch", "tls.expired", "tls.not_yet_valid",
// "tls.other", "http", "protocol".
std::string ErrorKindName(ErrorKind kind);
// "config", "connect", "tls", "http" or "protocol".
std::string ErrorLayerName(ErrorKind kind);

// Where a configuration error was found. Any part may be empty.
struct ConfigLocation {
  std::string file;   // the kubeconfig (or in-cluster folder) that holds the bad entry
  std::string entry;  // e.g. `user "alice"`, `cluster "dev"`, `context "x"`
  std::string field;  // e.g. "client-key", "server"
};

// An HTTP error answer, decoded from the Kubernetes Status when the body is one.
struct HttpStatus {
  int code = 0;
  std::string reason;           // "NotFound", "Unauthorized", ...
  std::string message;          // `pods "x" not found`
  nlohmann::json status;        // the whole Status object, or null when the body was not one
  std::string body;             // the raw answer body
  int retry_after_seconds = 0;  // from the Retry-After header, 0 when absent
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message);

  static Error Config(const std::string& message, ConfigLocation where = {});
  static Error Http(HttpStatus status);
  static Error Protocol(const std::string& message);

  ErrorKind kind() const { return kind_; }
  std::string layer() const { return ErrorLayerName(kind_); }
  const ConfigLocation& config() const { return config_; }
  const HttpStatus& http() const { return http_; }
  bool IsNotFound() const { return kind_ == ErrorKind::kHttp && http_.code == 404; }
  bool IsTls() const;
  bool IsConnect() const;

  // What kubectl prints for this error, e.g.
  //   error: You must be logged in to the server (Unauthorized)
  //   Error from server (NotFound): pods "foo" not found
  //   The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or
  //   port? Unable to connect to the server: tls: failed to verify certificate: x509: ... error:
  //   invalid configuration: ...
  std::string KubectlMessage() const;

  // For connection and TLS errors: the server's host:port, used in KubectlMessage().
  std::string server;

 private:
  ErrorKind kind_;
  ConfigLocation config_;
  HttpStatus http_;
};

// Builds the HttpStatus for an answer: decodes a Status body ("status":"Failure") or words a
// generic one from the code as client-go does ("the server could not find the requested
// resource" for 404, ...).
HttpStatus DecodeStatus(int code, const std::string& body, int retry_after_seconds = 0);

}  // namespace kubedouble::access
