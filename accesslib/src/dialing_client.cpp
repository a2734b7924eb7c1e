// cpp-httplib's client over connections from net::Dial (see dialing_client.h).
#include "dialing_client.h"

#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <string_view>

namespace kubedouble::access::detail {

// httplib::Stream over a DialedConn, read a buffer at a time; what is buffered after an
// upgrade's head is handed on with the connection.
class DialingClient::ConnStream : public httplib::Stream {
 public:
  explicit ConnStream(std::shared_ptr<net::DialedConn> conn) : conn_(std::move(conn)) {}

  bool is_readable() const override {
    if (pos_ < buf_.size() || conn_->Pending()) return true;
    pollfd p{conn_->fd(), POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
  }
  bool is_writable() const override {
    pollfd p{conn_->fd(), POLLOUT, 0};
    return ::poll(&p, 1, 0) > 0;
  }
  ssize_t read(char* ptr, size_t size) override {
    if (pos_ == buf_.size()) {
      buf_.resize(16 * 1024);
      const ssize_t n = conn_->Read(buf_.data(), buf_.size());
      buf_.resize(n > 0 ? static_cast<size_t>(n) : 0);
      pos_ = 0;
      if (n <= 0) return n;
    }
    const size_t n = std::min(size, buf_.size() - pos_);
    std::memcpy(ptr, buf_.data() + pos_, n);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    return conn_->Write(std::string_view(ptr, size)) ? static_cast<ssize_t>(size) : -1;
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip.clear();
    port = 0;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip.clear();
    port = 0;
  }
  socket_t socket() const override { return conn_->fd(); }

  // The bytes read and not yet taken by httplib.
  std::string TakeBuffered() {
    std::string rest = buf_.substr(pos_);
    buf_.clear();
    pos_ = 0;
    return rest;
  }

 private:
  std::shared_ptr<net::DialedConn> conn_;
  std::string buf_;
  size_t pos_ = 0;
};

DialingClient::DialingClient(const std::string& host, int port, DialPlan plan)
    : httplib::ClientImpl(host, port), plan_(std::move(plan)) {
  if (plan_.tls != nullptr) SSL_CTX_up_ref(plan_.tls);
  // Targets come escaped (the transport's ToHttplib): cpp-httplib's own escaping would turn a
  // query's '+' (a space) into %2B.
  set_url_encode(false);
}

DialingClient::~DialingClient() {
  {
    std::lock_guard lock(socket_mutex_);
    shutdown_ssl(socket_, true);
  }
  if (plan_.tls != nullptr) SSL_CTX_free(plan_.tls);
}

bool DialingClient::ProxyConnect(net::DialedConn& conn) {
  const std::string& to = plan_.connect_authority;
  std::string head;
  if (conn.Write(fmt::format("CONNECT {} HTTP/1.1\r\nHost: {}\r\n\r\n", to, to))) {
    // Byte by byte: what follows the head belongs to the tunnel.
    char c;
    while (head.size() < 64 * 1024 && head.find("\r\n\r\n") == std::string::npos &&
           conn.Read(&c, 1) == 1)
      head += c;
  }
  if (head.find("\r\n\r\n") == std::string::npos) {
    failure_.stage = ConnectFailure::Stage::kProxy;
    failure_.proxy_answer = "the proxy closed the connection";
    return false;
  }
  const std::string line = head.substr(0, head.find("\r\n"));
  if (line.rfind("HTTP/1.", 0) == 0 && line.size() >= 12 && line.compare(9, 3, "200") == 0)
    return true;
  failure_.stage = ConnectFailure::Stage::kProxy;
  failure_.proxy_answer = line;
  return false;
}

bool DialingClient::create_and_connect_socket(Socket& socket, httplib::Error& error) {
  failure_ = ConnectFailure{};
  auto conn = net::Dial(plan_.host, plan_.port, plan_.connect_timeout, &failure_.dial);
  if (!conn) {
    failure_.stage = ConnectFailure::Stage::kDial;
    error = failure_.dial.kind == net::DialError::Kind::kTimeout ? httplib::Error::ConnectionTimeout
                                                                 : httplib::Error::Connection;
    return false;
  }
  conn->set_io_timeout(plan_.io_timeout);
  if (!plan_.connect_authority.empty() && !ProxyConnect(*conn)) {
    error = httplib::Error::Connection;  // failure() tells the proxy's answer
    return false;
  }
  if (plan_.tls != nullptr && !conn->StartTls(plan_.tls, plan_.server_name)) {
    failure_.stage = ConnectFailure::Stage::kTls;
    error = httplib::Error::SSLConnection;
    return false;
  }
  if (conn->ssl() != nullptr) {
    const unsigned char* alpn = nullptr;
    unsigned alpn_len = 0;
    SSL_get0_alpn_selected(conn->ssl(), &alpn, &alpn_len);
    const bool http2 = std::string_view(reinterpret_cast<const char*>(alpn), alpn_len) == "h2";
    if (on_connected_) on_connected_(http2);
    if (http2) {
      failure_.stage = ConnectFailure::Stage::kHttp2;
      http2_ = std::move(conn);
      error = httplib::Error::Connection;  // nothing was sent: the transport speaks HTTP/2 on it
      return false;
    }
  }
  conn_ = std::move(conn);
  socket.sock = conn_->fd();
  socket.ssl = conn_->ssl();
  return true;
}

void DialingClient::shutdown_ssl(Socket& socket, bool shutdown_gracefully) {
  if (conn_ && conn_ != upgraded_ && shutdown_gracefully && conn_->ssl() != nullptr)
    SSL_shutdown(conn_->ssl());  // close_notify, if the socket takes it now
  // The DialedConn owns the socket: httplib's own shutdown and close find nothing left.
  conn_.reset();
  socket.sock = INVALID_SOCKET;
  socket.ssl = nullptr;
}

bool DialingClient::process_socket(const Socket& socket,
                                   std::function<bool(httplib::Stream& strm)> callback) {
  if (!conn_ || socket.sock != conn_->fd()) return false;
  ConnStream strm(conn_);
  stream_ = &strm;
  const bool ok = callback(strm);
  stream_ = nullptr;
  return ok;
}

std::shared_ptr<net::DialedConn> DialingClient::Upgrade(httplib::Request& req,
                                                        httplib::Response& res,
                                                        httplib::Error& error, std::string* early) {
  upgraded_.reset();
  req.response_handler = [&](const httplib::Response& head) {
    if (head.status != 101) return true;  // the whole answer is read
    upgraded_ = conn_;
    if (stream_ != nullptr) *early = stream_->TakeBuffered();
    return false;  // httplib stops here; the connection is no longer its own
  };
  error = httplib::Error::Success;
  const bool answered = send(req, res, error);
  if (answered || !upgraded_) return nullptr;
  error = httplib::Error::Success;
  return std::move(upgraded_);
}

}  // namespace kubedouble::access::detail
