// cpp-httplib's client on connections dialed by the connection layer (net/dialer.h): httplib
// writes requests and reads answers; the dialer connects (reporting why a connect failed, at
// once), goes through an HTTP proxy with CONNECT and runs TLS with the transport's own context.
// An answer 101 Switching Protocols hands the connection over (exec, attach, port-forward).
// When the TLS context offers "h2" (ALPN) and the server chooses it, httplib cannot speak on the
// connection: the request fails before a byte is sent (stage kHttp2) and TakeHttp2() hands the
// connection to the transport's HTTP/2 client (http2_client.h).
#pragma once

#include <httplib.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "kubedouble/net/dialer.h"

namespace kubedouble::access::detail {

// How a DialingClient reaches the server.
struct DialPlan {
  std::string host;  // dialed: the server, or the HTTP proxy
  int port = 0;
  std::string connect_authority;  // through the proxy: "host:port" asked for with CONNECT
  std::chrono::milliseconds connect_timeout{30000};
  std::chrono::milliseconds io_timeout{0};  // 0: reads and writes wait without end
  SSL_CTX* tls = nullptr;                   // TLS when set (the client takes a reference)
  std::string server_name;                  // SNI
};

// Why the last connection failed before any HTTP (httplib says only "Connection").
struct ConnectFailure {
  enum class Stage { kNone, kDial, kProxy, kTls, kHttp2 };  // kHttp2: see TakeHttp2
  Stage stage = Stage::kNone;
  net::DialError dial;       // kDial
  std::string proxy_answer;  // kProxy: the proxy's status line, or why there was none
};

class DialingClient : public httplib::ClientImpl {
 public:
  // `host` and `port` are the server's (httplib's Host and absolute-URL defaults).
  DialingClient(const std::string& host, int port, DialPlan plan);
  ~DialingClient() override;

  const ConnectFailure& failure() const { return failure_; }
  // After a failure at stage kHttp2: the connection, its TLS handshake done, on which the server
  // chose HTTP/2 (nullptr otherwise, or once taken).
  std::shared_ptr<net::DialedConn> TakeHttp2() { return std::move(http2_); }
  // Called once a dial's TLS handshake is done, with whether the server chose "h2" (the
  // transport's other callers wait for it to know whether they can share an h2 connection).
  void set_on_connected(std::function<void(bool http2)> hook) { on_connected_ = std::move(hook); }

  // Sends `req` (an upgrade: Connection: Upgrade). On 101 returns the connection, with the bytes
  // that came behind the answer's head in `early`, and `res` holds the head; otherwise nullptr
  // and `res` is the whole answer, or `error` says why there is none.
  std::shared_ptr<net::DialedConn> Upgrade(httplib::Request& req, httplib::Response& res,
                                           httplib::Error& error, std::string* early);

 protected:
  bool create_and_connect_socket(Socket& socket, httplib::Error& error) override;
  void shutdown_ssl(Socket& socket, bool shutdown_gracefully) override;

 private:
  class ConnStream;
  bool process_socket(const Socket& socket,
                      std::function<bool(httplib::Stream& strm)> callback) override;
  bool ProxyConnect(net::DialedConn& conn);

  DialPlan plan_;
  ConnectFailure failure_;
  std::shared_ptr<net::DialedConn> conn_;      // the open connection (socket_ mirrors it)
  ConnStream* stream_ = nullptr;               // the stream of the request under way
  std::shared_ptr<net::DialedConn> upgraded_;  // taken by Upgrade
  std::shared_ptr<net::DialedConn> http2_;     // taken by TakeHttp2
  std::function<void(bool http2)> on_connected_;
};

}  // namespace kubedouble::access::detail
