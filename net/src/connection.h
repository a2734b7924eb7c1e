// One connection of an HttpServer: it owns its socket, its TLS session (none on a plain-HTTP
// listener: `ssl` null, plain_io.h), the bytes read for the request parser (framed as they
// arrive, request_framing.h) and its state.
//
// Who touches it: the event loop while it shakes hands, waits for a request head (kIdle) or
// drains before closing or writes on an answer its client reads slowly (kWriting); the worker
// answering its request (kActive) or the taker of an upgrade (kUpgraded). The state says which;
// `mu` guards the state, the hang-up callbacks and the hand-over between the two. The socket is
// non-blocking; a worker's reads and writes wait with poll(2) up to the io timeout.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "request_framing.h"

namespace kubedouble::net {

namespace http2 {
class Session;
class Stream;
}  // namespace http2

class Connection {
 public:
  enum class State {
    kHandshake,  // TLS handshake under way (the loop)
    kIdle,       // waiting for a whole request head (the loop)
    kActive,     // a request is being answered (a worker)
    kUpgraded,   // after 101: an UpgradedStream's taker (a worker)
    kWriting,    // a whole answer waits for the client to read (the loop, on EPOLLOUT)
    kDraining,   // answered and ending: what the client still sends is dropped (the loop)
    kHttp2,      // HTTP/2 (ALPN "h2"): frames read and written by the loop, streams on workers
    kClosed,
  };
  using Clock = std::chrono::steady_clock;

  Connection(uint64_t id, int fd, SSL* ssl, std::chrono::milliseconds io_timeout, int epoll_fd);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  uint64_t id() const { return id_; }
  int fd() const { return fd_; }
  SSL* ssl() const { return ssl_; }

  // Non-blocking handshake step: 1 done, 0 wants more bytes (or to write), -1 failed.
  int Handshake();

  enum class Fill { kData, kWouldBlock, kEnd };
  // Reads what TLS holds now (never waits), frames it and appends what the parser is to see.
  // kData: something was read (maybe all dropped); kWouldBlock: nothing now; kEnd: the peer
  // closed, the connection failed, or the framing refused the stream (rejected()).
  Fill ReadNow();
  // Waits (up to the io timeout) until at least one more byte is there for the parser; false
  // at the end of the stream, on a failure, a timeout or a refusal.
  bool ReadMore();

  // Waits up to `wait` for bytes on the socket (or in TLS's buffer); true when there are some.
  bool WaitBriefly(std::chrono::milliseconds wait);

  // Writes all of `data` inside TLS, waiting as needed (up to the io timeout per step); false
  // when the connection failed or was ended. Thread-safe against a concurrent read (upgrades).
  bool Write(const char* data, size_t size);

  // Bytes framed and not yet taken by the parser.
  std::string& input() { return input_; }
  size_t& input_pos() { return input_pos_; }
  // When the parser has taken every byte of input(): gives its memory back, and the framing's
  // line buffer between requests (a connection that waits for its next request, or whose answer
  // waits parked, keeps no input buffer: 300 bytes and more each, of 15,000).
  void ReleaseInput();
  // A whole request head is in input() (and not yet taken).
  bool HeadReady() const { return framing_.heads() > heads_taken_; }
  void TakeHead() { ++heads_taken_; }
  // The framing refused the stream: its answer (may be empty) is to be sent once every request
  // before it is answered, and the connection ends.
  bool rejected() const { return framing_.Rejected(); }
  const std::string& rejection() const { return framing_.RejectionAnswer(); }
  // A head has begun and is not whole yet (the head timeout runs).
  bool InHead() const { return framing_.InHead(); }

  // Ending.
  // RST now: SO_LINGER 0 and close. Anything later fails.
  void Reset();
  // Sends TLS close_notify and FIN, keeps reading (to drop) until Close.
  void EndWrites();
  // Shuts the socket down both ways (FIN; a blocked reader wakes up); it stays open until Close.
  void Shutdown();
  // Closes the socket (if still open).
  void Close();
  bool ended() const { return ended_; }

  // Non-blocking reads and writes for HTTP/2 and a whole HTTP/1.1 answer: > 0 bytes,
  // 0 would block, -1 the end or a failure. WriteNow must be retried with the same bytes after
  // a 0 (ReadAvailable: TLS only).
  int ReadAvailable(char* buf, int size) { return ReadRecord(buf, size); }
  int WriteNow(const char* data, size_t size);

  // The HTTP/2 session of a kHttp2 connection (used by the loop only).
  std::unique_ptr<http2::Session> h2;
  // Streams whose requests arrived in the session's last step and are answered in turn by one
  // worker (under the session's lock).
  std::vector<std::shared_ptr<http2::Stream>> h2_quick;

  // A blocking read for an upgraded stream: up to `size` bytes (from input() first).
  ssize_t ReadSome(char* data, size_t size);

  // State and hang-up, under mu.
  std::mutex mu;
  State state = State::kHandshake;
  Clock::time_point since;           // of the state (the handshake, the idle wait, the drain)
  Clock::time_point head_started{};  // first byte of the head being read (kIdle)
  bool head_timing = false;
  bool hung_up = false;
  std::vector<std::function<void()>> on_hang_up;
  bool has_place = false;  // holds one of max_connections places
  size_t drained = 0;      // bytes dropped while draining
  // kWriting: the answer's bytes, how many are sent, whether the connection then ends.
  std::string unsent;
  size_t unsent_pos = 0;
  bool close_after = false;

  bool HungUp() {
    std::lock_guard lock(mu);
    return hung_up;
  }
  // What the event loop listens for on this connection (epoll events of its socket).
  void Listen(uint32_t events);
  // While a worker has the connection, the loop listens for the client going away only once
  // someone wants to know (a hang-up callback, a streamed answer): one system call less for
  // every other request. Call with mu held.
  void ListenForHangUp();
  bool hang_up_armed = false;  // under mu
  bool streaming = false;      // under mu: a content provider's answer is being written
  // Whether the client has gone, asked of the socket itself now (never waits): its end closed,
  // reset or failed. What is armed in epoll or buffered in TLS does not change the answer.
  bool PeerGone();

  // The two ends of the TCP connection (set once, at accept).
  std::string remote_ip, local_ip;
  int remote_port = 0, local_port = 0;

  // Runs (and drops) the hang-up callbacks; call with mu held released (they may take locks).
  void FireHangUp();

 private:
  // Waits for the socket to be readable (`write` false) or writable; false on timeout/ending.
  bool Wait(bool write);
  // Frames `n` decrypted bytes and appends the kept ones to input().
  void Frame(const char* data, size_t n);
  // One SSL_read of what is there: > 0 bytes, 0 would block, -1 end or failure.
  int ReadRecord(char* buf, int size);

  const uint64_t id_;
  const int epoll_fd_;
  int fd_;
  SSL* ssl_;
  const std::chrono::milliseconds io_timeout_;
  std::mutex io_mu_;  // the SSL object, between a reader and a writer (upgraded streams)
  RequestFraming framing_;
  std::string input_;
  size_t input_pos_ = 0;
  uint64_t heads_taken_ = 0;
  std::atomic<bool> ended_{false};
};

}  // namespace kubedouble::net
