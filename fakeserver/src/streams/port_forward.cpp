#include "port_forward.h"

#include <fmt/format.h>
#include <kubedouble/base/strings.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <memory>
#include <string>

#include "spdy.h"
#include "spdy_channels.h"
#include "websocket.h"

namespace kubedouble::fake {

namespace {

constexpr const char* kPortForwardProtocol = "portforward.k8s.io";
constexpr const char* kTunnelProtocol = "SPDY/3.1+portforward.k8s.io";
constexpr size_t kMaxDataFrame = 32u << 10;

HandshakeAnswer AnswerSpdy(std::string_view offered) {
  HandshakeAnswer answer;
  const std::vector<std::string> client = SplitProtocolList(offered);
  const bool known = std::find(client.begin(), client.end(), kPortForwardProtocol) != client.end();
  if (!client.empty() && !known) {
    std::string list;
    for (const std::string& c : client) list += (list.empty() ? "" : " ") + c;
    answer.status = 403;
    answer.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
    answer.body = fmt::format(
        "unable to upgrade: unable to negotiate protocol: client supports [{}], server accepts "
        "[{}]\n",
        list, kPortForwardProtocol);
    return answer;
  }
  answer.headers.emplace_back("Connection", "Upgrade");
  answer.headers.emplace_back("Upgrade", "SPDY/3.1");
  if (known) answer.headers.emplace_back("X-Stream-Protocol-Version", kPortForwardProtocol);
  answer.protocol = ChannelProtocol{known ? kPortForwardProtocol : "", 1, false};
  answer.spdy = true;
  return answer;
}

// A WebSocket's binary messages as a byte stream: what the tunnelled SPDY session reads and
// writes.
class WebSocketBytes : public net::UpgradedStream {
 public:
  explicit WebSocketBytes(net::UpgradedStream& stream) : ws_(stream) {}

  ssize_t Read(char* data, size_t size) override {
    while (at_ == pending_.size()) {
      std::optional<ws::Message> m = ws_.Receive();
      if (!m) return 0;
      pending_ = std::move(m->payload);
      at_ = 0;
    }
    const size_t n = std::min(size, pending_.size() - at_);
    std::copy_n(pending_.data() + at_, n, data);
    at_ += n;
    return static_cast<ssize_t>(n);
  }
  bool Write(const char* data, size_t size) override {
    return ws_.Send(ws::Opcode::kBinary, std::string_view(data, size));
  }
  void Close() override { ws_.Close(); }

 private:
  ws::Connection ws_;
  std::string pending_;
  size_t at_ = 0;
};

// One forwarded connection: its two SPDY streams and the container port behind them.
struct Forward {
  uint32_t data = 0;
  uint32_t error = 0;
  int port = 0;
  bool port_valid = false;
  bool opened = false;
  bool ended = false;
  std::unique_ptr<PortConnection> to;
};

std::string Header(const spdy::Headers& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return "";
}

class Session {
 public:
  Session(net::UpgradedStream& stream, const PortForwardPlan& plan) : conn_(stream), plan_(plan) {}

  PortForwardTally Run() {
    while (std::optional<spdy::Frame> f = conn_.Read()) {
      if (f->type == spdy::FrameType::kData) {
        if (!OnData(*f)) break;
        continue;
      }
      if (f->type == spdy::FrameType::kGoAway) break;
      if (f->type == spdy::FrameType::kPing) conn_.Ping(f->data);
      if (f->type == spdy::FrameType::kSynStream) OnStream(*f);
      if (f->type == spdy::FrameType::kRstStream) Drop(f->stream_id);
    }
    conn_.GoAway(last_stream_);
    conn_.Close();
    return tally_;
  }

