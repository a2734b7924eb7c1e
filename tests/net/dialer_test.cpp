// net::Dial and DialedConn: a refused port and a name that does not resolve are told at once (no
// second dial), both address families connect, and TLS runs with the caller's context — the
// server's certificate checked against the caller's trust, the name sent as SNI — before an
// HTTP exchange with net::HttpServer.
#include <gtest/gtest.h>
#include <kubedouble/certs/certs.h>
#include <kubedouble/net/dialer.h>
#include <kubedouble/net/http_server.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>

#include "common/free_port.h"
#include "server_context.h"

namespace kubedouble::testing {
namespace {

using std::chrono::seconds;

TEST(Dialer, ARefusedPortIsToldWithItsErrno) {
  net::DialError why;
  auto conn = net::Dial("127.0.0.1", kubedouble::test::FreePort(), seconds(5), &why);
  EXPECT_EQ(conn, nullptr);
  EXPECT_EQ(why.kind, net::DialError::Kind::kRefused);
  EXPECT_EQ(why.error, ECONNREFUSED);
  EXPECT_EQ(why.detail, "Connection refused");
}

TEST(Dialer, ANameThatDoesNotResolveIsNoSuchHost) {
  net::DialError why;
  EXPECT_EQ(net::Dial("no-such-host.invalid", 443, seconds(5), &why), nullptr);
  EXPECT_EQ(why.kind, net::DialError::Kind::kNoSuchHost);
  EXPECT_FALSE(why.detail.empty());
}

// A plain server on `address`; the dialer reaches it by IPv4 and by IPv6.
TEST(Dialer, ConnectsOverBothFamilies) {
  for (const std::string address : {"127.0.0.1", "::1"}) {
    SCOPED_TRACE(address);
    net::HttpServerOptions o;
    o.address = address;
    net::HttpServer server(o, nullptr,
                           [](net::Exchange& ex) { ex.response.set_content("hi", "text/plain"); });
    try {
      server.Bind();
    } catch (const std::exception& e) {
      if (address == "::1") GTEST_SKIP() << "no IPv6 loopback here: " << e.what();
      throw;
    }
    server.Start();
    net::DialError why;
    auto conn = net::Dial(address, server.port(), seconds(5), &why);
    ASSERT_NE(conn, nullptr) << why.detail;
    conn->set_io_timeout(seconds(10));
    ASSERT_TRUE(conn->Write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    std::string answer;
    char buf[4096];
    ssize_t n;
    while ((n = conn->Read(buf, sizeof buf)) > 0) answer.append(buf, static_cast<size_t>(n));
    EXPECT_EQ(answer.substr(0, answer.find("\r\n")), "HTTP/1.1 200 OK");
    EXPECT_EQ(answer.substr(answer.size() - 2), "hi");
  }
}

class DialerTls : public ::testing::Test {
 protected:
  void SetUp() override {
    bundle_ = certs::MintBundle();
    SSL_CTX* ctx = kubedouble::testing::ServerContext(bundle_);
    SSL_CTX_set_tlsext_servername_callback(ctx, &DialerTls::RecordName);
    SSL_CTX_set_tlsext_servername_arg(ctx, &sni_);
    server_ = std::make_unique<net::HttpServer>(
        net::HttpServerOptions{}, ctx,
        [](net::Exchange& ex) { ex.response.set_content("over tls", "text/plain"); });
    SSL_CTX_free(ctx);
    server_->Bind();
    server_->Start();
  }
  static int RecordName(SSL* ssl, int*, void* arg) {
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    *static_cast<std::string*>(arg) = name != nullptr ? name : "";
    return SSL_TLSEXT_ERR_OK;
  }
  // A client context trusting `ca`, verifying the peer.
  static SSL_CTX* Trusting(const certs::KeyPair& ca) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca.cert.get());
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    return ctx;
  }

  certs::Bundle bundle_;
  std::string sni_;
  std::unique_ptr<net::HttpServer> server_;
};

TEST_F(DialerTls, HandshakesWithTheCallersContextAndSendsTheName) {
  SSL_CTX* ctx = Trusting(bundle_.ca);
  net::DialError why;
  auto conn = net::Dial("127.0.0.1", server_->port(), seconds(5), &why);
  ASSERT_NE(conn, nullptr);
  conn->set_io_timeout(seconds(10));
  ASSERT_TRUE(conn->StartTls(ctx, "localhost"));
  EXPECT_EQ(sni_, "localhost");
  ASSERT_TRUE(conn->Write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  std::string answer;
  char buf[4096];
  ssize_t n;
  while ((n = conn->Read(buf, sizeof buf)) > 0) answer.append(buf, static_cast<size_t>(n));
  EXPECT_EQ(answer.substr(answer.size() - 8), "over tls");
  SSL_CTX_free(ctx);
}

TEST_F(DialerTls, AnUntrustedServerFailsTheHandshake) {
  SSL_CTX* ctx = Trusting(bundle_.rogue_ca);
  auto conn = net::Dial("127.0.0.1", server_->port(), seconds(5), nullptr);
  ASSERT_NE(conn, nullptr);
  conn->set_io_timeout(seconds(10));
  EXPECT_FALSE(conn->StartTls(ctx, "127.0.0.1"));
  EXPECT_EQ(SSL_get_verify_result(conn->ssl()), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  EXPECT_EQ(sni_, "");  // an IP address is not sent as a name
  SSL_CTX_free(ctx);
}

}  // namespace
}  // namespace kubedouble::testing
