#include "channel_stream.h"

#include <kubedouble/base/encoding.h>
#include <kubedouble/base/strings.h>

#include <algorithm>

namespace kubedouble::fake {

namespace {

constexpr char kV5[] = "v5.channel.k8s.io";

// The protocols the kubelet's WebSocket server speaks (besides v5, which the apiserver ends).
std::optional<ChannelProtocol> KubeletProtocol(const std::string& name) {
  if (name == "v4.channel.k8s.io") return ChannelProtocol{name, 4, false};
  if (name == "v4.base64.channel.k8s.io") return ChannelProtocol{name, 4, true};
  if (name == "channel.k8s.io") return ChannelProtocol{name, 1, false};
  if (name == "base64.channel.k8s.io") return ChannelProtocol{name, 1, true};
  return std::nullopt;
}

// The comma-separated items of a header value, trimmed, empty ones dropped.
std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> out;
  for (size_t start = 0; start <= text.size();) {
    size_t comma = std::min(text.find(',', start), text.size());
    std::string item = base::Trim(text.substr(start, comma - start));
    if (!item.empty()) out.push_back(std::move(item));
    start = comma + 1;
  }
  return out;
}

}  // namespace

std::optional<ChannelProtocol> NegotiateChannelProtocol(std::string_view offered) {
  const std::vector<std::string> names = SplitList(offered);
  if (names.empty()) return ChannelProtocol{"", 1, false};
  if (std::find(names.begin(), names.end(), kV5) != names.end()) {
    return ChannelProtocol{kV5, 5, false};
  }
  for (const std::string& name : names) {
    if (auto p = KubeletProtocol(name)) return p;
  }
  return std::nullopt;
}

HandshakeAnswer AnswerChannelHandshake(const UpgradeHeaders& headers) {
  HandshakeAnswer answer;
  if (headers.version != "13") {
    answer.status = 400;
    answer.headers.emplace_back("Sec-WebSocket-Version", "13");
    answer.body = "Bad Request";
    return answer;
  }
  if (headers.key.empty()) {
    answer.status = 400;
    answer.body = "Bad Request";
    return answer;
  }
  answer.protocol = NegotiateChannelProtocol(headers.protocols);
  if (!answer.protocol) {
    answer.status = 403;
    return answer;
  }
  answer.headers.emplace_back("Upgrade", "websocket");
  answer.headers.emplace_back("Connection", "Upgrade");
  answer.headers.emplace_back("Sec-WebSocket-Accept", ws::AcceptKey(headers.key));
  if (!answer.protocol->name.empty()) {
    answer.headers.emplace_back("Sec-WebSocket-Protocol", answer.protocol->name);
  }
  return answer;
}

ChannelStream::ChannelStream(net::UpgradedStream& stream, ChannelProtocol protocol)
    : conn_(stream), protocol_(std::move(protocol)) {}

std::optional<ChannelMessage> ChannelStream::Receive() {
  for (;;) {
    std::optional<ws::Message> message = conn_.Receive();
    if (!message) return std::nullopt;
    std::string& payload = message->payload;
    if (payload.empty()) continue;
    ChannelMessage out;
    if (protocol_.base64) {
      const char digit = payload[0];
      if (digit < '0' || digit > '9') continue;
      out.channel = static_cast<uint8_t>(digit - '0');
      auto decoded = base::Base64Decode(std::string_view(payload).substr(1));
      if (!decoded) continue;  // as Go's reader, a message that does not decode is dropped
      out.data = std::move(*decoded);
    } else {
      out.channel = static_cast<uint8_t>(payload[0]);
      out.data = payload.substr(1);
    }
    return out;
  }
}

bool ChannelStream::Send(uint8_t channel, std::string_view data) {
  std::string payload;
  if (protocol_.base64) {
    payload += static_cast<char>('0' + channel);
    payload += base::Base64Encode(data);
    return conn_.Send(ws::Opcode::kText, payload);
  }
  payload.reserve(data.size() + 1);
  payload += static_cast<char>(channel);
  payload.append(data);
  return conn_.Send(ws::Opcode::kBinary, payload);
}

void ChannelStream::Close() { conn_.Close(ws::kCloseNormal); }

}  // namespace kubedouble::fake
