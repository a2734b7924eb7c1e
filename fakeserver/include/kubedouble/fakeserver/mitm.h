// kubedouble::fake::Mitm — a man in the middle, to show what `--insecure` costs.
//
// It listens on loopback (the CLI refuses another address without --allow-non-loopback),
// terminates TLS with a certificate the client should NOT trust (the
// bundle's rogue_server pair: the same names as the real serving certificate, signed by the
// rogue CA), asks for a client certificate without requiring one, and forwards every request to
// the upstream server. It records what it captured: the Authorization header of each request
// and whether the client offered a certificate. A client that verifies the server refuses the
// handshake, so nothing is captured; an `--insecure` client completes it and hands over its
// token. Connections are served by a pool that grows with demand (idle keep-alive clients do not
// hold up others), watches and other streams (watch=true, follow=true) are relayed as their
// chunks arrive, and the capture list keeps the last `max_captures` requests (dropped() counts
// the ones that fell out).
//
//   kubedouble::fake::Mitm mitm({.upstream = server.url(),
//                                .cert_file = pki / "rogue-server.crt",
//                                .key_file = pki / "rogue-server.key"});
//   mitm.Start();
//   // point the client at mitm.url() ...
//   bool leaked = mitm.TokenCaptured();
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "kubedouble/fakeserver/faults.h"

namespace kubedouble::fake {

struct MitmOptions {
  std::string address = "127.0.0.1";  // loopback only unless the user asks otherwise
  int port = 0;                       // 0: an ephemeral port
  std::string upstream;               // https://HOST:PORT of the real server
  std::filesystem::path cert_file;    // the certificate to present (PEM, chain allowed)
  std::filesystem::path key_file;     // its private key
  // Fault rules, the server's own (faults.h): the same rule type, matcher and actions as
  // `kubedouble serve --faults`, carried out by the interceptor before (or instead of)
  // forwarding — a fault front, with the real serving certificate, for resilience checks. The
  // interceptor does not authenticate, so a rule that names a `user` never fires here.
  std::vector<FaultRule> faults;
  size_t max_captures = 10000;  // the capture list keeps the last N (at least 1)
};

// One request that came through the interceptor.
struct MitmCapture {
  uint64_t id = 0;  // 1, 2, 3, ... in the order requests were captured
  std::chrono::system_clock::time_point time;
  std::string method;
  std::string path;           // with the query string
  std::string authorization;  // the whole Authorization header ("" when none)
  bool client_cert_offered = false;
  std::string client_cert_subject;  // "CN=..., O=..." when one was offered
  int upstream_status = 0;          // what the upstream answered (0: it could not be reached)
  std::string fault;                // the rule that fired, as FaultRule::Describe() says it
  std::string user_agent;           // the User-Agent header ("" when none)
};

// A handshake the client broke off with an alert: a client that verifies the server refuses the
// rogue certificate ("unknown CA" from OpenSSL clients, "bad certificate" from Go's), so it
// hands over nothing.
struct MitmRefusal {
  uint64_t id = 0;  // 1, 2, 3, ... in the order handshakes were refused
  std::chrono::system_clock::time_point time;
  std::string client;  // "127.0.0.1:53124"
  std::string alert;   // the alert the client sent, as OpenSSL names it: "unknown CA"
};

class Mitm {
 public:
  explicit Mitm(MitmOptions options);
  ~Mitm();  // Stop()
  Mitm(const Mitm&) = delete;
  Mitm& operator=(const Mitm&) = delete;

  // Loads the certificate and key, binds and serves in a background thread. Throws
  // std::runtime_error naming the problem (unreadable certificate, port in use, bad upstream).
  void Start();
  void Stop();  // idempotent

  std::string url() const;  // https://ADDRESS:PORT
  int port() const;

  // The last `max_captures` captures, oldest first.
  std::vector<MitmCapture> Captures() const;
  // True when any request carried an Authorization header (a bearer token was handed over),
  // dropped captures included.
  bool TokenCaptured() const;
  // True when any client offered a certificate during the handshake (dropped ones included).
  bool ClientCertOffered() const;
  // Handshakes that reached the request stage (a verifying client aborts before that).
  size_t requests() const;
  // Captures that fell out of the list (requests() - Captures().size()).
  size_t dropped() const;
  // The handshakes clients refused, oldest first (the last max_captures).
  std::vector<MitmRefusal> Refusals() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kubedouble::fake
