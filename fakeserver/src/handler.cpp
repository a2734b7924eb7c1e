// Every request (RequestHandler, handler.h): authenticate, authorize (before routing), route,
// answer, journal.
#include <fmt/format.h>
#include <openssl/ssl.h>

#include <chrono>
#include <iterator>

#include "admin/admin.h"
#include "answer.h"
#include "faults/inject.h"
#include "flow_control.h"
#include "handler.h"
#include "headers.h"
#include "impersonation.h"
#include "negotiate.h"
#include "pod_streams.h"
#include "request_limits.h"
#include "request_log.h"
#include "status.h"
#include "util.h"

namespace kubedouble::fake {

namespace {
using Clock = std::chrono::system_clock;

std::string QueryString(const httplib::Params& params) {
  std::string q;
  for (const auto& [k, v] : params) {
    if (!q.empty()) q += '&';
    q += k;
    if (v.empty()) continue;
    q += '=';
    q += IsCredentialParameter(k) ? std::string(kRedacted) : v;
  }
  return q;
}

// Reads the request's body into req.body, refusing one over kMaxRequestBody while reading.
void ReadBody(const httplib::Request& req, const httplib::ContentReader& read_body) {
  std::string body;
  bool too_large = false;
  bool read = read_body([&](const char* data, size_t length) {
    if (body.size() + length > kMaxRequestBody) {
      too_large = true;
      return false;
    }
    body.append(data, length);
    return true;
  });
  // cpp-httplib says a Content-Length over its payload limit (kMaxRequestBody) the same way.
  if (too_large || (!read && ContentLength(req) > kMaxRequestBody)) {
    throw StatusError(413, "RequestEntityTooLarge", TooLargeMessage());
  }
  if (!read) throw StatusError::BadRequest("the request body could not be read");
  // cpp-httplib owns the request and hands it over as const; its body is this handler's to fill.
  const_cast<httplib::Request&>(req).body = std::move(body);
}

// A journal entry opened for `req`: when, what and by which client program.
JournalEntry EntryOf(const httplib::Request& req) {
  JournalEntry entry;
  entry.time = Clock::now();
  entry.method = req.method;
  entry.path = req.path;
  entry.query = QueryString(req.params);
  static const std::string kUserAgent = "User-Agent";
  entry.user_agent = FirstHeader(req.headers, kUserAgent);
  entry.protocol = req.version;
  return entry;
}
}  // namespace

void RequestHandler::Refused(const httplib::Request& req, int status) const {
  JournalEntry entry = EntryOf(req);
  entry.status = status;
  if (log_requests) WriteLogLine(RequestLogLine(req, entry, RequestInfo{}, ""));
  journal.Record(std::move(entry));
}

void RequestHandler::Handle(net::Exchange& ex) const {
  const httplib::Request& req = ex.request;
  httplib::Response& res = ex.response;
  const httplib::ContentReader* read_body = ex.has_body() ? &ex.body() : nullptr;
  auto started_at = std::chrono::steady_clock::now();
  JournalEntry entry = EntryOf(req);
  if (req.ssl != nullptr) entry.tls_version = SSL_get_version(req.ssl);

  Call call{req, res, {}, {}, {}, {}};
  call.clock = &clock;
  call.exchange = &ex;
  // Every answer: its audit id (kube-apiserver's audit filter, before authentication) and
  // Cache-Control (an answer may carry its own, as /openapi/v3 with a hash does). These headers
  // are the server's own, without line breaks: added as they are, without set_header's checks.
  entry.audit_id = util::FastUuid();
  res.headers.emplace("Audit-Id", entry.audit_id);
  if (ex.over_limit()) {  // beyond --max-connections: refused before anything is read
    TooManyRequests(res, fmt::format("too many connections: this server serves {} at once "
                                     "(--max-connections); retry later",
                                     max_connections));
    res.set_header("Connection", "close");
  } else
    try {
      static const std::string kAuthorization = "Authorization";
      call.auth = authn.Authenticate(req.ssl, FirstHeader(req.headers, kAuthorization));
      entry.client_cert_subject = call.auth.cert_subject;
      if (call.auth.authenticated && !call.auth.warning.empty()) {
        res.set_header("Warning", "299 - " + json(call.auth.warning).dump());
      }
      // The body is read once the request is authenticated (the admin API authorizes itself):
      // an unauthenticated client never makes the server read or hold its body.
      if (read_body != nullptr && (call.auth.authenticated || IsAdminPath(req.path))) {
        ReadBody(req, *read_body);
      }
      if (JsonNesting(req.body) > kMaxJsonNesting) {  // parsing it would overflow
        throw StatusError::BadRequest(fmt::format(
            "the request body nests arrays and objects more than {} deep", kMaxJsonNesting));
      }
      if (IsAdminPath(req.path)) {
        admin.Serve(call, entry);
      } else if (!call.auth.authenticated) {
        SendError(res, UnauthorizedError());
      } else {
        entry.user = call.auth.user.name;
        entry.groups = call.auth.user.groups;
        entry.auth_method = call.auth.method;
        // Impersonate-* headers (impersonation.h): from here on the request is the identity it
        // impersonates; the journal keeps the caller beside it. A refusal is journaled as the
        // caller's.
        if (auto wanted = ParseImpersonation(req.headers)) {
          UserInfo caller = call.auth.user;
          call.auth.user = Impersonate(caller, *wanted,
                                       [this](const Attributes& a) { return authz.Allowed(a); });
          entry.impersonator = caller.name;
          entry.impersonator_groups = caller.groups;
          entry.user = call.auth.user.name;
          entry.groups = call.auth.user.groups;
          call.impersonator = std::move(caller);
        }
        // Priority and fairness classifies authenticated requests (flow_control.h).
        // Added where they sort (after Audit-Id and Warning, Flowschema before Prioritylevel):
        // a search of the headers compares long names a character at a time.
        FlowMatch flow = MatchFlow(call.auth.user, req.path);
        auto pf = res.headers.emplace_hint(res.headers.end(), "X-Kubernetes-Pf-Flowschema-Uid",
                                           FlowSchemaUid(flow.flow_schema));
        res.headers.emplace_hint(std::next(pf), "X-Kubernetes-Pf-Prioritylevel-Uid",
                                 PriorityLevelUid(flow.priority_level));
        call.info =
            ParseRequestInfo(req.method, req.path,
                             req.has_param("watch") && QueryBool(req.get_param_value("watch")));
        // Fault injection (faults/): a rule may answer instead, or reshape the answer.
        std::optional<FaultSet::Fired> fault;
        if (!faults.empty())
          fault = faults.Pick(FaultRequestOf(req, call.info, call.auth.user.name));
        if (fault) entry.fault = fault->description;
        if (!fault || !InjectBefore(*fault, req, res, ex)) {
          if (Authorized(call)) {
            if (call.info.is_resource) {
              resources.Serve(call);
            } else {
              non_resources.Serve(call);
            }
          }
          if (fault) InjectAfter(*fault, req, res, ex);
        }
      }
    } catch (const StatusError& e) {
      SendError(res, e);
    } catch (const std::exception& e) {
      SendError(res, InternalError(e.what()));
    }
  static const std::string kCacheControl = "Cache-Control";
  AddHeaderUnlessSet(res.headers, kCacheControl, "no-cache, private");
  if (!IsAdminPath(req.path)) {
    try {
      EncodeErrorAnswer(req, res);     // YAML, protobuf or indented, as the request asked
    } catch (const std::exception&) {  // the JSON Status stays
    }
  }
  entry.status = res.status;
  entry.proxied_to = std::move(call.proxied_to);
  entry.duration = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - started_at);
  if (log_requests) {  // --log-requests (request_log.h)
    WriteLogLine(RequestLogLine(req, entry, call.info, entry.audit_id));
  }
  if (call.stream_outcome && ex.upgraded() && !ex.ended()) {
    return JournalAfterStream(ex, call, entry);
  }
  journal.Record(std::move(entry));
}

