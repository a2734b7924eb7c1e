#include "spdy_channels.h"

#include <algorithm>
#include <vector>

namespace kubedouble::fake {

namespace {

constexpr const char* kSpdyProtocols[] = {"v4.channel.k8s.io", "v3.channel.k8s.io",
                                          "v2.channel.k8s.io", "channel.k8s.io"};
constexpr size_t kMaxDataFrame = 32u << 10;

int VersionOf(std::string_view name) {
  if (name == "v4.channel.k8s.io") return 4;
  if (name == "v3.channel.k8s.io") return 3;
  if (name == "v2.channel.k8s.io") return 2;
  return 1;
}

std::optional<uint8_t> ChannelNamed(const std::string& type) {
  if (type == "error") return kErrorChannel;
  if (type == "stdin") return kStdinChannel;
  if (type == "stdout") return kStdoutChannel;
  if (type == "stderr") return kStderrChannel;
  if (type == "resize") return kResizeChannel;
  return std::nullopt;
}

std::string GoList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? " " : "") + items[i];
  return out + "]";
}

}  // namespace

std::vector<std::string> SplitProtocolList(std::string_view list) {
  std::vector<std::string> items;
  for (size_t start = 0; start <= list.size();) {
    size_t comma = std::min(list.find(',', start), list.size());
    std::string item(list.substr(start, comma - start));
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) items.push_back(item);
    start = comma + 1;
  }
  return items;
}

HandshakeAnswer AnswerSpdyHandshake(std::string_view offered) {
  const std::vector<std::string> client = SplitProtocolList(offered);
  HandshakeAnswer answer;
  std::string chosen;
  for (const std::string& c : client) {
    auto known = std::find(std::begin(kSpdyProtocols), std::end(kSpdyProtocols), c);
    if (known != std::end(kSpdyProtocols)) {
      chosen = c;
      break;
    }
  }
  if (!client.empty() && chosen.empty()) {
    answer.status = 403;
    answer.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
    answer.body = "unable to upgrade: unable to negotiate protocol: client supports " +
                  GoList(client) + ", server accepts " +
                  GoList({std::begin(kSpdyProtocols), std::end(kSpdyProtocols)}) + "\n";
    return answer;
  }
  answer.headers.emplace_back("Connection", "Upgrade");
  answer.headers.emplace_back("Upgrade", "SPDY/3.1");
  if (!chosen.empty()) answer.headers.emplace_back("X-Stream-Protocol-Version", chosen);
  answer.protocol = ChannelProtocol{chosen, VersionOf(chosen), false};
  answer.spdy = true;
  return answer;
}

SpdyChannelStream::SpdyChannelStream(net::UpgradedStream& stream, int version)
    : conn_(stream), version_(version) {}

bool SpdyChannelStream::Control(const spdy::Frame& f) {
  switch (f.type) {
    case spdy::FrameType::kSynStream: {
      std::string type;
      for (const auto& [name, value] : f.headers) {
        if (name == "streamtype") type = value;
      }
      std::lock_guard lock(mu_);
      if (auto channel = ChannelNamed(type)) {
        channel_of_[f.stream_id] = *channel;
        stream_of_[*channel] = f.stream_id;
      }
      last_stream_ = std::max(last_stream_, f.stream_id);
      conn_.SynReply(f.stream_id, {});
      if (f.fin() && channel_of_.count(f.stream_id) && channel_of_[f.stream_id] == kStdinChannel) {
        pending_.push_back({kCloseSignalChannel, std::string(1, '\0')});
      }
      return true;
    }
    case spdy::FrameType::kPing:
      conn_.Ping(f.data);
      return true;
    case spdy::FrameType::kGoAway:
      return false;
    case spdy::FrameType::kRstStream: {
      std::lock_guard lock(mu_);
      if (channel_of_.count(f.stream_id) && channel_of_[f.stream_id] == kStdinChannel) {
        pending_.push_back({kCloseSignalChannel, std::string(1, '\0')});
      }
      return true;
    }
    default:  // SYN_REPLY, HEADERS, SETTINGS, WINDOW_UPDATE
      return true;
  }
}

void SpdyChannelStream::QueueData(const spdy::Frame& f) {
  std::lock_guard lock(mu_);
  auto it = channel_of_.find(f.stream_id);
  if (it == channel_of_.end()) return;
  if (!f.data.empty()) pending_.push_back({it->second, f.data});
  if (f.fin() && it->second == kStdinChannel) {
    pending_.push_back({kCloseSignalChannel, std::string(1, '\0')});
  }
}

bool SpdyChannelStream::Accept(bool stdin, bool stdout, bool stderr, bool tty) {
  auto have = [this](uint8_t channel) {
    std::lock_guard lock(mu_);
    return stream_of_.count(channel) > 0;
  };
  auto complete = [&] {
    return have(kErrorChannel) && (!stdin || have(kStdinChannel)) &&
           (!stdout || have(kStdoutChannel)) && (!stderr || have(kStderrChannel)) &&
           (!tty || version_ < 3 || have(kResizeChannel));
  };
  while (!complete()) {
    std::optional<spdy::Frame> f = conn_.Read();
    if (!f) return false;
    if (f->type == spdy::FrameType::kData) {
      QueueData(*f);
    } else if (!Control(*f)) {
      return false;
    }
  }
  return true;
}

std::optional<ChannelMessage> SpdyChannelStream::Receive() {
  while (pending_.empty()) {
    std::optional<spdy::Frame> f = conn_.Read();
    if (!f) return std::nullopt;
    if (f->type == spdy::FrameType::kData) {
      QueueData(*f);
    } else if (!Control(*f)) {
      return std::nullopt;
    }
  }
  ChannelMessage m = std::move(pending_.front());
  pending_.pop_front();
  return m;
}

bool SpdyChannelStream::Send(uint8_t channel, std::string_view data) {
  uint32_t id = 0;
  {
    std::lock_guard lock(mu_);
    auto it = stream_of_.find(channel);
    if (it == stream_of_.end()) return true;  // a channel the client did not open
    id = it->second;
  }
  for (size_t at = 0; at < data.size(); at += kMaxDataFrame) {
    if (!conn_.Data(id, data.substr(at, kMaxDataFrame))) return false;
  }
  return true;
}

void SpdyChannelStream::Close() {
  std::lock_guard lock(mu_);
  for (uint8_t channel : {kStdoutChannel, kStderrChannel, kErrorChannel}) {
    auto it = stream_of_.find(channel);
    if (it != stream_of_.end()) conn_.Data(it->second, "", true);
  }
  conn_.GoAway(last_stream_);
  conn_.Close();
}

}  // namespace kubedouble::fake