 private:
  void OnStream(const spdy::Frame& f) {
    last_stream_ = std::max(last_stream_, f.stream_id);
    conn_.SynReply(f.stream_id, {});
    const std::string type = Header(f.headers, "streamtype");
    std::string id = Header(f.headers, "requestid");
    if (id.empty()) {  // clients before requestID: the data stream follows its error stream
      id = std::to_string(type == "data" ? f.stream_id - 2 : f.stream_id);
    }
    Forward& fw = forwards_[id];
    const std::string port = Header(f.headers, "port");
    int number = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
    fw.port = number;
    fw.port_valid =
        ec == std::errc() && end == port.data() + port.size() && number > 0 && number <= 65535;
    if (type == "data") fw.data = f.stream_id;
    if (type == "error") fw.error = f.stream_id;
    request_of_[f.stream_id] = id;
    if (fw.data && fw.error && !fw.opened) Open(fw);
  }

  void Open(Forward& fw) {
    fw.opened = true;
    if (fw.port_valid) {
      fw.to = OpenPortConnection(FindPort(plan_.pod, fw.port, plan_.rules));
    }
    ++(fw.to ? tally_.forwarded : tally_.refused);
    if (!fw.to) {
      const std::string message = fw.port_valid ? PortForwardRefusedMessage(plan_.pod, fw.port)
                                                : fmt::format("invalid port: {}", fw.port);
      conn_.Data(fw.error, message, true);
      conn_.Data(fw.data, "", true);
      fw.ended = true;
    }
  }

  bool OnData(const spdy::Frame& f) {
    auto id = request_of_.find(f.stream_id);
    if (id == request_of_.end()) return true;
    Forward& fw = forwards_[id->second];
    if (f.stream_id != fw.data || fw.ended || !fw.to) return true;
    if (!f.data.empty()) {
      const std::string back = fw.to->Receive(f.data);
      for (size_t at = 0; at < back.size(); at += kMaxDataFrame) {
        if (!conn_.Data(fw.data, std::string_view(back).substr(at, kMaxDataFrame))) return false;
      }
    }
    if (f.fin() || fw.to->Closed()) End(fw);
    return true;
  }

  void End(Forward& fw) {
    if (fw.ended) return;
    fw.ended = true;
    conn_.Data(fw.data, "", true);
    conn_.Data(fw.error, "", true);
  }

  void Drop(uint32_t stream_id) {
    auto id = request_of_.find(stream_id);
    if (id == request_of_.end()) return;
    auto fw = forwards_.find(id->second);
    if (fw != forwards_.end() && fw->second.data == stream_id) fw->second.to.reset();
  }

  spdy::Connection conn_;
  const PortForwardPlan& plan_;
  std::map<std::string, Forward> forwards_;     // requestID → connection
  std::map<uint32_t, std::string> request_of_;  // stream id → requestID
  uint32_t last_stream_ = 0;
  PortForwardTally tally_;
};

std::string PortBytes(int port) {
  return {static_cast<char>(port & 0xff), static_cast<char>((port >> 8) & 0xff)};
}

// The channel protocols: every port's pair of channels opened up front; the WebSocket closes when
// the last port's connection has closed.
PortForwardTally ServeChannels(ChannelStream& channels, const PortForwardPlan& plan) {
  PortForwardTally tally;
  std::vector<std::unique_ptr<PortConnection>> to;
  for (size_t i = 0; i < plan.ports.size(); ++i) {
    const int port = plan.ports[i];
    const auto data = static_cast<uint8_t>(2 * i);
    channels.Send(data, PortBytes(port));
    channels.Send(data + 1, PortBytes(port));
    to.push_back(OpenPortConnection(FindPort(plan.pod, port, plan.rules)));
    ++(to.back() ? tally.forwarded : tally.refused);
    if (!to.back()) channels.Send(data + 1, PortForwardRefusedMessage(plan.pod, port));
  }
  // The session ends when every port's connection has (a port refused has none).
  auto open = [&to] {
    return std::any_of(to.begin(), to.end(), [](const auto& c) { return c != nullptr; });
  };
  while (open()) {
    std::optional<ChannelMessage> m = channels.Receive();
    if (!m) break;
    const size_t i = m->channel / 2;
    if (m->channel % 2 != 0 || i >= to.size() || !to[i]) continue;
    const std::string back = to[i]->Receive(m->data);
    if (!back.empty() && !channels.Send(m->channel, back)) break;
    if (to[i]->Closed()) to[i].reset();
  }
  channels.Close();
  return tally;
}

// The query's ports as the kubelet reads them; an error message for the 400.
std::string ParsePorts(const std::vector<std::string>& values, std::vector<int>& ports) {
  if (values.empty()) return "query parameter \"port\" is required";
  for (const std::string& value : values) {
    if (value.empty()) return "query parameter \"port\" cannot be empty";
    for (const std::string& item : SplitProtocolList(value)) {
      int port = 0;
      auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), port);
      if (ec != std::errc() || end != item.data() + item.size() || port > 65535 || port < 0) {
        return fmt::format(
            "unable to parse \"{}\" as a port: strconv.ParseUint: parsing \"{}\": "
            "invalid syntax",
            item, item);
      }
      if (port < 1) return fmt::format("port \"{}\" must be > 0", item);
      ports.push_back(port);
    }
  }
  return "";
}

}  // namespace

