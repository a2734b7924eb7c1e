// One request on its way through the server (Call), and the answers that need no negotiation:
// what every handler (handler.h, resource_handler.h, admin/admin.h, reviews.h, ...) reads and
// writes, without the server around it.
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>

#include "authn.h"
#include "kubedouble/fakeserver/clock.h"
#include "kubedouble/fakeserver/encoded_answer.h"
#include "kubedouble/net/http_server.h"
#include "negotiate.h"
#include "request_info.h"

namespace kubedouble::fake {

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

// Response helpers (answer.cpp).
// Sets the status, the body (moved in) and its Content-Type.
void SendBody(httplib::Response& res, int status, std::string body, const char* content_type);
void SendJson(httplib::Response& res, int status, const nlohmann::json& body);
void SendText(httplib::Response& res, int status, const std::string& text);
// As SendBody, for a text shared with others and never changed (a kept list answer): the
// connection writes it from where it is kept (net::Exchange::ShareBody), with no copy; a call
// without an exchange gets a copy in its response.
void SendShared(Call& call, int status, std::shared_ptr<const std::string> body,
                const char* content_type);
// The same for a kept answer in some encoding (Store::ListAnswer): its body, with its own
// Content-Type.
void SendShared(Call& call, int status, const std::shared_ptr<const EncodedAnswer>& answer);

}  // namespace kubedouble::fake
