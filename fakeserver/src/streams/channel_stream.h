// Kubernetes' channel protocols over WebSocket (k8s.io/apimachinery wsstream), as exec and attach
// speak them: every message is one channel's data, its first byte the channel number.
//
//   channel 0 stdin (client → server), 1 stdout, 2 stderr, 3 error (a metav1.Status as JSON
//   from v4 on, plain text before), 4 resize ({"Width":W,"Height":H}, client → server);
//   v5 adds 255, the close signal: a client message [255, N] says the client closed channel N
//   (stdin's end of file without closing the connection).
//
// The binary protocols send binary frames (the Python client sends text frames holding the same
// bytes; both are read alike). The base64 protocols send text frames: the channel as an ASCII
// digit, then the data in base64.
//
// Negotiation (Sec-WebSocket-Protocol), as kube-apiserver 1.32 with its kubelet answers it:
// - a client offering v5.channel.k8s.io gets it (the apiserver itself ends such a stream);
// - otherwise the first of the client's protocols that the kubelet speaks wins:
//   v4.channel.k8s.io, v4.base64.channel.k8s.io, channel.k8s.io, base64.channel.k8s.io;
// - a client that offers none gets the binary protocol without a name;
// - a client whose protocols are all unknown gets 403 Forbidden with no body (what Go's
//   x/net/websocket answers a refused handshake).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "websocket.h"

namespace kubedouble::fake {

inline constexpr uint8_t kStdinChannel = 0;
inline constexpr uint8_t kStdoutChannel = 1;
inline constexpr uint8_t kStderrChannel = 2;
inline constexpr uint8_t kErrorChannel = 3;
inline constexpr uint8_t kResizeChannel = 4;
inline constexpr uint8_t kCloseSignalChannel = 255;

struct ChannelProtocol {
  std::string name;  // as negotiated ("" when the client asked for none)
  int version = 1;   // 1 (channel.k8s.io, ""), 4, 5
  bool base64 = false;
};

// The answer to a WebSocket upgrade request for exec or attach.
struct HandshakeAnswer {
  int status = 101;                                          // 101, or 400 / 403 when refused
  std::vector<std::pair<std::string, std::string>> headers;  // for the 101 (or the refusal)
  std::string body;                                          // for a refusal
  std::optional<ChannelProtocol> protocol;                   // set with 101
  bool spdy = false;  // the 101 is to SPDY/3.1 (spdy_channels.h), not WebSocket
};

// The request's upgrade headers: Sec-WebSocket-Key, Sec-WebSocket-Version and every
// Sec-WebSocket-Protocol value (joined with ", " when the header came more than once); for
// SPDY, Upgrade and X-Stream-Protocol-Version.
struct UpgradeHeaders {
  std::string key;
  std::string version;
  std::string protocols;
  std::string upgrade;           // Upgrade: "websocket", or "SPDY/3.1" (spdy_channels.h)
  std::string stream_protocols;  // every X-Stream-Protocol-Version value (SPDY), joined
};

// 400 for a missing key or a version other than 13 (with Sec-WebSocket-Version: 13), 403 for
// protocols the server does not speak, else 101 with Upgrade, Connection, Sec-WebSocket-Accept
// and Sec-WebSocket-Protocol (when one was negotiated).
HandshakeAnswer AnswerChannelHandshake(const UpgradeHeaders& headers);

// The protocol the server picks for the client's Sec-WebSocket-Protocol list (see above).
std::optional<ChannelProtocol> NegotiateChannelProtocol(std::string_view offered);

// One channel message from the client.
struct ChannelMessage {
  uint8_t channel = 0;
  std::string data;
};

// The channels of an exec or attach, whatever carries them (WebSocket here, SPDY in
// spdy_channels.h). Receive on one thread, Send from any.
class ChannelTransport {
 public:
  virtual ~ChannelTransport() = default;
  // The remote command protocol's version: 1 (and 2, 3: the error channel carries text), 4 and 5
  // (a metav1.Status).
  virtual int version() const = 0;
  // The client's next message (a stdin end as the close signal [255, 0]); nullopt when the
  // client closed the connection or broke the protocol.
  virtual std::optional<ChannelMessage> Receive() = 0;
  // `data` on `channel`; false when the client has gone.
  virtual bool Send(uint8_t channel, std::string_view data) = 0;
  // Ends every channel and closes the stream.
  virtual void Close() = 0;
};

// A channel protocol connection on an upgraded WebSocket stream.
class ChannelStream : public ChannelTransport {
 public:
  ChannelStream(net::UpgradedStream& stream, ChannelProtocol protocol);

  const ChannelProtocol& protocol() const { return protocol_; }
  int version() const override { return protocol_.version; }

  // Empty messages are skipped.
  std::optional<ChannelMessage> Receive() override;
  bool Send(uint8_t channel, std::string_view data) override;
  // Closes the WebSocket (close 1000) and the stream.
  void Close() override;

 private:
  ws::Connection conn_;
  ChannelProtocol protocol_;
};

}  // namespace kubedouble::fake
