// The client side of the connection layer: a connection dialed to host:port, TLS over it with the
// caller's context. The DialedConn owns the socket and the TLS session; once an HTTP exchange on it
// ends in 101 Switching Protocols (exec, attach, port-forward), the object itself is handed to
// whoever carries the upgraded bytes.
//
//   net::DialError why;
//   auto conn = net::Dial("example.com", 6443, std::chrono::seconds(30), &why);
//   if (!conn) { /* why.kind: no such host, refused, timeout; why.error: the errno */ }
//   if (!conn->StartTls(ctx, "example.com")) { /* the ctx's verify callback knows why */ }
//   conn->Write("GET / HTTP/1.1\r\n...");
//
// A failed connect is reported at once with the kernel's reason: no second dial to find out.
// The socket is non-blocking; Read and Write wait (poll) up to the I/O timeout. One thread may
// read while another writes (an upgraded connection piped both ways): each TLS call is made
// under a lock that is never held while waiting for the socket.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace kubedouble::net {

// Why a dial failed, told apart as Go's net package does.
struct DialError {
  enum class Kind {
    kNone,
    kNoSuchHost,  // the name did not resolve
    kRefused,     // ECONNREFUSED
    kTimeout,     // no answer within the timeout
    kOther,       // any other errno (unreachable network, ...)
  };
  Kind kind = Kind::kNone;
  int error = 0;       // the failed connect's errno (0 for a name that did not resolve)
  std::string detail;  // the resolver's or the kernel's words
};

class DialedConn {
 public:
  // Takes `fd`, a connected non-blocking socket.
  explicit DialedConn(int fd);
  ~DialedConn();  // closes what it still holds (no TLS close_notify)
  DialedConn(const DialedConn&) = delete;
  DialedConn& operator=(const DialedConn&) = delete;

  int fd() const { return fd_; }
  SSL* ssl() const { return ssl_; }

  // Reads and writes wait up to `timeout` for the socket (0: without end).
  void set_io_timeout(std::chrono::milliseconds timeout) { io_timeout_ = timeout; }

  // A TLS client handshake over the socket with the caller's context (trust, client certificate,
  // verify callback), within the I/O timeout. `server_name` goes as SNI unless empty or an IP
  // address. False when the handshake failed: the context's verify callback, or the peer's
  // alert, says why.
  bool StartTls(SSL_CTX* ctx, const std::string& server_name);

  // All of `data` (inside TLS once started); false when the connection failed or timed out.
  bool Write(std::string_view data);
  // Up to `size` bytes: > 0 how many, 0 at the end of the stream, -1 on a failure or timeout.
  ssize_t Read(char* data, size_t size);
  // Without waiting: as Read, or kAgain when nothing can be read now.
  static constexpr ssize_t kAgain = -2;
  ssize_t ReadNow(char* data, size_t size);
  // Bytes TLS has decrypted and not yet returned (Read returns them without the socket).
  bool Pending() const;

 private:
  // Waits for the socket to be readable (`write` false) or writable, up to the I/O timeout.
  bool Wait(bool write) const;

  int fd_;
  SSL* ssl_ = nullptr;
  mutable std::mutex io_mu_;  // the TLS session (or socket) between a reader and a writer
  std::chrono::milliseconds io_timeout_{0};
};

// Connects to host:port — the name resolved for IPv4 and IPv6, each address tried in turn, all
// within `timeout` — with TCP_NODELAY. nullptr on a failure, told in `error`.
std::unique_ptr<DialedConn> Dial(const std::string& host, int port,
                                 std::chrono::milliseconds timeout, DialError* error);

}  // namespace kubedouble::net
