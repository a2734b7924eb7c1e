// A TLS connection's socket, session and framed input (see connection.h).
#include "connection.h"

#include <openssl/err.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "http2_session.h"
#include "plain_io.h"

namespace kubedouble::net {

namespace {
// Decrypted bytes are read a buffer at a time: a whole TLS record (up to 16 KiB) per call.
constexpr int kReadSize = 16 * 1024;

// Empties the thread's OpenSSL error queue: before a TLS call (SSL_get_error reads the queue) and
// after a failed one. ERR_clear_error walks every slot of the queue; it is almost always empty
// already, which ERR_peek_error tells for a fraction of that.
void ClearTlsErrors() {
  if (ERR_peek_error() != 0) ERR_clear_error();
}
}  // namespace

Connection::Connection(uint64_t id, int fd, SSL* ssl, std::chrono::milliseconds io_timeout,
                       int epoll_fd)
    : since(Clock::now()),
      id_(id),
      epoll_fd_(epoll_fd),
      fd_(fd),
      ssl_(ssl),
      io_timeout_(io_timeout) {
  if (ssl_ == nullptr) state = State::kIdle;  // plain HTTP: no handshake
}

void Connection::Listen(uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = id_;
  std::lock_guard lock(io_mu_);
  if (fd_ >= 0) epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd_, &ev);
}

void Connection::ListenForHangUp() {
  if (hang_up_armed) return;
  hang_up_armed = true;
  Listen(EPOLLRDHUP | EPOLLONESHOT);
}

