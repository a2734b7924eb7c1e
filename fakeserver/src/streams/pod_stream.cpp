#include "pod_stream.h"

#include <fmt/format.h>
#include <kubedouble/base/strings.h>
#include <kubedouble/fakeserver/store.h>

#include "../pod_streams.h"
#include "spdy_channels.h"

namespace kubedouble::fake {

namespace {

const json* ContainerStatus(const json& pod, const std::string& name) {
  auto status = pod.find("status");
  if (status == pod.end() || !status->is_object()) return nullptr;
  for (const char* list :
       {"containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"}) {
    auto it = status->find(list);
    if (it == status->end() || !it->is_array()) continue;
    for (const auto& cs : *it) {
      if (cs.is_object() && cs.value("name", "") == name) return &cs;
    }
  }
  return nullptr;
}

}  // namespace

PodStreamPlan PlanPodStream(const json& pod, const std::string& subresource,
                            const UpgradeHeaders& headers,
                            const std::function<std::vector<std::string>(const char*)>& query,
                            FileTrees& trees, const ServerClock& clock) {
  PodStreamPlan plan;
  plan.subresource = subresource;
  plan.options = ParseExecOptions(subresource, query);
  const json& spec = StreamContainer(pod, subresource, plan.options.container);
  const std::string name = spec.value("name", "");
  const json* cs = ContainerStatus(pod, name);
  const bool running = cs && cs->contains("state") && (*cs)["state"].is_object() &&
                       (*cs)["state"].contains("running");
  if (!running) throw StatusError::BadRequest(fmt::format("container not found (\"{}\")", name));
  plan.answer = base::Lower(headers.upgrade).find("spdy/3.1") != std::string::npos
                    ? AnswerSpdyHandshake(headers.stream_protocols)
                    : AnswerChannelHandshake(headers);
  const json& meta = pod["metadata"];
  plan.target.pod = pod;
  plan.target.container = spec;
  plan.target.clock = &clock;
  plan.target.accepted = clock.Now();
  plan.target.files = trees.For(meta.value("uid", meta.value("name", "")), name,
                                meta.value("name", ""), spec.value("workingDir", ""), clock.Now());
  return plan;
}

namespace {

std::optional<int> Serve(ChannelTransport& channels, const PodStreamPlan& plan) {
  if (plan.subresource == "attach") {
    ServeAttach(channels, plan.options, plan.target);
    return std::nullopt;
  }
  return ServeExec(channels, plan.options, plan.target);
}

}  // namespace

std::optional<int> RunPodStream(net::UpgradedStream& stream, const PodStreamPlan& plan) {
  if (!plan.answer.spdy) {
    ChannelStream channels(stream, *plan.answer.protocol);
    return Serve(channels, plan);
  }
  SpdyChannelStream channels(stream, plan.answer.protocol->version);
  const ExecOptions& o = plan.options;
  if (!channels.Accept(o.stdin, o.stdout, o.stderr, o.tty)) {
    channels.Close();
    return std::nullopt;
  }
  return Serve(channels, plan);
}

}  // namespace kubedouble::fake
