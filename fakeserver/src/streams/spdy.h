// SPDY/3.1 (draft-mbelshe-httpbis-spdy-00, with 3.1's session flow control) on an upgraded
// stream: the frames a server of Kubernetes' remote command and port-forward streams reads and
// writes (moby/spdystream is the client kubectl uses as the fallback from WebSocket).
//
// Header blocks are zlib streams with the specification's dictionary, one compression context
// per direction for the life of the connection. Flow control windows are not enforced either
// way (spdystream does not enforce them either); WINDOW_UPDATE and SETTINGS are read and dropped.
#pragma once

#include <kubedouble/net/upgraded_stream.h>
#include <zlib.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kubedouble::fake::spdy {

using Headers = std::vector<std::pair<std::string, std::string>>;  // names in lower case

enum class FrameType : uint16_t {
  kData = 0,  // not a control frame
  kSynStream = 1,
  kSynReply = 2,
  kRstStream = 3,
  kSettings = 4,
  kPing = 6,
  kGoAway = 7,
  kHeaders = 8,
  kWindowUpdate = 9,
};

inline constexpr uint8_t kFlagFin = 0x01;

struct Frame {
  FrameType type = FrameType::kData;
  uint8_t flags = 0;
  uint32_t stream_id = 0;  // data, SYN_STREAM, SYN_REPLY, RST_STREAM, HEADERS, WINDOW_UPDATE
  std::string data;        // a data frame's bytes; PING's id (4 bytes)
  Headers headers;         // SYN_STREAM, SYN_REPLY, HEADERS
  bool fin() const { return flags & kFlagFin; }
};

// The SPDY/3 header compression dictionary (1423 bytes).
const std::string& HeaderDictionary();

// A connection's header compression: Compress for the blocks it sends, Decompress for those it
// reads, each with its own zlib stream for the life of the connection (the two may run on two
// threads, each on one).
class HeaderCodec {
 public:
  HeaderCodec();
  ~HeaderCodec();
  HeaderCodec(const HeaderCodec&) = delete;
  HeaderCodec& operator=(const HeaderCodec&) = delete;

  std::string Compress(const Headers& headers);
  // nullopt when the block does not decompress or parse.
  std::optional<Headers> Decompress(std::string_view block);

 private:
  z_stream deflate_{};
  z_stream inflate_{};
};

// A frame as bytes (the tests' client writes its frames with these too).
std::string EncodeData(uint32_t stream_id, std::string_view data, bool fin);
std::string EncodeControl(FrameType type, uint8_t flags, std::string_view payload);

// The server's end of a SPDY session. Read on one thread; the writes may come from any.
class Connection {
 public:
  explicit Connection(net::UpgradedStream& stream);

  // The next frame; nullopt at the end of the stream or for a frame that does not parse.
  std::optional<Frame> Read();

  bool SynReply(uint32_t stream_id, const Headers& headers, bool fin = false);
  bool Data(uint32_t stream_id, std::string_view data, bool fin = false);
  bool Ping(std::string_view id);
  bool GoAway(uint32_t last_stream_id);
  // Closes the stream (once).
  void Close();

 private:
  bool Fill(size_t n);
  bool Write(const std::string& bytes);

  net::UpgradedStream& stream_;
  std::string buffer_;
  HeaderCodec headers_;  // Compress under write_mu_, Decompress on the reading thread
  std::mutex write_mu_;
  bool closed_ = false;  // under write_mu_
};

}  // namespace kubedouble::fake::spdy
