// Reads and writes on a socket without TLS (a plain-HTTP listener: `kubedouble proxy` serves
// http://), with the results a Connection expects of its TLS calls.
#pragma once

#include <cstddef>

namespace kubedouble::net::plain {

// One recv of what is there: > 0 bytes, 0 would block, -1 end or failure.
int Read(int fd, char* buf, int size);

// One send: > 0 bytes written, 0 would block (wait for POLLOUT), -1 failure.
long Write(int fd, const char* data, size_t size);

}  // namespace kubedouble::net::plain
