// kubedouble::access::Client — requests to a Kubernetes API server over any Transport.
//
//   auto client = kubedouble::access::Client(kubedouble::access::Infer());
//   nlohmann::json pods = client.List(Resource::Core("pods"), "default");
//   client.Watch(Resource::Core("pods"), "default", {}, [](const WatchEvent& e) { ...; return true;
//   });
//
// Every call throws kubedouble::access::Error: kHttp for an error Status (code, reason and
// message decoded), kProtocol for an answer that is not what the API promises, and the
// connection / TLS kinds from the transport. Thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kubedouble/accesslib/config.h"
#include "kubedouble/accesslib/error.h"
#include "kubedouble/accesslib/transport.h"

namespace kubedouble::access {

using json = nlohmann::json;

// A resource type: group "" is the core group (served under /api).
struct Resource {
  std::string group;
  std::string version = "v1";
  std::string plural;
  static Resource Core(std::string plural) { return {"", "v1", std::move(plural)}; }
  // /api/v1[/namespaces/NS]/PLURAL[/NAME] or /apis/G/V/...; empty ns: all namespaces.
  std::string Path(const std::string& ns, const std::string& name = "") const;
};

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  int limit = 0;  // 0: no limit
  std::string continue_token;
  std::string resource_version;
};

struct WatchOptions {
  std::string label_selector;
  std::string field_selector;
  // Where to start. Empty: list first (each object delivered as ADDED), then watch from the
  // list's resourceVersion.
  std::string resource_version;
  int timeout_seconds = 0;  // asked of the server per watch request; 0: the server's default
  bool allow_bookmarks = true;
  // Reconnections after a stream ends or breaks (resuming from the last resourceVersion seen);
  // -1: forever. A 410 Expired re-lists and counts as a reconnection.
  int max_reconnects = -1;
};

struct WatchEvent {
  std::string type;  // ADDED, MODIFIED, DELETED, BOOKMARK, ERROR
  json object;
};

// Return false to stop watching.
using WatchCallback = std::function<bool(const WatchEvent& event)>;

class Client {
 public:
  explicit Client(const Config& config);
  Client(std::shared_ptr<Transport> transport, std::string namespace_name = "default",
         std::string server = "");

  const std::string& namespace_name() const { return namespace_; }
  Transport& transport() { return *transport_; }

  // ---- raw requests: the body of a 2xx answer; an error Status is thrown ----
  std::string Get(const std::string& path);
  std::string Post(const std::string& path, const std::string& body,
                   const std::string& content_type = "application/json");
  std::string Put(const std::string& path, const std::string& body);
  std::string Patch(const std::string& path, const std::string& body,
                    const std::string& content_type = "application/merge-patch+json");
  std::string Delete(const std::string& path);
  // Any request; the answer whatever its status (connection errors still throw).
  Response Do(const Request& request);

  // ---- discovery ----
  json ServerVersion();  // GET /version
  json ApiVersions();    // GET /api
  json ApiGroups();      // GET /apis

  // ---- objects ----
  json List(const Resource& r, const std::string& ns, const ListOptions& options = {});
  // Follows metadata.continue until the list is complete; one list with every item.
  json ListAll(const Resource& r, const std::string& ns, ListOptions options = {});
  json GetObject(const Resource& r, const std::string& ns, const std::string& name);
  // Server-side printing, as kubectl get asks for it (Accept: kTableAccept): a meta.k8s.io/v1
  // Table whose rows hold the server's cells and each object's metadata, following continue
  // tokens and merging the rows. A server that does not print answers the plain list (or
  // object), returned as it is: callers tell them apart by kind == "Table".
  json ListTable(const Resource& r, const std::string& ns, ListOptions options = {});
  json GetTable(const Resource& r, const std::string& ns, const std::string& name);
  json Create(const Resource& r, const std::string& ns, const json& object);
  json PatchObject(const Resource& r, const std::string& ns, const std::string& name,
                   const json& patch,
                   const std::string& content_type = "application/merge-patch+json");
  json DeleteObject(const Resource& r, const std::string& ns, const std::string& name);
  // Streams events until the callback returns false or max_reconnects is used up.
  void Watch(const Resource& r, const std::string& ns, const WatchOptions& options,
             const WatchCallback& callback);

  // ---- who am I, what may I do, tokens ----
  json WhoAmI();  // SelfSubjectReview: returns status.userInfo
  bool CanI(const std::string& verb, const std::string& resource, const std::string& ns = "",
            const std::string& name = "", const std::string& group = "");
  // TokenRequest for a service account: returns the whole TokenRequest (status.token).
  json CreateToken(const std::string& ns, const std::string& service_account,
                   const std::vector<std::string>& audiences = {}, int expiration_seconds = 3600);

 private:
  std::string Send(const std::string& method, const std::string& path, const std::string& body,
                   const std::string& content_type,
                   const std::string& accept = "application/json, */*");
  json SendJson(const std::string& method, const std::string& path, const std::string& body = "",
                const std::string& content_type = "application/json",
                const std::string& accept = "application/json, */*");
  std::shared_ptr<Transport> transport_;
  std::string namespace_;
  std::string server_;
};

// The Accept header kubectl get sends: a Table when the server prints, else the plain JSON.
inline constexpr const char* kTableAccept =
    "application/json;as=Table;v=v1;g=meta.k8s.io, application/json";

// "%XX"-escapes a query value.
std::string QueryEscape(const std::string& value);

}  // namespace kubedouble::access
