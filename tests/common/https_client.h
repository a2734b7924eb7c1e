// Real HTTPS clients (cpp-httplib over OpenSSL) for an in-process fake::TestServer: they trust
// the server's CA and present a bearer token or a client certificate, as kubectl would. The one
// HTTPS client of the tests (tests/common is the test toolkit).
//
//   fake::TestServer srv;
//   auto admin = test::Client(srv, test::AdminToken(srv));
//   auto r = admin->Get("/api/v1/namespaces/default/pods");
//   EXPECT_EQ(test::Body(r)["kind"], "PodList");
#pragma once

#include <httplib.h>
#include <kubedouble/fakeserver/server.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace kubedouble::test {

// What a client presents: a bearer token, a client certificate and key (PEM files), or nothing.
struct Credentials {
  std::string token{};
  std::string cert_file{};
  std::string key_file{};
};

// A client of `srv` on 127.0.0.1 that verifies the server against its CA (or `ca_file`) and
// presents `creds`. Connect timeout 5 s, read timeout 10 s.
inline std::unique_ptr<httplib::SSLClient> Client(const fake::TestServer& srv,
                                                  const Credentials& creds = {},
                                                  const std::string& ca_file = "") {
  std::unique_ptr<httplib::SSLClient> c;
  if (!creds.cert_file.empty()) {
    c = std::make_unique<httplib::SSLClient>("127.0.0.1", srv.port(), creds.cert_file,
                                             creds.key_file);
  } else {
    c = std::make_unique<httplib::SSLClient>("127.0.0.1", srv.port());
  }
  c->set_ca_cert_path(ca_file.empty() ? srv.paths().ca_crt.c_str() : ca_file.c_str());
  c->enable_server_certificate_verification(true);
  if (!creds.token.empty()) c->set_bearer_token_auth(creds.token.c_str());
  c->set_connection_timeout(5);
  c->set_read_timeout(10);
  return c;
}

// The identities every TestServer mints: the admin's and the unprivileged user's tokens, and
// the admin's client certificate.
inline Credentials AdminToken(const fake::TestServer& srv) {
  return {.token = srv.paths().admin_token};
}
inline Credentials UserToken(const fake::TestServer& srv) {
  return {.token = srv.paths().user_token};
}
inline Credentials AdminCert(const fake::TestServer& srv) {
  const auto& dir = srv.paths().pki_dir;
  return {.cert_file = (dir / "admin.crt").string(), .key_file = (dir / "admin.key").string()};
}

// The answer's body as JSON (discarded, not thrown, when it is not JSON).
inline nlohmann::json Body(const httplib::Result& r) {
  return nlohmann::json::parse(r->body, nullptr, false);
}

}  // namespace kubedouble::test
