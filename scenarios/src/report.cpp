#include "kubedouble/scenarios/report.h"

#include <fmt/core.h>

#include <fstream>
#include <map>
#include <stdexcept>

namespace kubedouble::scenarios {
namespace {

std::string XmlEscape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if (c < 0x20 && c != '\n' && c != '\t' && c != '\r')
          out += ' ';
        else
          out += static_cast<char>(c);
    }
  }
  return out;
}

std::string Cell(CaseResult::Status s) {
  switch (s) {
    case CaseResult::Status::kPass:
      return "pass";
    case CaseResult::Status::kFail:
      return "FAIL";
    case CaseResult::Status::kSkip:
      return "skip";
    case CaseResult::Status::kError:
      return "ERROR";
  }
  return "?";
}

std::string Colored(const std::string& text, CaseResult::Status s, bool color) {
  if (!color) return text;
  const char* code = s == CaseResult::Status::kPass   ? "32"
                     : s == CaseResult::Status::kSkip ? "2"
                                                      : "1;31";
  return fmt::format("\033[{}m{}\033[0m", code, text);
}

// What ran where, as JUnit <properties> (one block per <testsuite>, where the schema has it).
std::string Properties(const RunReport& report) {
  std::string out = "    <properties>\n";
  auto add = [&](const std::string& name, const std::string& value) {
    out += fmt::format("      <property name=\"{}\" value=\"{}\"/>\n", XmlEscape(name),
                       XmlEscape(value));
  };
  add("kubedouble.version", report.kubedouble_version);
  for (const auto& [client, version] : report.client_versions)
    add("client." + client + ".version", version);
  add("started", report.started);
  add("host", report.host);
  return out + "    </properties>\n";
}

}  // namespace

