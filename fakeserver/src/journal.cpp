#include "kubedouble/fakeserver/journal.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <stdexcept>

namespace kubedouble::fake {

namespace {
std::string Rfc3339Micro(std::chrono::system_clock::time_point t) {
  auto secs = std::chrono::floor<std::chrono::seconds>(t);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t - secs).count();
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:06d}Z",
                     fmt::gmtime(std::chrono::system_clock::to_time_t(secs)), micros);
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

void Journal::Record(JournalEntry entry) {
  std::lock_guard lock(mu_);
  entry.id = next_id_++;
  if (file_.is_open()) {
    file_ << entry.ToJson().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
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
