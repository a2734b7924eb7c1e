// Dialing host:port and TLS as a client (see dialer.h).
#include "kubedouble/net/dialer.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "kubedouble/base/strings.h"

namespace kubedouble::net {

namespace {

using Clock = std::chrono::steady_clock;

int MillisLeft(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<int64_t>(0, left.count()));
}

// One connect within the deadline: 0, or the errno (ETIMEDOUT when the deadline passed).
int ConnectOne(int fd, const addrinfo& a, Clock::time_point deadline) {
  if (::connect(fd, a.ai_addr, a.ai_addrlen) == 0) return 0;
  if (errno != EINPROGRESS) return errno;
  for (;;) {
    pollfd p{fd, POLLOUT, 0};
    const int n = ::poll(&p, 1, MillisLeft(deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return ETIMEDOUT;
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
    return err;
  }
}

}  // namespace

std::unique_ptr<DialedConn> Dial(const std::string& host, int port,
                                 std::chrono::milliseconds timeout, DialError* error) {
  DialError why;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_family = AF_UNSPEC;
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (rc != 0 || found == nullptr) {
    why.kind = DialError::Kind::kNoSuchHost;
    why.detail = rc == EAI_SYSTEM ? std::strerror(errno) : gai_strerror(rc);
    if (error != nullptr) *error = why;
    return nullptr;
  }
  const auto deadline = Clock::now() + timeout;
  std::unique_ptr<DialedConn> conn;
  for (addrinfo* a = found; a != nullptr && !conn; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      why.error = errno;
      continue;
    }
    const int err = ConnectOne(fd, *a, deadline);
    if (err == 0) {
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      conn = std::make_unique<DialedConn>(fd);
      break;
    }
    ::close(fd);
    why.error = err;
    if (err == ETIMEDOUT && Clock::now() >= deadline) break;
  }
  freeaddrinfo(found);
  if (conn) return conn;
  why.kind = why.error == ECONNREFUSED ? DialError::Kind::kRefused
             : why.error == ETIMEDOUT  ? DialError::Kind::kTimeout
                                       : DialError::Kind::kOther;
  why.detail = std::strerror(why.error);
  if (error != nullptr) *error = why;
  return nullptr;
}

DialedConn::DialedConn(int fd) : fd_(fd) {}

DialedConn::~DialedConn() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (fd_ >= 0) ::close(fd_);
}

bool DialedConn::Wait(bool write) const {
  for (;;) {
    pollfd p{fd_, static_cast<short>(write ? POLLOUT : POLLIN), 0};
    const int n =
        ::poll(&p, 1, io_timeout_.count() > 0 ? static_cast<int>(io_timeout_.count()) : -1);
    if (n < 0 && errno == EINTR) continue;
    return n > 0;
  }
}

bool DialedConn::StartTls(SSL_CTX* ctx, const std::string& server_name) {
  ssl_ = SSL_new(ctx);
  if (ssl_ == nullptr) return false;
  SSL_set_fd(ssl_, fd_);
  SSL_set_connect_state(ssl_);
  SSL_set_mode(ssl_, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE);
  if (!server_name.empty() && !base::IsIpAddress(server_name))
    SSL_set_tlsext_host_name(ssl_, server_name.c_str());
  for (;;) {
    ERR_clear_error();
    const int rc = SSL_connect(ssl_);
    if (rc == 1) return true;
    const int err = SSL_get_error(ssl_, rc);
    if ((err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) ||
        !Wait(err == SSL_ERROR_WANT_WRITE)) {
      ERR_clear_error();
      return false;
    }
  }
}

bool DialedConn::Write(std::string_view data) {
  while (!data.empty()) {
    bool want_write = true;
    std::unique_lock lock(io_mu_);  // not held while waiting: a reader may go on meanwhile
    if (ssl_ != nullptr) {
      ERR_clear_error();
      const int n =
          SSL_write(ssl_, data.data(), static_cast<int>(std::min<size_t>(data.size(), 1 << 30)));
      if (n > 0) {
        data.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      const int err = SSL_get_error(ssl_, n);
      ERR_clear_error();
      if (err != SSL_ERROR_WANT_WRITE && err != SSL_ERROR_WANT_READ) return false;
      want_write = err == SSL_ERROR_WANT_WRITE;
    } else {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) {
        data.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return false;
    }
    lock.unlock();
    if (!Wait(want_write)) return false;
  }
  return true;
}

ssize_t DialedConn::ReadNow(char* data, size_t size) {
  std::lock_guard lock(io_mu_);
  if (ssl_ != nullptr) {
    ERR_clear_error();
    const int n = SSL_read(ssl_, data, static_cast<int>(std::min<size_t>(size, 1 << 30)));
    if (n > 0) return n;
    const int err = SSL_get_error(ssl_, n);
    const bool clean_end =
        err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0);
    ERR_clear_error();
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return kAgain;
    return clean_end ? 0 : -1;
  }
  for (;;) {
    const ssize_t n = ::recv(fd_, data, size, 0);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK ? kAgain : -1;
  }
}

ssize_t DialedConn::Read(char* data, size_t size) {
  for (;;) {
    const ssize_t n = ReadNow(data, size);
    if (n != kAgain) return n;
    if (!Wait(false)) return -1;
  }
}

bool DialedConn::Pending() const {
  std::lock_guard lock(io_mu_);
  return ssl_ != nullptr && SSL_pending(ssl_) > 0;
}

}  // namespace kubedouble::net