std::string FormatMatrix(const RunReport& report, bool color) {
  std::vector<std::string> ids;
  std::map<std::string, std::map<std::string, const CaseResult*>> cells;
  size_t width = 8;
  for (const auto& r : report.results) {
    std::string id = r.suite + "/" + r.scenario;
    if (!cells.count(id)) ids.push_back(id);
    cells[id][r.client] = &r;
    width = std::max(width, id.size());
  }
  std::string out = fmt::format("{:<{}}", "scenario", width);
  for (const auto& c : report.clients) out += fmt::format("  {:<9}", c);
  out += "\n";
  for (const auto& id : ids) {
    std::string line = fmt::format("{:<{}}", id, width);
    for (const auto& c : report.clients) {
      auto it = cells[id].find(c);
      if (it == cells[id].end()) {
        line += fmt::format("  {:<9}", "-");
        continue;
      }
      std::string text = Cell(it->second->status);
      std::string padded = fmt::format("{:<9}", text);
      line += "  " + Colored(padded, it->second->status, color);
    }
    // trailing spaces off
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  bool header = false;
  for (const auto& r : report.results) {
    if (r.status != CaseResult::Status::kFail && r.status != CaseResult::Status::kError) continue;
    if (!header) out += "\nFailures:\n";
    header = true;
    out += fmt::format("  {}/{} [{}] {}: {}\n    at {}:{}:{}\n", r.suite, r.scenario, r.client,
                       Cell(r.status), r.reason, r.file, r.line, r.column);
  }
  // Skips, grouped by reason and client.
  std::map<std::string, std::vector<std::string>> skips;
  for (const auto& r : report.results)
    if (r.status == CaseResult::Status::kSkip)
      skips[r.client + ": " + r.reason].push_back(r.suite + "/" + r.scenario);
  if (!skips.empty()) {
    out += "\nSkipped:\n";
    for (const auto& [reason, list] : skips) {
      out +=
          fmt::format("  {} ({} scenario{})\n", reason, list.size(), list.size() == 1 ? "" : "s");
    }
  }
  out +=
      fmt::format("\n{} runs: {} passed, {} failed, {} errors, {} skipped in {:.1f} s\n",
                  report.results.size(), report.Count(CaseResult::Status::kPass),
                  report.Count(CaseResult::Status::kFail), report.Count(CaseResult::Status::kError),
                  report.Count(CaseResult::Status::kSkip), report.seconds);
  return out;
}

std::string FormatJunit(const RunReport& report) {
  std::map<std::string, std::vector<const CaseResult*>> by_suite;
  std::vector<std::string> order;
  for (const auto& r : report.results) {
    if (!by_suite.count(r.suite)) order.push_back(r.suite);
    by_suite[r.suite].push_back(&r);
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format(
      "<testsuites name=\"kubedouble\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" "
      "time=\"{:.3f}\">\n",
      report.results.size(), report.Count(CaseResult::Status::kFail),
      report.Count(CaseResult::Status::kError), report.Count(CaseResult::Status::kSkip),
      report.seconds);
  for (const auto& suite : order) {
    const auto& list = by_suite[suite];
    size_t failures = 0, errors = 0, skipped = 0;
    double time = 0;
    for (const auto* r : list) {
      failures += r->status == CaseResult::Status::kFail;
      errors += r->status == CaseResult::Status::kError;
      skipped += r->status == CaseResult::Status::kSkip;
      time += r->seconds;
    }
    out += fmt::format(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" "
        "time=\"{:.3f}\" timestamp=\"{}\" hostname=\"{}\">\n",
        XmlEscape(suite), list.size(), failures, errors, skipped, time, XmlEscape(report.started),
        XmlEscape(report.host));
    out += Properties(report);
    for (const auto* r : list) {
      out += fmt::format(
          "    <testcase name=\"{} [{}]\" classname=\"{}.{}\" file=\"{}\" line=\"{}\" "
          "time=\"{:.3f}\"",
          XmlEscape(r->scenario), XmlEscape(r->client), XmlEscape(suite), XmlEscape(r->client),
          XmlEscape(r->file), r->line, r->seconds);
      std::string body;
      switch (r->status) {
        case CaseResult::Status::kPass:
          break;
        case CaseResult::Status::kFail:
          body += fmt::format(
              "      <failure message=\"{}\" type=\"mismatch\">{}</failure>\n",
              XmlEscape(r->reason),
              XmlEscape(fmt::format("{}\nat {}:{}:{}", r->reason, r->file, r->line, r->column)));
          break;
        case CaseResult::Status::kError:
          body += fmt::format("      <error message=\"{}\" type=\"error\">{}</error>\n",
                              XmlEscape(r->reason), XmlEscape(r->reason));
          break;
        case CaseResult::Status::kSkip:
          body += fmt::format("      <skipped message=\"{}\"/>\n", XmlEscape(r->reason));
          break;
      }
      if (r->has_outcome)
        body += fmt::format("      <system-out>expected: {}\noutcome: {}</system-out>\n",
                            XmlEscape(r->expected.ToJson().dump()),
                            XmlEscape(r->outcome.ToJson().dump()));
      out += body.empty() ? "/>\n" : ">\n" + body + "    </testcase>\n";
    }
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

nlohmann::json ToJson(const RunReport& report) {
  nlohmann::json results = nlohmann::json::array();
  for (const auto& r : report.results) {
    nlohmann::json j{{"suite", r.suite},
                     {"scenario", r.scenario},
                     {"client", r.client},
                     {"status", StatusName(r.status)},
                     {"file", r.file},
                     {"line", r.line},
                     {"expected", r.expected.ToJson()},
                     {"seconds", r.seconds}};
    if (!r.reason.empty()) j["reason"] = r.reason;
    if (r.has_outcome) j["outcome"] = r.outcome.ToJson();
    results.push_back(std::move(j));
  }
  return {{"clients", report.clients},
          {"kubedouble_version", report.kubedouble_version},
          {"client_versions", report.client_versions},
          {"started", report.started},
          {"host", report.host},
          {"seconds", report.seconds},
          {"summary",
           {{"runs", report.results.size()},
            {"passed", report.Count(CaseResult::Status::kPass)},
            {"failed", report.Count(CaseResult::Status::kFail)},
            {"errors", report.Count(CaseResult::Status::kError)},
            {"skipped", report.Count(CaseResult::Status::kSkip)}}},
          {"results", results}};
}

void WriteReport(const std::filesystem::path& file, const std::string& text) {
  std::ofstream out(file);
  out << text;
  if (!out) throw std::runtime_error("cannot write the report " + file.string());
}

}  // namespace kubedouble::scenarios
