#include "request_log.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <chrono>

namespace kubedouble::fake {

namespace {

// A Go %q-like quoted value (JSON's escaping is the same for everything a request carries).
std::string Quoted(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string Verb(const httplib::Request& req, const RequestInfo& info) {
  if (info.is_resource && (req.method == "GET" || req.method == "HEAD")) {
    if (info.verb == "list") return "LIST";
    if (info.verb == "watch") return "WATCH";
  }
  return req.method;
}

// As Go prints a time.Duration: "850ns", "403µs", "1.204ms", "2.5s".
std::string GoLatency(std::chrono::microseconds d) {
  const int64_t us = d.count();
  auto trimmed = [](double value, const char* unit) {
    std::string text = fmt::format("{:.6f}", value);
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
    return text + unit;
  };
  if (us < 1000) return fmt::format("{}µs", us);
  if (us < 1000000) return trimmed(static_cast<double>(us) / 1e3, "ms");
  return trimmed(static_cast<double>(us) / 1e6, "s");
}

}  // namespace

std::string RequestLogLine(const httplib::Request& req, const JournalEntry& entry,
                           const RequestInfo& info, const std::string& audit_id) {
  auto now = std::chrono::system_clock::now();
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()) %
                std::chrono::seconds(1);
  std::string uri = req.target.empty() ? req.path : req.target;
  return fmt::format(
      "I{:%m%d %H:%M:%S}.{:06d} {} httplog] \"HTTP\" verb={} URI={} latency={} userAgent={} "
      "audit-ID={} srcIP={} resp={}",
      fmt::gmtime(std::chrono::system_clock::to_time_t(now)), micros.count(), ::getpid(),
      Quoted(Verb(req, info)), Quoted(uri), Quoted(GoLatency(entry.duration)),
      Quoted(entry.user_agent), Quoted(audit_id),
      Quoted(fmt::format("{}:{}", req.remote_addr, req.remote_port)), entry.status);
}

void WriteLogLine(const std::string& line) {
  std::string out = line + "\n";
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::write(2, out.data() + done, out.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

}  // namespace kubedouble::fake
