// The API server's side of each TLS connection (see tls_buffers.h).
//
// Reads: cpp-httplib reads a request head one byte per SSL_read; each call walks OpenSSL's record
// layer (about 200 instructions) to copy one byte out of a record it already holds, a sixth of
// the server's instructions for a small GET. A small read on a marked connection takes the whole
// record into a per-connection buffer; later small reads are served from it. SSL_pending reports
// the buffered bytes, so cpp-httplib never waits on the socket for bytes already read. Every
// read, buffered or not, is framed (request_framing.h) as it is handed to the parser, so the
// framing sees exactly what the parser takes.
// Writes: the head of an answer is held and goes out with its body in one SSL_write: one record,
// one system call, one TCP segment for a small answer (no TCP_CORK toggling either).
// The real functions are found with dlsym(RTLD_NEXT); every SSL object of an unmarked context
// (accesslib's and the scenario clients, the mitm proxy) goes straight to them.
#include "tls_buffers.h"

#include <dlfcn.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "connection_slots.h"
#include "request_framing.h"

namespace kubedouble::fake {
namespace {

using ReadFn = int (*)(SSL*, void*, int);
using PendingFn = int (*)(const SSL*);
using WriteFn = int (*)(SSL*, const void*, int);
using AcceptFn = int (*)(SSL*);

// Reads of at least this many bytes go straight to OpenSSL (bodies).
constexpr int kDirectRead = 1024;
// Enough for a request head with a service-account token. A larger record is read in parts
// (OpenSSL keeps the rest and SSL_pending counts it), so this bounds memory, not correctness:
// 256 idle keep-alive connections hold 1 MiB. Allocated at the first small read.
constexpr int kReadBufferSize = 4 * 1024;
// A head is sent with a body of up to this size in one write (copied once); larger bodies follow
// the head in their own write.
constexpr size_t kJoinLimit = 256 * 1024;

struct Buffers {
  Buffers(ConnectionSlots* s, int fd) : slots(s), id(s->Open(fd)) {}
  ~Buffers() { slots->Close(id); }
  ConnectionSlots* slots;
  ConnectionSlots::Id id;
  std::unique_ptr<char[]> data;
  int begin = 0;
  int end = 0;
  bool hold_next = false;
  bool ended = false;  // no more reads: the framing refused the stream, or an answer ended it
  ConnectionSlots::Phase phase = ConnectionSlots::Phase::kHandshake;  // as told to `slots`
  std::string held;  // an answer's head waiting for its body
  RequestFraming framing;
};

struct Libssl {
  ReadFn read = nullptr;
  PendingFn pending = nullptr;
  WriteFn write = nullptr;
  AcceptFn accept = nullptr;
  int ctx_index = -1;  // SSL_CTX ex_data: the context's ConnectionSlots when it is marked
  int ssl_index = -1;  // SSL ex_data: the connection's Buffers
};

// Buffers freed so far. A thread's last lookup (below) stands while no Buffers was freed since:
// an SSL freed and another made at its address cannot be taken for the old one.
std::atomic<uint64_t> buffers_freed{0};

// The connection this thread last looked up. cpp-httplib reads a request head a byte at a time,
// with an SSL_pending and an SSL_read for each: two lookups of OpenSSL's ex_data per byte cost a
// tenth of a small GET's instructions.
struct LastLookup {
  const SSL* ssl = nullptr;
  Buffers* buffers = nullptr;
  uint64_t freed = 0;
};
thread_local LastLookup last_lookup;

void FreeBuffers(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  if (ptr == nullptr) return;
  buffers_freed.fetch_add(1, std::memory_order_acq_rel);
  last_lookup = {};
  delete static_cast<Buffers*>(ptr);
}

const Libssl& Real() {
  static const Libssl libssl = [] {
    Libssl l;
    l.read = reinterpret_cast<ReadFn>(dlsym(RTLD_NEXT, "SSL_read"));
    l.pending = reinterpret_cast<PendingFn>(dlsym(RTLD_NEXT, "SSL_pending"));
    l.write = reinterpret_cast<WriteFn>(dlsym(RTLD_NEXT, "SSL_write"));
    l.accept = reinterpret_cast<AcceptFn>(dlsym(RTLD_NEXT, "SSL_accept"));
    if (l.read == nullptr || l.pending == nullptr || l.write == nullptr || l.accept == nullptr) {
      std::abort();
    }
    l.ctx_index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    l.ssl_index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, FreeBuffers);
    return l;
  }();
  return libssl;
}

// BuffersOf when this thread's last lookup was of another connection.
[[gnu::noinline]] Buffers* LookUpBuffers(const SSL* ssl, const Libssl& l, bool create,
                                         uint64_t freed) {
  auto* buffers = static_cast<Buffers*>(SSL_get_ex_data(ssl, l.ssl_index));
  if (buffers != nullptr) last_lookup = {ssl, buffers, freed};
  if (buffers != nullptr || !create) return buffers;
  auto* slots =
      static_cast<ConnectionSlots*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), l.ctx_index));
  if (slots == nullptr) return nullptr;
  buffers = new Buffers(slots, SSL_get_fd(ssl));
  SSL_set_ex_data(const_cast<SSL*>(ssl), l.ssl_index, buffers);
  last_lookup = {ssl, buffers, freed};
  return buffers;
}

