#include "kubedouble/fakeserver/journal.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <iterator>
#include <stdexcept>

namespace kubedouble::fake {

namespace {
std::string Rfc3339Micro(std::chrono::system_clock::time_point t) {
  auto secs = std::chrono::floor<std::chrono::seconds>(t);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t - secs).count();
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:06d}Z",
                     fmt::gmtime(std::chrono::system_clock::to_time_t(secs)), micros);
}
// Appends `s` as a JSON string, as dump(-1, ' ', false, replace) writes it: printable ASCII as it
// is, anything else (escapes, UTF-8, invalid bytes) by nlohmann's serializer.
void AppendString(std::string& out, const std::string& s) {
  const bool plain = std::all_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
  });
  if (!plain) {
    out += nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return;
  }
  out += '"';
  out += s;
  out += '"';
}

void AppendStrings(std::string& out, const std::vector<std::string>& list) {
  out += '[';
  for (size_t i = 0; i < list.size(); ++i) {
    if (i > 0) out += ',';
    AppendString(out, list[i]);
  }
  out += ']';
}

// The file's line of `e`: the bytes of e.ToJson().dump(-1, ' ', false, replace) and a line end,
// written without building the JSON object (its keys in the object's order, sorted).
std::string JsonLine(const JournalEntry& e) {
  std::string out;
  out.reserve(512);
  auto key = [&out](const char* name) {
    out += out.empty() ? "{\"" : ",\"";
    out += name;
    out += "\":";
  };
  auto text = [&](const char* name, const std::string& value) {
    key(name);
    AppendString(out, value);
  };
  auto texts = [&](const char* name, const std::vector<std::string>& values) {
    key(name);
    AppendStrings(out, values);
  };
  auto number = [&](const char* name, auto n) {
    key(name);
    fmt::format_to(std::back_inserter(out), "{}", n);
  };
  const bool upgraded = !e.upgrade.empty();
  text("auditID", e.audit_id);
  text("authMethod", e.auth_method);
  text("clientCertSubject", e.client_cert_subject);
  number("durationMicros", e.duration.count());
  if (upgraded && e.exit_code) number("exitCode", *e.exit_code);
  if (!e.fault.empty()) text("fault", e.fault);
  if (upgraded && e.forwarded_connections) number("forwardedConnections", *e.forwarded_connections);
  texts("groups", e.groups);
  number("id", e.id);
  if (!e.impersonator.empty()) {
    text("impersonator", e.impersonator);
    texts("impersonatorGroups", e.impersonator_groups);
  }
  text("method", e.method);
  text("path", e.path);
  text("protocol", e.protocol);
  if (!e.proxied_to.empty()) text("proxiedTo", e.proxied_to);
  text("query", e.query);
  if (upgraded && e.refused_connections) number("refusedConnections", *e.refused_connections);
  number("status", e.status);
  if (upgraded) number("streamMicros", e.stream_duration.count());
  text("time", Rfc3339Micro(e.time));
  text("tlsVersion", e.tls_version);
  if (upgraded) text("upgrade", e.upgrade);
  text("user", e.user);
  text("userAgent", e.user_agent);
  out += "}\n";
  return out;
}
}  // namespace

bool IsCredentialParameter(const std::string& name) { return name == "access_token"; }

nlohmann::json JournalEntry::ToJson() const {
  nlohmann::json j = {{"id", id},
                      {"auditID", audit_id},
                      {"time", Rfc3339Micro(time)},
                      {"method", method},
                      {"path", path},
                      {"query", query},
                      {"user", user},
                      {"groups", groups},
                      {"authMethod", auth_method},
                      {"tlsVersion", tls_version},
                      {"protocol", protocol},
                      {"clientCertSubject", client_cert_subject},
                      {"userAgent", user_agent},
                      {"status", status},
                      {"durationMicros", duration.count()}};
  if (!fault.empty()) j["fault"] = fault;
  if (!proxied_to.empty()) j["proxiedTo"] = proxied_to;
  if (!upgrade.empty()) {
    j["upgrade"] = upgrade;
    j["streamMicros"] = stream_duration.count();
    if (exit_code) j["exitCode"] = *exit_code;
    if (forwarded_connections) j["forwardedConnections"] = *forwarded_connections;
    if (refused_connections) j["refusedConnections"] = *refused_connections;
  }
  if (!impersonator.empty()) {
    j["impersonator"] = impersonator;
    j["impersonatorGroups"] = impersonator_groups;
  }
  return j;
}

Journal::Journal(size_t capacity, std::optional<std::filesystem::path> file)
    : capacity_(capacity == 0 ? 1 : capacity) {
  if (file) {
    // Created private (whatever the umask): it names users, paths and queries.
    int fd = ::open(file->c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) ::close(fd);
    file_.open(*file, std::ios::app);
    if (!file_) {
      throw std::runtime_error(
          fmt::format("cannot open the journal file {} for appending", file->string()));
    }
  }
}

void Journal::Record(JournalEntry&& entry) {
  std::lock_guard lock(mu_);
  entry.id = next_id_++;
  if (file_.is_open()) {
    const std::string line = JsonLine(entry);  // ToJson().dump(), without the object
    file_.write(line.data(), static_cast<std::streamsize>(line.size()));
    file_.flush();
  }
  ring_.push_back(std::move(entry));
  while (ring_.size() > capacity_) ring_.pop_front();
}

std::vector<JournalEntry> Journal::Entries() const {
  std::lock_guard lock(mu_);
  return {ring_.begin(), ring_.end()};
}

std::vector<JournalEntry> Journal::Find(
    const std::function<bool(const JournalEntry&)>& pred) const {
  std::lock_guard lock(mu_);
  std::vector<JournalEntry> out;
  for (const auto& e : ring_) {
    if (pred(e)) out.push_back(e);
  }
  return out;
}

size_t Journal::size() const {
  std::lock_guard lock(mu_);
  return ring_.size();
}

uint64_t Journal::total() const {
  std::lock_guard lock(mu_);
  return next_id_ - 1;
}

void Journal::Clear() {
  std::lock_guard lock(mu_);
  ring_.clear();
}

}  // namespace kubedouble::fake