bool RequestHandler::Authorized(Call& call) const {
  // A user allowed everything needs no attributes made (nor the upgrade's create check).
  if (authz.AllowsAll(call.auth.user)) return true;
  Attributes attrs = MakeAttributes(call.auth.user, call.info);
  auto upgrade = UpgradeCreateCheck(call.req, attrs);  // pod_streams.h
  if (!authz.Allowed(attrs)) {
    SendError(call.res, ForbiddenError(attrs));
    return false;
  }
  if (upgrade && !authz.Allowed(*upgrade)) {
    SendError(call.res, ForbiddenError(*upgrade));
    return false;
  }
  return true;
}

void RequestHandler::JournalAfterStream(net::Exchange& ex, Call& call, JournalEntry& entry) const {
  entry.upgrade = std::move(call.upgrade);
  ex.taker() = [this, entry = std::move(entry), outcome = std::move(call.stream_outcome),
                stream = std::move(ex.taker())](net::UpgradedStream& s) mutable {
    auto began = std::chrono::steady_clock::now();
    stream(s);
    entry.stream_duration = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - began);
    entry.exit_code = outcome->exit_code;
    entry.forwarded_connections = outcome->forwarded_connections;
    entry.refused_connections = outcome->refused_connections;
    journal.Record(std::move(entry));
  };
}

}  // namespace kubedouble::fake