bool Connection::PeerGone() {
  std::lock_guard lock(io_mu_);
  if (fd_ < 0) return true;
  pollfd p{fd_, POLLRDHUP, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

Connection::~Connection() {
  Close();
  if (ssl_ != nullptr) SSL_free(ssl_);
}

int Connection::Handshake() {
  ClearTlsErrors();
  const int rc = SSL_accept(ssl_);
  if (rc == 1) return 1;
  const int err = SSL_get_error(ssl_, rc);
  ClearTlsErrors();
  return err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE ? 0 : -1;
}

int Connection::ReadRecord(char* buf, int size) {
  std::lock_guard lock(io_mu_);
  if (ended_) return -1;
  if (ssl_ == nullptr) return plain::Read(fd_, buf, size);
  ClearTlsErrors();
  const int n = SSL_read(ssl_, buf, size);
  if (n > 0) return n;
  const int err = SSL_get_error(ssl_, n);
  ClearTlsErrors();
  return err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE ? 0 : -1;
}

void Connection::Frame(const char* data, size_t n) {
  if (framing_.Rejected()) return;
  // The framing refuses at the end of a line (or a line over its limit) and then keeps nothing of
  // the bytes it was given: it is given a line at a time, so that the requests before the refused
  // one keep their bytes.
  size_t at = 0;
  while (at < n && !framing_.Rejected()) {
    const void* nl = std::memchr(data + at, '\n', n - at);
    const size_t end =
        nl != nullptr ? static_cast<size_t>(static_cast<const char*>(nl) - data) + 1 : n;
    const size_t old = input_.size();
    input_.append(data + at, end - at);
    const size_t kept = framing_.Scan(input_.data() + old, end - at);
    input_.resize(old + kept);
    at = end;
  }
}

Connection::Fill Connection::ReadNow() {
  char buf[kReadSize];
  bool any = false;
  for (;;) {
    if (framing_.Rejected()) return Fill::kEnd;
    const int n = ReadRecord(buf, sizeof buf);
    if (n < 0) return Fill::kEnd;
    if (n == 0) return any ? Fill::kData : Fill::kWouldBlock;
    any = true;
    Frame(buf, static_cast<size_t>(n));
    if (framing_.Rejected()) return Fill::kEnd;
    // Without read-ahead, OpenSSL holds nothing beyond this record: what else is there waits in
    // the socket, where epoll (or the next wait) sees it. No read just to learn "nothing more".
    if (ssl_ == nullptr || (SSL_pending(ssl_) == 0 && SSL_has_pending(ssl_) == 0)) {
      if (input_pos_ > 0 && input_pos_ == input_.size()) {
        input_.clear();
        input_pos_ = 0;
      }
      return Fill::kData;
    }
    // Compact what the parser has taken.
    if (input_pos_ > 0 && input_pos_ == input_.size()) {
      input_.clear();
      input_pos_ = 0;
    }
  }
}

void Connection::ReleaseInput() {
  if (input_pos_ < input_.size()) return;
  std::string().swap(input_);
  input_pos_ = 0;
  framing_.Release();
}

bool Connection::Wait(bool write) {
  if (ended_) return false;
  pollfd p{fd_, static_cast<short>(write ? POLLOUT : POLLIN), 0};
  const int rc = ::poll(&p, 1, static_cast<int>(io_timeout_.count()));
  return rc > 0 && !ended_;
}

bool Connection::WaitBriefly(std::chrono::milliseconds wait) {
  if (ended_) return false;
  if (ssl_ != nullptr && SSL_has_pending(ssl_) != 0) return true;
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(wait.count())) > 0;
}

bool Connection::ReadMore() {
  const size_t had = input_.size() - input_pos_;
  const auto deadline = Clock::now() + io_timeout_;
  for (;;) {
    Fill f = ReadNow();
    if (input_.size() - input_pos_ > had) return true;
    if (f == Fill::kEnd) return false;
    if (f == Fill::kData) continue;  // every byte was dropped (a discarded body): read on
    if (Clock::now() >= deadline || !Wait(false)) return false;
  }
}

bool Connection::Write(const char* data, size_t size) {
  size_t done = 0;
  while (done < size) {
    int n;
    int err = SSL_ERROR_NONE;
    {
      std::lock_guard lock(io_mu_);
      if (ended_) return false;
      if (ssl_ == nullptr) {
        const long sent = plain::Write(fd_, data + done, std::min<size_t>(size - done, 1 << 30));
        if (sent < 0) return false;
        n = static_cast<int>(sent);
        if (n == 0) err = SSL_ERROR_WANT_WRITE;
      } else {
        ClearTlsErrors();
        n = SSL_write(ssl_, data + done, static_cast<int>(std::min<size_t>(size - done, 1 << 30)));
        if (n <= 0) err = SSL_get_error(ssl_, n);
        ClearTlsErrors();
      }
    }
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (err == SSL_ERROR_WANT_WRITE) {
      if (!Wait(true)) return false;
    } else if (err == SSL_ERROR_WANT_READ) {
      if (!Wait(false)) return false;
    } else {
      return false;
    }
  }
  return true;
}

int Connection::WriteNow(const char* data, size_t size) {
  std::lock_guard lock(io_mu_);
  if (ended_) return -1;
  if (ssl_ == nullptr) {
    const long sent = plain::Write(fd_, data, std::min<size_t>(size, 1 << 30));
    return sent < 0 ? -1 : static_cast<int>(sent);
  }
  ClearTlsErrors();
  const int n = SSL_write(ssl_, data, static_cast<int>(std::min<size_t>(size, 1 << 30)));
  if (n > 0) return n;
  const int err = SSL_get_error(ssl_, n);
  ClearTlsErrors();
  return err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ ? 0 : -1;
}

ssize_t Connection::ReadSome(char* data, size_t size) {
  for (;;) {
    if (input_pos_ < input_.size()) {
      const size_t n = std::min(size, input_.size() - input_pos_);
      std::memcpy(data, input_.data() + input_pos_, n);
      input_pos_ += n;
      return static_cast<ssize_t>(n);
    }
    input_.clear();
    input_pos_ = 0;
    if (ended_) return 0;
    // Upgraded bytes are not HTTP: read them unframed.
    char buf[kReadSize];
    const int n = ReadRecord(buf, sizeof buf);
    if (n > 0) {
      input_.assign(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0) return ended_ ? 0 : -1;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, -1) < 0 && errno != EINTR) return -1;
    if (ended_) return 0;
  }
}

void Connection::Reset() {
  std::lock_guard lock(io_mu_);
  if (fd_ < 0) return;
  linger l{1, 0};  // close() then sends RST instead of FIN
  setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd_);
  fd_ = -1;
  ended_ = true;
}

void Connection::EndWrites() {
  std::lock_guard lock(io_mu_);
  if (fd_ < 0 || ended_) return;
  if (ssl_ != nullptr) {
    ClearTlsErrors();
    SSL_shutdown(ssl_);  // close_notify (non-blocking: sent if the socket takes it)
    ClearTlsErrors();
  }
  ::shutdown(fd_, SHUT_WR);
  ended_ = true;
}

void Connection::Shutdown() {
  std::lock_guard lock(io_mu_);
  ended_ = true;
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

void Connection::Close() {
  std::lock_guard lock(io_mu_);
  ended_ = true;
  if (fd_ < 0) return;
  ::shutdown(fd_, SHUT_RDWR);  // wakes a reader blocked in poll (an upgraded stream)
  ::close(fd_);
  fd_ = -1;
}

void Connection::FireHangUp() {
  std::vector<std::function<void()>> fns;
  {
    std::lock_guard lock(mu);
    hung_up = true;
    fns.swap(on_hang_up);
  }
  for (auto& fn : fns) fn();
}

}  // namespace kubedouble::net
