// The fake server's insides, shared by server.cpp (life cycle, TLS, state folder) and the
// request handling files (handler.cpp, resources.cpp, reviews.cpp).
#pragma once

#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "authn.h"
#include "authz.h"
#include "clock/ticker.h"
#include "discovery.h"
#include "kubedouble/fakeserver/clock.h"
#include "kubedouble/fakeserver/container_ports.h"
#include "kubedouble/fakeserver/faults.h"
#include "kubedouble/fakeserver/journal.h"
#include "kubedouble/fakeserver/server.h"
#include "kubedouble/fakeserver/store.h"
#include "kubedouble/net/http_server.h"
#include "negotiate.h"
#include "openapi.h"
#include "request_info.h"
#include "sa_tokens.h"
#include "streams/file_tree.h"

namespace kubedouble::fake {

class TokenRotation;
class StateLock;

// How an upgraded stream ended, written by the stream's thread as it ends (JournalEntry's
// fields of the same names).
struct StreamOutcome {
  std::optional<int> exit_code;
  std::optional<int> forwarded_connections;
  std::optional<int> refused_connections;
};

// One request on its way through the server.
struct Call {
  const httplib::Request& req;
  httplib::Response& res;
  AuthnResult auth;  // auth.user: the identity the request acts as (impersonated or not)
  RequestInfo info;
  OutputFormat format;  // negotiated for resource requests (negotiate.h)
  // The authenticated caller, when the request impersonates someone (impersonation.h).
  std::optional<UserInfo> impersonator = std::nullopt;
  // The server's clock, for what an answer says about time (a Table's ages).
  const ServerClock* clock = nullptr;
  // The request's connection: its hang-up signal (watches, followed logs), its reset (faults).
  net::Exchange* exchange = nullptr;
  // Where a proxy subresource sent the request ("10.244.0.5:80 (pod default/web, container
  // web)"), for the journal.
  std::string proxied_to = {};
  // For a request that upgrades (exec, attach, port-forward): the protocol, for the journal,
  // and where the stream leaves how it ended (JournalEntry's exit_code, forwarded_connections
  // and refused_connections) when it ends.
  std::string upgrade = {};
  std::shared_ptr<StreamOutcome> stream_outcome = nullptr;
};

struct Server::Impl {
  explicit Impl(ServerOptions o);

  ServerOptions options;
  StatePaths paths;
  certs::Bundle bundle;
  std::shared_ptr<Registry> registry;
  std::unique_ptr<Store> store;
  std::unique_ptr<Journal> journal;
  std::unique_ptr<TokenIssuer> issuer;
  std::unique_ptr<Authenticator> authn;
  std::unique_ptr<Authorizer> authz;
  std::unique_ptr<Discovery> discovery;
  std::unique_ptr<OpenApi> openapi;
  std::shared_ptr<ServerClock> clock;  // before everything that reads the time
  std::unique_ptr<FaultSet> faults;
  std::unique_ptr<TokenRotation> rotation;     // serviceaccount/token (clock/rotation.h)
  std::unique_ptr<ClockTicker> grace_periods;  // ends deleted pods' grace periods (Store::Tick)
  FileTrees file_trees;  // the simulated containers' files, by pod uid (exec, kubectl cp)
  std::unique_ptr<StateLock> state_lock;  // DIR/serve.lock while running (state_lock.h)
  std::string ca_pem;
  std::mutex token_mu;         // paths.serviceaccount_token, state_written
  bool state_written = false;  // the service account's files are written: rotations rewrite them
  std::unique_ptr<net::HttpServer> http;  // the TLS listener and its connections (net/)
  std::thread tidy_up;  // removes the earlier generations of serviceaccount/ after a start
  int port = 0;
  std::string url;
  std::string server_address;  // HOST:PORT as in serverAddressByClientCIDRs

  std::mutex mu;
  std::condition_variable cv;
  bool started = false;
  bool stopped = false;
  std::atomic<bool> stopping{false};
  std::atomic<size_t> watches{0};  // open watch streams (options.max_watches)
  // What the pods' stages say their ports do (Server::SetPortRules), and the turn that spreads
  // services/proxy over a Service's endpoints.
  std::mutex port_rules_mu;
  PortRulesFor port_rules;
  std::atomic<uint64_t> proxy_turn{0};

  // server.cpp: the fixtures (start-up and POST /__kubedouble/reset). `bootstrap_rbac`, when
  // given, hands over the bootstrap policy's objects (parsed on another thread at start-up).
  void LoadWorld(const std::function<std::vector<json>()>& bootstrap_rbac = {});
  // handler.cpp: every request the listener hands over. The body of a request that has one
  // (POST, PUT, PATCH, DELETE with a Content-Length or chunked) is read only after the request
  // is authenticated. Over --max-connections (ex.over_limit()): 429, journaled.
  void Handle(net::Exchange& ex);
  // handler.cpp: a request the listener answered itself (a head it could not parse, framing Go
  // refuses): journaled like any other answer.
  void Refused(const httplib::Request& req, int status);
  // handler.cpp: an upgraded request's entry (`call.upgrade`, `call.stream_outcome`) is
  // recorded when its stream ends, with the stream's duration and outcome.
  void JournalAfterStream(net::Exchange& ex, Call& call, JournalEntry& entry);
  void Route(Call& call);
  void NonResource(Call& call);
  // resources.cpp
  void Resource(Call& call);
  // …/status and a pod's …/ephemeralcontainers: get, update and patch of the part of the
  // object that `only` (WriteOptions::status_only, ::ephemeral_containers_only) names.
  void ScopedWrite(Call& call, const ResourceInfo& r, const std::string& ns,
                   bool WriteOptions::*only);
  void Scale(Call& call, const ResourceInfo& r, const std::string& ns);  // …/scale
  // proxy.cpp: the stage rules for `pod`'s ports (Server::SetPortRules; none when unset):
  // port-forward opens a container port with FindPort(pod, port, PortRulesOf(pod)) and
  // OpenPortConnection; the proxy subresources dial with them (ProxyEndpoint, proxy.h).
  std::vector<PortRule> PortRulesOf(const json& pod);
};

// True for /__kubedouble/... (admin/admin.cpp).
bool IsAdminPath(const std::string& path);

// A UserInfo as the reviews write it: {"username","uid","groups","extra"} (reviews.cpp).
json UserInfoJson(const UserInfo& user);

// Response helpers (handler.cpp).
// Sets the status, the body (moved in) and its Content-Type.
void SendBody(httplib::Response& res, int status, std::string body, const char* content_type);
void SendJson(httplib::Response& res, int status, const json& body);
void SendText(httplib::Response& res, int status, const std::string& text);

}  // namespace kubedouble::fake
