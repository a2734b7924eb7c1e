// Plain-socket reads and writes for a Connection without TLS (see plain_io.h).
#include "plain_io.h"

#include <sys/socket.h>

#include <cerrno>

namespace kubedouble::net::plain {

int Read(int fd, char* buf, int size) {
  for (;;) {
    const ssize_t n = ::recv(fd, buf, static_cast<size_t>(size), MSG_DONTWAIT);
    if (n > 0) return static_cast<int>(n);
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
  }
}

long Write(int fd, const char* data, size_t size) {
  for (;;) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
  }
}

}  // namespace kubedouble::net::plain
