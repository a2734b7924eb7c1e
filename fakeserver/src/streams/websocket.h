// WebSocket (RFC 6455) over a connection that has been upgraded: the handshake's accept key,
// frames both ways, and a reader that joins fragments and answers the control frames.
//
// Written for the streaming subresources (exec, attach, port-forward), whose clients are
// kubectl 1.32 (gorilla/websocket), the Python client (websocket-client) and client-node (ws).
// websocketpp, Debian's WebSocket library, does not compile as C++20 with GCC 12 (its logger
// names constructors with template-ids), so the codec is the project's own; it is small.
//
// What the server does with a client's frames, as a Go server does:
// - a client's frames must be masked (1002 protocol error otherwise);
// - a ping is answered by a pong with the same payload; a pong is dropped;
// - a close is answered by a close with the same code, and the stream ends;
// - a message larger than the reader's limit ends the stream with 1009.
#pragma once

#include <kubedouble/net/upgraded_stream.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace kubedouble::fake::ws {

enum class Opcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

// Close codes the server sends.
inline constexpr uint16_t kCloseNormal = 1000;
inline constexpr uint16_t kCloseProtocolError = 1002;
inline constexpr uint16_t kCloseTooBig = 1009;

// Sec-WebSocket-Accept for the client's Sec-WebSocket-Key: base64(SHA-1(key + RFC 6455's GUID)).
std::string AcceptKey(std::string_view client_key);

// One frame. A server's frames go unmasked (`mask` empty); a client's are masked with `mask`.
std::string EncodeFrame(Opcode opcode, std::string_view payload, bool fin = true,
                        std::optional<std::array<uint8_t, 4>> mask = std::nullopt);

// The payload of a close frame: the code (big-endian) and the reason.
std::string ClosePayload(uint16_t code, std::string_view reason = {});

// The peer broke the protocol; `code` is the close code to answer with.
class ProtocolError : public std::runtime_error {
 public:
  ProtocolError(uint16_t code, const std::string& what) : std::runtime_error(what), code_(code) {}
  uint16_t code() const { return code_; }

 private:
  uint16_t code_;
};

// A whole message: text or binary, its fragments joined and unmasked.
struct Message {
  Opcode opcode = Opcode::kBinary;
  std::string payload;
};

// The server's end of a WebSocket on an upgraded stream. Receive and Send may run on two threads
// at once (Send and Close are serialised); Receive on one thread only.
class Connection {
 public:
  // `max_message`: the largest message accepted (1009 beyond it).
  explicit Connection(net::UpgradedStream& stream, size_t max_message = 32u << 20);

  // The next data message; nullopt once the peer closed (its close answered), the stream ended,
  // or the peer broke the protocol (the close with its code sent).
  std::optional<Message> Receive();
  // One unfragmented data message; false when it could not be written.
  bool Send(Opcode opcode, std::string_view payload);
  // Sends a close frame and closes the stream, once however often it is called.
  void Close(uint16_t code = kCloseNormal, std::string_view reason = {});

 private:
  // Fills buffer_ to at least `n` bytes; false at the end of the stream.
  bool Fill(size_t n);
  bool SendFrame(Opcode opcode, std::string_view payload);

  net::UpgradedStream& stream_;
  size_t max_message_;
  std::string buffer_;  // bytes read and not yet parsed
  std::mutex write_mu_;
  bool close_sent_ = false;
  std::atomic<bool> stream_closed_{false};
};

}  // namespace kubedouble::fake::ws
