// The fake server's insides (server.cpp): what it owns, its life cycle (start, stop, the state
// folder, TLS) and the fixtures. Requests are answered by the handlers it builds from what it
// owns (RequestHandler, handler.h, and the handlers that one is built from), not by it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "authn.h"
#include "authz.h"
#include "clock/ticker.h"
#include "discovery.h"
#include "handler.h"
#include "kubedouble/fakeserver/clock.h"
#include "kubedouble/fakeserver/faults.h"
#include "kubedouble/fakeserver/journal.h"
#include "kubedouble/fakeserver/server.h"
#include "kubedouble/fakeserver/store.h"
#include "kubedouble/net/http_server.h"
#include "openapi.h"
#include "port_rules.h"
#include "sa_tokens.h"
#include "streams/file_tree.h"

namespace kubedouble::fake {

class TokenRotation;
class StateLock;

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
  // Every request (handler.h), built at Start from the parts above once they exist.
  std::unique_ptr<RequestHandler> handler;
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
  std::atomic<size_t> watches{0};  // open watches and followed logs (options.max_watches)
  PortRules port_rules;  // what the pods' stages say their ports do (Server::SetPortRules)
  std::atomic<uint64_t> proxy_turn{0};  // spreads services/proxy over a Service's endpoints

  // server.cpp: the fixtures (start-up and POST /__kubedouble/reset). `bootstrap_rbac`, when
  // given, hands over the bootstrap policy's objects to store (parsed on another thread at
  // start-up), or none once that thread has stored them itself: it returns when they are.
  void LoadWorld(const std::function<std::vector<json>()>& bootstrap_rbac = {});
};

}  // namespace kubedouble::fake
