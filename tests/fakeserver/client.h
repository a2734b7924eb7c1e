// Test helpers: real HTTPS clients (cpp-httplib over OpenSSL) for a TestServer.
#pragma once

#include <httplib.h>
#include <kubedouble/certs/certs.h>
#include <kubedouble/fakeserver/journal.h>
#include <kubedouble/fakeserver/server.h>
#include <kubedouble/fakeserver/store.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

namespace kubedouble::testing {

using json = nlohmann::json;

struct Credentials {
  std::string token;
  std::string cert_file;  // client certificate and key files (PEM)
  std::string key_file;
};

// A client that trusts the server's CA (or `ca_file`) and presents `creds`.
inline std::unique_ptr<httplib::SSLClient> Client(const fake::TestServer& srv,
                                                  const Credentials& creds = {},
                                                  std::string ca_file = "") {
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

inline Credentials AdminToken(const fake::TestServer& srv) {
  return {srv.paths().admin_token, "", ""};
}
inline Credentials UserToken(const fake::TestServer& srv) {
  return {srv.paths().user_token, "", ""};
}
inline Credentials AdminCert(const fake::TestServer& srv) {
  auto dir = srv.paths().pki_dir;
  return {"", (dir / "admin.crt").string(), (dir / "admin.key").string()};
}

inline json Body(const httplib::Result& r) { return json::parse(r->body, nullptr, false); }

// The CustomResourceDefinition of crontabs.stable.example.com (kind CronTab, namespaced) with
// `versions` (each {"name", "served", "storage", "schema", ...}).
inline json CronTabCrd(json versions) {
  return {{"apiVersion", "apiextensions.k8s.io/v1"},
          {"kind", "CustomResourceDefinition"},
          {"metadata", {{"name", "crontabs.stable.example.com"}}},
          {"spec",
           {{"group", "stable.example.com"},
            {"scope", "Namespaced"},
            {"names", {{"plural", "crontabs"}, {"kind", "CronTab"}}},
            {"versions", std::move(versions)}}}};
}

inline std::string ReadText(const std::filesystem::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A temporary folder removed at the end of the test.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "kd-test-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

}  // namespace kubedouble::testing
