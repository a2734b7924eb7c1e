// kubedouble::fake::Journal — the fake API server's request journal.
//
// Every request the server answers is recorded once it is answered: when it came, what it asked
// for, who made it (and how that identity was established), over which TLS version, what the
// server answered and how long it took. The journal is a bounded ring (the oldest entries fall
// out first) and may also append every entry to a file as one JSON object per line.
//
// Credentials are never recorded: no Authorization header, no token, no key — only the user
// name, groups and the authentication method. A credential sent in the query (`access_token=`,
// which the server does not accept, as kube-apiserver does not) is recorded as "[redacted]".
// The journal file is created with mode 0600.
// Thread-safe: every member function may be called from any thread.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace kubedouble::fake {

struct JournalEntry {
  uint64_t id = 0;         // 1, 2, 3, ... in the order requests were answered
  std::string audit_id{};  // the answer's Audit-Id header: a random UUID per request
  std::chrono::system_clock::time_point time{};  // when the request arrived
  std::string method{};                          // "GET"
  std::string path{};                            // "/api/v1/namespaces/default/pods"
  std::string query{};                           // "limit=500" (decoded pairs joined with '&')
  std::string user{};                            // "" when the request was not authenticated
  std::vector<std::string> groups{};
  // How the user was established: "x509", "token" (static token file), "serviceaccount"
  // (a service-account JWT: legacy secret or TokenRequest), "anonymous", or "" (rejected).
  std::string auth_method{};
  // When the request impersonated someone (Impersonate-User, ...): `user` and `groups` are the
  // identity it acted as, and these are the authenticated caller's. "" / empty otherwise.
  std::string impersonator{};
  std::vector<std::string> impersonator_groups{};
  std::string tls_version{};          // "TLSv1.3"
  std::string protocol{};             // "HTTP/1.1" or "HTTP/2.0" (ALPN chose "h2")
  std::string client_cert_subject{};  // "CN=kubedouble-admin, O=system:masters" or ""
  std::string user_agent{};
  int status = 0;
  std::chrono::microseconds duration{0};
  // The fault rule that fired on this request ("rule slow: delay 200ms"), or "". Status 0
  // means nothing was answered (the fault reset or closed the connection).
  std::string fault{};
  // Where pods/proxy or services/proxy sent the request: "10.244.0.5:80 (pod default/web-0,
  // container web)", or the address alone when nothing there could answer; "" otherwise.
  std::string proxied_to{};
  // For a request that left HTTP (exec, attach and port-forward, status 101): the protocol it
  // switched to ("v5.channel.k8s.io", "v4.channel.k8s.io", "SPDY/3.1",
  // "SPDY/3.1+portforward.k8s.io"), how long the stream then lasted, and how it ended: the exit
  // code of an exec's command (none for attach, or a stream that ended first); for a
  // port-forward, the connections it carried to a container port and those refused (nothing
  // listened there, or no such port). Such an entry is recorded when the stream ends, not at
  // the 101.
  std::string upgrade{};
  std::chrono::microseconds stream_duration{0};
  std::optional<int> exit_code{};
  std::optional<int> forwarded_connections{};
  std::optional<int> refused_connections{};

  // {"id":..,"auditID":..,"time":"2026-01-01T00:00:00.123456Z","method":..,"path":..,"query":..,"user":..,
  //  "groups":[..],"authMethod":..,"tlsVersion":..,"protocol":..,"clientCertSubject":..,"userAgent":..,
  //  "status":..,"durationMicros":..}, plus "fault" when one fired, "impersonator" and
  //  "impersonatorGroups" when the request impersonated someone, "proxiedTo" for a proxy, and
  //  "upgrade", "streamMicros" (and "exitCode", or "forwardedConnections" and
  //  "refusedConnections") for an upgraded stream
  nlohmann::json ToJson() const;
};

// True for a query parameter whose value is a credential ("access_token"): the journal records
// "[redacted]" instead of its value.
bool IsCredentialParameter(const std::string& name);
inline constexpr const char* kRedacted = "[redacted]";

class Journal {
 public:
  // Keeps the last `capacity` entries (at least 1). With `file`, also appends each entry to it
  // as a JSON line (a new file is created 0600); throws std::runtime_error when the file cannot be
  // opened for appending.
  explicit Journal(size_t capacity = 10000,
                   std::optional<std::filesystem::path> file = std::nullopt);

  // Assigns entry.id. An entry handed over (moved) is moved once, into the ring.
  void Record(JournalEntry&& entry);
  void Record(const JournalEntry& entry) { Record(JournalEntry(entry)); }

  // The entries still in the ring, oldest first.
  std::vector<JournalEntry> Entries() const;
  // The entries matching `pred`, oldest first.
  std::vector<JournalEntry> Find(const std::function<bool(const JournalEntry&)>& pred) const;
  size_t size() const;
  size_t capacity() const { return capacity_; }
  uint64_t total() const;  // every entry ever recorded, including those that fell out
  void Clear();

 private:
  size_t capacity_;
  mutable std::mutex mu_;
  std::deque<JournalEntry> ring_;
  uint64_t next_id_ = 1;
  std::ofstream file_;
};

}  // namespace kubedouble::fake
