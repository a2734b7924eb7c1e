// Kubernetes' remote command protocol over SPDY/3.1, the fallback kubectl takes when its WebSocket
// upgrade is refused (and what older clients speak): the client opens one SPDY stream per
// channel, naming it in the `streamtype` header (error, stdin, stdout, stderr, resize); the
// server replies to each and writes on stdout, stderr and error. The protocol comes from
// X-Stream-Protocol-Version as the kubelet negotiates it: the client's first of
// v4.channel.k8s.io, v3.channel.k8s.io, v2.channel.k8s.io, channel.k8s.io; none offered is
// channel.k8s.io's predecessor (version 1); none known is 403
// `unable to upgrade: unable to negotiate protocol: client supports [...], server accepts [...]`.
#pragma once

#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "channel_stream.h"
#include "spdy.h"

namespace kubedouble::fake {

// The items of a comma-separated header list, trimmed, empty ones dropped.
std::vector<std::string> SplitProtocolList(std::string_view list);

// The answer to a SPDY upgrade request: `offered` is every X-Stream-Protocol-Version value.
HandshakeAnswer AnswerSpdyHandshake(std::string_view offered);

class SpdyChannelStream : public ChannelTransport {
 public:
  SpdyChannelStream(net::UpgradedStream& stream, int version);

  // Replies to the client's streams until those an exec with these options has are open: error,
  // then stdin, stdout, stderr as asked, resize with a terminal (from v3). false when the client
  // went first.
  bool Accept(bool stdin, bool stdout, bool stderr, bool tty);

  int version() const override { return version_; }
  std::optional<ChannelMessage> Receive() override;
  bool Send(uint8_t channel, std::string_view data) override;
  // Ends the server's streams (FIN), says GOAWAY and closes the stream.
  void Close() override;

 private:
  // Handles a frame that is not data; false for the end of the session.
  bool Control(const spdy::Frame& f);
  // The messages of a data frame, queued.
  void QueueData(const spdy::Frame& f);

  spdy::Connection conn_;
  int version_;
  std::mutex mu_;                           // the maps: Receive adds, Send reads
  std::map<uint32_t, uint8_t> channel_of_;  // stream id → channel
  std::map<uint8_t, uint32_t> stream_of_;   // channel → stream id
  uint32_t last_stream_ = 0;
  std::deque<ChannelMessage> pending_;  // read, not yet received
};

}  // namespace kubedouble::fake
