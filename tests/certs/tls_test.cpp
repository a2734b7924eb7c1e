// A real TLS handshake on 127.0.0.1 with the minted material: cpp-httplib's SSLServer serving the
// bundle's certificates, and both cpp-httplib's SSLClient and `openssl s_client` connecting.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <memory>
#include <thread>

#include "kubedouble/certs/certs.h"
#include "minted_bundle.h"
#include "run.h"

namespace fs = std::filesystem;
namespace kc = kubedouble::certs;
using kubedouble::test::Quote;
using kubedouble::test::RunCommand;
using ::testing::HasSubstr;

namespace {

// An HTTPS server on 127.0.0.1 (ephemeral port) serving <dir>/<name>.crt; when `client_ca` is
// given it requires a client certificate signed by it and answers with the client's subject.
class TlsServer {
 public:
  TlsServer(const fs::path& dir, const std::string& name, const fs::path& client_ca = {}) {
    std::string crt = (dir / (name + ".crt")).string();
    std::string key = (dir / (name + ".key")).string();
    std::string ca = client_ca.string();
    server_ = std::make_unique<httplib::SSLServer>(crt.c_str(), key.c_str(),
                                                   client_ca.empty() ? nullptr : ca.c_str());
    server_->Get("/", [](const httplib::Request& req, httplib::Response& res) {
      std::string who = "anonymous";
      if (req.ssl != nullptr) {
        if (X509* peer = SSL_get_peer_certificate(req.ssl)) {
          who = kc::Inspect(kc::Certificate(peer)).subject;
        }
      }
      res.set_content(who, "text/plain");
    });
    port_ = server_->bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
  }
  ~TlsServer() {
    server_->stop();
    thread_.join();
  }
  bool valid() const { return server_->is_valid() && port_ > 0; }
  int port() const { return port_; }

 private:
  std::unique_ptr<httplib::SSLServer> server_;
  std::thread thread_;
  int port_ = -1;
};

class Tls : public kubedouble::test::MintedBundleTest {
 protected:
  // GET https://<host>:<port>/ trusting `ca`; the result's error says why a handshake failed.
  static httplib::Result Get(const std::string& host, int port, const std::string& ca,
                             const std::string& client = "") {
    std::unique_ptr<httplib::SSLClient> cli;
    if (client.empty()) {
      cli = std::make_unique<httplib::SSLClient>(host, port);
    } else {
      cli = std::make_unique<httplib::SSLClient>(host, port, File(client + ".crt").string(),
                                                 File(client + ".key").string());
    }
    cli->set_ca_cert_path(File(ca + ".crt").string().c_str());
    cli->enable_server_certificate_verification(true);
    cli->set_connection_timeout(5);
    return cli->Get("/");
  }

  // `openssl s_client` to 127.0.0.1:<port> for <host>, trusting `ca`.
  static kubedouble::test::RunResult SClient(int port, const std::string& ca,
                                             const std::string& host) {
    return RunCommand("openssl s_client -connect 127.0.0.1:" + std::to_string(port) + " -CAfile " +
                      Quote(File(ca + ".crt").string()) +
                      " -verify_return_error -verify_hostname " + Quote(host) + " -servername " +
                      Quote(host) + " </dev/null");
  }
};

}  // namespace

TEST_F(Tls, HandshakeSucceedsForAClientTrustingTheCa) {
  TlsServer server(Dir(), "server");
  ASSERT_TRUE(server.valid());
  for (std::string host : {"127.0.0.1", "localhost"}) {
    auto res = Get(host, server.port(), "ca");
    ASSERT_TRUE(res) << host << ": " << httplib::to_string(res.error());
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->body, "anonymous");
  }
}

TEST_F(Tls, HandshakeFailsForAClientTrustingTheRogueCa) {
  TlsServer server(Dir(), "server");
  ASSERT_TRUE(server.valid());
  auto res = Get("127.0.0.1", server.port(), "rogue-ca");
  EXPECT_FALSE(res);
  EXPECT_EQ(res.error(), httplib::Error::SSLServerVerification);
}

TEST_F(Tls, RogueServerIsCaughtByAClientTrustingTheCa) {
  TlsServer server(Dir(), "rogue-server");
  ASSERT_TRUE(server.valid());
  auto res = Get("127.0.0.1", server.port(), "ca");
  EXPECT_FALSE(res);
  EXPECT_EQ(res.error(), httplib::Error::SSLServerVerification);
}

TEST_F(Tls, OpensslSClientAgrees) {
  TlsServer server(Dir(), "server");
  ASSERT_TRUE(server.valid());
  auto ok = SClient(server.port(), "ca", "localhost");
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_THAT(ok.output, HasSubstr("Verify return code: 0 (ok)"));
  auto rogue = SClient(server.port(), "rogue-ca", "localhost");
  EXPECT_NE(rogue.exit_code, 0) << rogue.output;
  EXPECT_THAT(rogue.output, HasSubstr("unable to get local issuer certificate"));
}

TEST_F(Tls, OpensslSClientRejectsExpiredAndWrongHost) {
  {
    TlsServer server(Dir(), "expired-server");
    ASSERT_TRUE(server.valid());
    auto r = SClient(server.port(), "ca", "localhost");
    EXPECT_NE(r.exit_code, 0);
    EXPECT_THAT(r.output, HasSubstr("certificate has expired"));
  }
  {
    TlsServer server(Dir(), "wrong-host-server");
    ASSERT_TRUE(server.valid());
    auto r = SClient(server.port(), "ca", "localhost");
    EXPECT_NE(r.exit_code, 0);
    EXPECT_THAT(r.output, HasSubstr("hostname mismatch"));
    r = SClient(server.port(), "ca", std::string(kc::kWrongHostName));
    EXPECT_EQ(r.exit_code, 0) << r.output;
  }
}

TEST_F(Tls, AdminClientCertificateIsAcceptedAndCarriesItsGroups) {
  TlsServer server(Dir(), "server", File("ca.crt"));
  ASSERT_TRUE(server.valid());
  auto res = Get("127.0.0.1", server.port(), "ca", "admin");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->body, "CN=kubedouble-admin, O=system:masters");
  // Without a client certificate, or with an expired one, the handshake fails.
  EXPECT_FALSE(Get("127.0.0.1", server.port(), "ca"));
  EXPECT_FALSE(Get("127.0.0.1", server.port(), "ca", "expired-admin"));
}