std::string PortForwardRefusedMessage(const nlohmann::json& pod, int port) {
  // As containerd words it on a kind node: the pod is named by its sandbox (kubedouble's sandbox
  // id is the pod's uid without dashes, its network namespace cni-UID), and localhost has no
  // IPv6 address there.
  const auto meta = pod.find("metadata");
  const std::string uid = meta != pod.end() ? meta->value("uid", meta->value("name", "")) : "";
  std::string sandbox = uid;
  sandbox.erase(std::remove(sandbox.begin(), sandbox.end(), '-'), sandbox.end());
  return fmt::format(
      "error forwarding port {0} to pod {1}, uid : failed to execute portforward in network "
      "namespace \"/var/run/netns/cni-{2}\": failed to connect to localhost:{0} inside namespace "
      "\"{1}\", IPv4: dial tcp4 127.0.0.1:{0}: connect: connection refused IPv6 dial tcp6: "
      "address localhost: no suitable address found ",
      port, sandbox, uid);
}

PortForwardPlan PlanPortForward(const nlohmann::json& pod, const UpgradeHeaders& headers,
                                const std::vector<std::string>& ports,
                                std::vector<PortRule> rules) {
  PortForwardPlan plan;
  plan.pod = pod;
  plan.rules = std::move(rules);
  if (base::Lower(headers.upgrade).find("spdy/3.1") != std::string::npos) {
    plan.answer = AnswerSpdy(headers.stream_protocols);
    return plan;
  }
  const std::vector<std::string> offered = SplitProtocolList(headers.protocols);
  if (std::find(offered.begin(), offered.end(), kTunnelProtocol) != offered.end()) {
    UpgradeHeaders plain = headers;
    plain.protocols = "";
    plan.answer = AnswerChannelHandshake(plain);
    if (plan.answer.status != 101) return plan;
    plan.answer.headers.emplace_back("Sec-WebSocket-Protocol", kTunnelProtocol);
    plan.tunnel = true;
    return plan;
  }
  if (std::string error = ParsePorts(ports, plan.ports); !error.empty()) {
    plan.answer.status = 400;
    plan.answer.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
    plan.answer.body = error;
    return plan;
  }
  plan.answer = AnswerChannelHandshake(headers);
  return plan;
}

PortForwardTally RunPortForward(net::UpgradedStream& stream, const PortForwardPlan& plan) {
  if (plan.tunnel) {
    WebSocketBytes bytes(stream);
    return Session(bytes, plan).Run();
  }
  if (plan.answer.spdy) return Session(stream, plan).Run();
  ChannelStream channels(stream, *plan.answer.protocol);
  return ServeChannels(channels, plan);
}

}  // namespace kubedouble::fake
