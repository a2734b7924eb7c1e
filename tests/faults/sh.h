// Small helpers for the fault, clock and admin API tests: run a shell command, call the admin
// API and the API with a bearer token over TLS.
#pragma once

#include <httplib.h>
#include <kubedouble/fakeserver/server.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "common/https_client.h"
#include "common/shell.h"

namespace kubedouble::faults_test {

using json = nlohmann::json;

using Shell = test::ShellResult;
inline Shell Sh(const std::string& script) { return test::Bash(script); }

// A TLS client trusting the server's CA, with `token` as bearer token ("" for none), that waits
// up to 20 s for an answer (the fault tests delay answers).
inline std::unique_ptr<httplib::SSLClient> Client(fake::TestServer& s, const std::string& token) {
  auto c = test::Client(s, {.token = token});
  c->set_read_timeout(20, 0);
  return c;
}

struct Answer {
  int status = 0;  // 0: no HTTP answer
  std::string body;
  httplib::Headers headers;
  json Json() const { return json::parse(body, nullptr, false); }
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

inline Answer Call(fake::TestServer& s, const std::string& method, const std::string& path,
                   const std::string& token, const std::string& body = "",
                   const std::string& type = "application/json") {
  auto c = Client(s, token);
  auto send = [&]() -> httplib::Result {
    if (method == "POST") return c->Post(path.c_str(), body, type.c_str());
    if (method == "PATCH") return c->Patch(path.c_str(), body, type.c_str());
    if (method == "DELETE") return c->Delete(path.c_str(), body, type.c_str());
    return c->Get(path.c_str());
  };
  httplib::Result r = send();
  Answer a;
  if (r) {
    a.status = r->status;
    a.body = r->body;
    a.headers = r->headers;
  }
  return a;
}

inline Answer Admin(fake::TestServer& s, const std::string& method, const std::string& path,
                    const json& body = nullptr) {
  return Call(s, method, "/__kubedouble/" + path, s.paths().admin_token,
              body.is_null() ? "" : body.dump());
}

// curl with the server's CA and the admin token; `args` are appended.
inline Shell Curl(fake::TestServer& s, const std::string& args) {
  return Sh("curl -sS --max-time 20 --cacert " + s.paths().ca_crt.string() +
            " -H \"Authorization: Bearer " + s.paths().admin_token + "\" " + args);
}

}  // namespace kubedouble::faults_test