// The connection's buffers; created on first use for a connection of a marked context, nullptr
// for any other connection (or when `create` is false and there are none yet).
inline Buffers* BuffersOf(const SSL* ssl, const Libssl& l, bool create) {
  const uint64_t freed = buffers_freed.load(std::memory_order_acquire);
  if (last_lookup.ssl == ssl && last_lookup.freed == freed) return last_lookup.buffers;
  return LookUpBuffers(ssl, l, create, freed);
}

// Tells the slots of a change of phase (a head is read a byte at a time: no lock for each).
void Enter(Buffers& b, ConnectionSlots::Phase phase) {
  if (b.phase == phase) return;
  b.phase = phase;
  b.slots->Enter(b.id, phase);
}

// Sends the held head (cpp-httplib's sockets block: SSL_write writes all or fails) and keeps the
// buffer's memory unless an unusually large answer grew it.
int WriteHeld(SSL* ssl, const Libssl& l, Buffers& b) {
  const int n = l.write(ssl, b.held.data(), static_cast<int>(b.held.size()));
  b.held.clear();
  if (b.held.capacity() > 64 * 1024) std::string().swap(b.held);
  return n;
}

// Ends the connection after its last answer, as Go's server does: the answer is followed by the
// end of the stream (FIN), what the client still sends is read and dropped for a moment (closing
// a socket with unread bytes sends a reset, which can destroy the answer before the client reads
// it), then the read side is shut too, so the parser sees the end at once and closes.
void EndConnection(const SSL* ssl, Buffers& b) {
  constexpr auto kLinger = std::chrono::milliseconds(500);
  constexpr size_t kLingerBytes = 4 << 20;
  b.ended = true;
  const int fd = SSL_get_fd(ssl);
  if (fd < 0) return;
  ::shutdown(fd, SHUT_WR);
  const auto until = std::chrono::steady_clock::now() + kLinger;
  char sink[16 * 1024];
  size_t dropped = 0;
  while (dropped < kLingerBytes) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    ssize_t n = ::recv(fd, sink, sizeof sink, MSG_DONTWAIT);
    if (n <= 0) break;
    dropped += static_cast<size_t>(n);
  }
  ::shutdown(fd, SHUT_RD);
}

// Takes up to `num` bytes for the parser into `out`, unframed; <= 0 as SSL_read answers.
int Take(SSL* ssl, const Libssl& l, Buffers& b, char* out, int num) {
  if (b.begin == b.end) {
    if (num >= kDirectRead) return l.read(ssl, out, num);
    if (!b.data) b.data = std::make_unique<char[]>(kReadBufferSize);
    const int n = l.read(ssl, b.data.get(), kReadBufferSize);
    if (n <= 0) return n;  // SSL_get_error sees this very call
    b.begin = 0;
    b.end = n;
  }
  const int n = std::min(num, b.end - b.begin);
  std::memcpy(out, b.data.get() + b.begin, static_cast<size_t>(n));
  b.begin += n;
  return n;
}

}  // namespace

