// Test helper: a raw TCP/TLS connection to a server, for bytes no well-behaved HTTP client sends
// (broken request lines, lying Content-Length, garbage instead of a TLS handshake, slow headers).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <string_view>

namespace kubedouble::testing {

// What came back on a connection: the HTTP status (0 when no HTTP answer came), and whether the
// server closed the connection (or reset it) rather than leaving it open.
struct RawReply {
  int status = 0;
  bool closed = false;
  std::string head;
  std::string body;
};

class RawConn {
 public:
  // Connects over TCP to 127.0.0.1:port; ok() tells whether that worked.
  explicit RawConn(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(port));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) Close();
  }
  ~RawConn() { Close(); }
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;

  bool ok() const { return fd_ >= 0; }

  // TLS handshake trusting `ca_file` (the cluster CA).
  bool Handshake(const std::string& ca_file) {
    if (fd_ < 0) return false;
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    SSL_set_tlsext_host_name(ssl_, "localhost");
    SetTimeout(10);
    return SSL_connect(ssl_) == 1;
  }

  // Bytes on the TCP socket itself (before or instead of TLS).
  bool SendPlain(std::string_view bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }

  // Bytes inside the TLS session. False when the server has already closed or reset.
  bool Send(std::string_view bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      int chunk = static_cast<int>(std::min<size_t>(bytes.size() - done, 1 << 20));
      int n = SSL_write(ssl_, bytes.data() + done, chunk);
      if (n <= 0) {
        ERR_clear_error();
        return false;
      }
      done += static_cast<size_t>(n);
    }
    return true;
  }

  // Reads one HTTP answer (or until the server closes, or `timeout_s` of silence).
  RawReply Read(int timeout_s = 10) {
    RawReply r;
    SetTimeout(timeout_s);
    std::string buf;
    char tmp[16384];
    size_t header_end = std::string::npos;
    long long content_length = -1;
    bool chunked = false;
    for (;;) {
      int n = ssl_ ? SSL_read(ssl_, tmp, sizeof tmp)
                   : static_cast<int>(::recv(fd_, tmp, sizeof tmp, 0));
      if (n <= 0) {
        int err = ssl_ ? SSL_get_error(ssl_, n) : 0;
        ERR_clear_error();
        bool timed_out = ssl_ ? (err == SSL_ERROR_SYSCALL || err == SSL_ERROR_WANT_READ) &&
                                    (errno == EAGAIN || errno == EWOULDBLOCK)
                              : n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
        r.closed = !timed_out;
        break;
      }
      buf.append(tmp, static_cast<size_t>(n));
      if (header_end == std::string::npos) {
        header_end = buf.find("\r\n\r\n");
        if (header_end != std::string::npos) {
          r.head = buf.substr(0, header_end);
          if (r.head.rfind("HTTP/1.", 0) == 0 && r.head.size() >= 12) {
            r.status = std::atoi(r.head.c_str() + 9);
          }
          std::string lower;
          for (char c : r.head) lower += static_cast<char>(std::tolower(c));
          auto cl = lower.find("\r\ncontent-length:");
          if (cl != std::string::npos) content_length = std::atoll(lower.c_str() + cl + 17);
          chunked = lower.find("transfer-encoding: chunked") != std::string::npos;
        }
      }
      if (header_end != std::string::npos) {
        std::string_view body(buf);
        body.remove_prefix(header_end + 4);
        if (content_length >= 0 && body.size() >= static_cast<size_t>(content_length)) break;
        if (chunked && body.size() >= 5 && body.substr(body.size() - 5) == "0\r\n\r\n") break;
        if (content_length < 0 && !chunked && r.status != 0 &&
            (r.status == 204 || r.status == 304)) {
          break;
        }
      }
    }
    if (header_end != std::string::npos) r.body = buf.substr(header_end + 4);
    return r;
  }

  // Reads what arrives within `wait` (0 when nothing did); -1 when the server closed.
  int ReadSome(char* out, int size, std::chrono::milliseconds wait) {
    timeval tv{static_cast<time_t>(wait.count() / 1000),
               static_cast<suseconds_t>(wait.count() % 1000 * 1000)};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int n = ssl_ ? SSL_read(ssl_, out, size) : static_cast<int>(::recv(fd_, out, size, 0));
    if (n > 0) return n;
    int err = ssl_ ? SSL_get_error(ssl_, n) : 0;
    ERR_clear_error();
    bool timed_out = (errno == EAGAIN || errno == EWOULDBLOCK) &&
                     (!ssl_ || err == SSL_ERROR_SYSCALL || err == SSL_ERROR_WANT_READ);
    return timed_out ? 0 : -1;
  }

  // Reads until the end of an answer's head (status line and headers); the body stays unread.
  RawReply ReadHead(int timeout_s = 10) {
    RawReply r;
    SetTimeout(timeout_s);
    std::string buf;
    char c;
    while (buf.size() < 65536 && buf.find("\r\n\r\n") == std::string::npos) {
      int n = ssl_ ? SSL_read(ssl_, &c, 1) : static_cast<int>(::recv(fd_, &c, 1, 0));
      if (n <= 0) {
        ERR_clear_error();
        r.closed = true;
        break;
      }
      buf += c;
    }
    r.head = buf;
    if (r.head.rfind("HTTP/1.", 0) == 0 && r.head.size() >= 12) {
      r.status = std::atoi(r.head.c_str() + 9);
    }
    return r;
  }

  // Closes at once with a TCP reset (SO_LINGER 0), as a client that crashed or lost its network.
  void Reset() {
    if (fd_ >= 0) {
      linger l{1, 0};
      setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    Close();
  }

  void Close() {
    if (ssl_) SSL_free(ssl_);
    if (ctx_) SSL_CTX_free(ctx_);
    ssl_ = nullptr;
    ctx_ = nullptr;
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  void SetTimeout(int seconds) {
    timeval tv{seconds, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }

  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
};

// Percent-encodes a query value (everything but unreserved characters).
inline std::string QueryEscape(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace kubedouble::testing
