// The handler of resource requests (resource_handler.cpp), built from exactly what it reads and
// changes rather than from the whole server: GET one, LIST (one namespace or all), WATCH and the
// writes the store supports, answered as objects, lists, Tables or watch streams; the
// subresources (status, scale, ephemeralcontainers, binding, eviction, finalize, a service
// account's token, a pod's log, exec, attach and portforward, the proxies); and the reviews the
// server answers itself (reviews.h, token_review.h).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "authn.h"
#include "authz.h"
#include "call.h"
#include "kubedouble/fakeserver/clock.h"
#include "kubedouble/fakeserver/store.h"
#include "port_rules.h"
#include "sa_tokens.h"
#include "streams/file_tree.h"

namespace kubedouble::fake {

struct ResourceHandler {
  Store& store;              // the objects
  const Registry& registry;  // the kinds: scope, verbs, subresources, a CRD's columns
  const ServerClock& clock;  // Tables' ages, the reviews', bindings' and evictions' times
  // The access reviews; RBAC's escalation check of a write and the ClusterRoles' aggregation.
  const Authorizer& authz;
  const Authenticator& authn;         // TokenReview
  const TokenIssuer& issuer;          // serviceaccounts/NAME/token
  FileTrees& file_trees;              // the simulated containers' files (exec, attach)
  const PortRules& port_rules;        // what the pods' ports do (portforward, proxy)
  std::atomic<uint64_t>& proxy_turn;  // spreads services/proxy over a Service's endpoints
  std::atomic<size_t>& watches;       // open watches and followed logs
  size_t max_watches;                 // --max-watches: one over it is answered 429
  const std::atomic<bool>& stopping;  // the server stops: watches and followed logs end

  // A resource request (call.info.is_resource), authorized: answers it in `call.res`, or
  // throws StatusError.
  void Serve(Call& call) const;

 private:
  // …/status and a pod's …/ephemeralcontainers: get, update and patch of the part of the
  // object that `only` (WriteOptions::status_only, ::ephemeral_containers_only) names.
  void ScopedWrite(Call& call, const ResourceInfo& r, const std::string& ns,
                   bool WriteOptions::*only) const;
  void Scale(Call& call, const ResourceInfo& r, const std::string& ns) const;  // …/scale
};

}  // namespace kubedouble::fake
