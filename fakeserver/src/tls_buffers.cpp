// Buffered TLS reads and writes for the API server's connections (see tls_buffers.h).
//
// Reads: cpp-httplib reads a request head one byte per SSL_read; each call walks OpenSSL's record
// layer (about 200 instructions) to copy one byte out of a record it already holds, a sixth of
// the server's instructions for a small GET. A small read on a marked connection takes the whole
// record into a per-connection buffer; later small reads are served from it. SSL_pending reports
// the buffered bytes, so cpp-httplib never waits on the socket for bytes already read.
// Writes: the head of an answer is held and goes out with its body in one SSL_write: one record,
// one system call, one TCP segment for a small answer (no TCP_CORK toggling either).
// The real functions are found with dlsym(RTLD_NEXT); every SSL object of an unmarked context
// (accesslib's and the scenario clients, the mitm proxy) goes straight to them.
#include "tls_buffers.h"

#include <dlfcn.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

namespace kubedouble::fake {
namespace {

using ReadFn = int (*)(SSL*, void*, int);
using PendingFn = int (*)(const SSL*);
using WriteFn = int (*)(SSL*, const void*, int);

// Reads of at least this many bytes go straight to OpenSSL (bodies).
constexpr int kDirectRead = 1024;
// Enough for a request head with a service-account token. A larger record is read in parts
// (OpenSSL keeps the rest and SSL_pending counts it), so this bounds memory, not correctness:
// 256 idle keep-alive connections hold 1 MiB.
constexpr int kReadBufferSize = 4 * 1024;
// A head is sent with a body of up to this size in one write (copied once); larger bodies follow
// the head in their own write.
constexpr size_t kJoinLimit = 256 * 1024;

struct Buffers {
  char data[kReadBufferSize];
  int begin = 0;
  int end = 0;
  bool hold_next = false;
  std::string held;  // an answer's head waiting for its body
};

struct Libssl {
  ReadFn read = nullptr;
  PendingFn pending = nullptr;
  WriteFn write = nullptr;
  int ctx_index = -1;  // SSL_CTX ex_data: non-null when the context's connections are buffered
  int ssl_index = -1;  // SSL ex_data: the connection's Buffers
};

void FreeBuffers(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<Buffers*>(ptr);
}

const Libssl& Real() {
  static const Libssl libssl = [] {
    Libssl l;
    l.read = reinterpret_cast<ReadFn>(dlsym(RTLD_NEXT, "SSL_read"));
    l.pending = reinterpret_cast<PendingFn>(dlsym(RTLD_NEXT, "SSL_pending"));
    l.write = reinterpret_cast<WriteFn>(dlsym(RTLD_NEXT, "SSL_write"));
    if (l.read == nullptr || l.pending == nullptr || l.write == nullptr) std::abort();
    l.ctx_index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    l.ssl_index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, FreeBuffers);
    return l;
  }();
  return libssl;
}

// The connection's buffers; created on first use for a connection of a marked context, nullptr
// for any other connection (or when `create` is false and there are none yet).
Buffers* BuffersOf(const SSL* ssl, const Libssl& l, bool create) {
  auto* buffers = static_cast<Buffers*>(SSL_get_ex_data(ssl, l.ssl_index));
  if (buffers != nullptr || !create) return buffers;
  if (SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), l.ctx_index) == nullptr) return nullptr;
  buffers = new Buffers;
  SSL_set_ex_data(const_cast<SSL*>(ssl), l.ssl_index, buffers);
  return buffers;
}

// Sends the held head (cpp-httplib's sockets block: SSL_write writes all or fails) and keeps the
// buffer's memory unless an unusually large answer grew it.
int WriteHeld(SSL* ssl, const Libssl& l, Buffers& b) {
  const int n = l.write(ssl, b.held.data(), static_cast<int>(b.held.size()));
  b.held.clear();
  if (b.held.capacity() > 64 * 1024) std::string().swap(b.held);
  return n;
}

}  // namespace

void BufferTls(SSL_CTX* ctx) {
  static int marker = 1;
  SSL_CTX_set_ex_data(ctx, Real().ctx_index, &marker);
}

void HoldNextWrite(const SSL* ssl) {
  if (ssl == nullptr) return;
  if (Buffers* b = BuffersOf(ssl, Real(), true)) b->hold_next = true;
}

void FlushHeldWrite(const SSL* ssl) {
  if (ssl == nullptr) return;
  const auto& l = Real();
  Buffers* b = BuffersOf(ssl, l, false);
  if (b == nullptr) return;
  b->hold_next = false;
  if (!b->held.empty()) WriteHeld(const_cast<SSL*>(ssl), l, *b);
}

}  // namespace kubedouble::fake

namespace kf = kubedouble::fake;

extern "C" int SSL_read(SSL* ssl, void* out, int num) {
  const auto& l = kf::Real();
  kf::Buffers* b = kf::BuffersOf(ssl, l, num > 0 && num < kf::kDirectRead);
  if (b == nullptr || num <= 0) return l.read(ssl, out, num);
  if (b->begin == b->end) {
    if (num >= kf::kDirectRead) return l.read(ssl, out, num);
    const int n = l.read(ssl, b->data, kf::kReadBufferSize);
    if (n <= 0) return n;  // SSL_get_error sees this very call
    b->begin = 0;
    b->end = n;
  }
  const int n = std::min(num, b->end - b->begin);
  std::memcpy(out, b->data + b->begin, static_cast<size_t>(n));
  b->begin += n;
  return n;
}

extern "C" int SSL_pending(const SSL* ssl) {
  const auto& l = kf::Real();
  const kf::Buffers* b = kf::BuffersOf(ssl, l, false);
  // cpp-httplib asks before every one-byte read whether it may read without waiting: bytes held
  // here answer that without walking OpenSSL's record layer (they come first anyway).
  if (b != nullptr && b->end > b->begin) return b->end - b->begin;
  return l.pending(ssl);
}

extern "C" int SSL_write(SSL* ssl, const void* data, int num) {
  const auto& l = kf::Real();
  kf::Buffers* b = num > 0 ? kf::BuffersOf(ssl, l, false) : nullptr;
  if (b == nullptr) return l.write(ssl, data, num);
  const auto* bytes = static_cast<const char*>(data);
  const auto size = static_cast<size_t>(num);
  if (b->hold_next) {  // the head: sent with the body
    b->hold_next = false;
    b->held.assign(bytes, size);
    return num;
  }
  if (b->held.empty()) return l.write(ssl, data, num);
  if (size <= kf::kJoinLimit) {  // head and body in one record
    b->held.append(bytes, size);
    const int n = kf::WriteHeld(ssl, l, *b);
    return n > 0 ? num : n;
  }
  const int n = kf::WriteHeld(ssl, l, *b);
  return n > 0 ? l.write(ssl, data, num) : n;
}