void BufferTls(SSL_CTX* ctx, ConnectionSlots* slots) {
  static ConnectionSlots shared;
  SSL_CTX_set_ex_data(ctx, Real().ctx_index, slots != nullptr ? slots : &shared);
}

void HoldNextWrite(const SSL* ssl) {
  if (ssl == nullptr) return;
  if (Buffers* b = BuffersOf(ssl, Real(), true)) b->hold_next = true;
}

void RequestStarted(const SSL* ssl) {
  if (ssl == nullptr) return;
  if (Buffers* b = BuffersOf(ssl, Real(), false)) Enter(*b, ConnectionSlots::Phase::kActive);
}

bool BodyUnread(const SSL* ssl) {
  const Buffers* b = ssl != nullptr ? BuffersOf(ssl, Real(), false) : nullptr;
  return b != nullptr && b->framing.BodyPending();
}

void RequestAnswered(const SSL* ssl) {
  if (ssl == nullptr) return;
  const auto& l = Real();
  Buffers* b = BuffersOf(ssl, l, false);
  if (b == nullptr) return;
  b->hold_next = false;
  if (!b->held.empty()) WriteHeld(const_cast<SSL*>(ssl), l, *b);
  Enter(*b, ConnectionSlots::Phase::kIdle);
  if (b->framing.BodyPending()) EndConnection(ssl, *b);
}

}  // namespace kubedouble::fake

namespace kf = kubedouble::fake;

extern "C" int SSL_accept(SSL* ssl) {
  const auto& l = kf::Real();
  kf::BuffersOf(ssl, l, true);  // a marked connection is tracked from its handshake on
  return l.accept(ssl);
}

extern "C" int SSL_read(SSL* ssl, void* out, int num) {
  const auto& l = kf::Real();
  kf::Buffers* b = kf::BuffersOf(ssl, l, num > 0);
  if (b == nullptr || num <= 0) return l.read(ssl, out, num);
  auto* bytes = static_cast<char*>(out);
  for (;;) {
    if (b->ended) return 0;
    const int n = kf::Take(ssl, l, *b, bytes, num);
    if (n <= 0) return n;
    const size_t kept = b->framing.Scan(bytes, static_cast<size_t>(n));
    if (b->framing.Rejected()) {
      const std::string& answer = b->framing.RejectionAnswer();
      if (!answer.empty()) l.write(ssl, answer.data(), static_cast<int>(answer.size()));
      kf::EndConnection(ssl, *b);
      return 0;
    }
    // A head, or a discarded body, read outside an answer: the head timeout applies.
    if (b->phase != kf::ConnectionSlots::Phase::kActive && (kept == 0 || b->framing.InHead())) {
      kf::Enter(*b, kf::ConnectionSlots::Phase::kHead);
    }
    if (kept > 0) return static_cast<int>(kept);
    // Every byte was part of a discarded body: read on (the head timeout bounds the wait).
  }
}

extern "C" int SSL_pending(const SSL* ssl) {
  const auto& l = kf::Real();
  const kf::Buffers* b = kf::BuffersOf(ssl, l, false);
  if (b != nullptr && b->ended) return 0;
  // cpp-httplib asks before every one-byte read whether it may read without waiting: bytes held
  // here answer that without walking OpenSSL's record layer (they come first anyway).
  if (b != nullptr && b->end > b->begin) return b->end - b->begin;
  return l.pending(ssl);
}

extern "C" int SSL_write(SSL* ssl, const void* data, int num) {
  const auto& l = kf::Real();
  kf::Buffers* b = num > 0 ? kf::BuffersOf(ssl, l, false) : nullptr;
  if (b == nullptr) return l.write(ssl, data, num);
  // After the framing refused the stream (and answered), the parser's own answer is dropped.
  if (b->framing.Rejected()) return num;
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
