// `kubedouble get`, `kubedouble whoami`, `kubedouble create-token`: kubectl-like commands over
// the access library. Exit codes: 0, 1 for an API or connection error, 2 for usage or
// configuration errors.
#include <fmt/format.h>
#include <kubedouble/base/json_yaml.h>

#include <chrono>
#include <ctime>
#include <iostream>
#include <map>
#include <memory>

#include "client_flags.h"
#include "command.h"
#include "kubedouble/accesslib/client.h"
#include "kubedouble/base/age.h"
#include "kubedouble/base/duration.h"
#include "kubedouble/base/rfc3339.h"
#include "kubedouble/schema/resources.h"

namespace kubedouble::cli {
namespace {

using access::json;

// The AGE of an object as kubectl prints it, by this machine's clock (a client's view).
std::string Age(const json& obj) {
  auto created = base::ParseRfc3339(obj.value("/metadata/creationTimestamp"_json_pointer, ""));
  if (!created) return "<unknown>";
  return base::HumanAge(*created, std::chrono::system_clock::now());
}

std::string Str(const json& obj, const char* pointer, const std::string& fallback = "<none>") {
  auto p = json::json_pointer(pointer);
  if (!obj.contains(p) || !obj[p].is_string() || obj[p].get<std::string>().empty()) return fallback;
  return obj[p].get<std::string>();
}

struct Kind {
  std::string group;
  std::string version;
  std::string plural;
  bool namespaced;
};

// A resource type as kubectl takes it: plural, singular, short name or kind, any case, optionally
// qualified by its group ("deployments.apps", "deploy.apps"); every resource a default 1.32
// server serves (kubedouble::schema), in its group's preferred version.
std::optional<Kind> LookupKind(const std::string& name) {
  std::string want = name;
  for (auto& c : want) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto matches = [](const schema::Resource& r, std::string_view n) {
    if (n == r.plural || n == r.singular) return true;
    std::string kind(r.kind);
    for (auto& c : kind) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (n == kind) return true;
    for (std::string_view s : r.short_names) {
      if (n == s) return true;
    }
    return false;
  };
  for (const schema::Resource& r : schema::Resources()) {  // preferred versions first
    std::string_view n = want;
    if (!r.group.empty() && n.size() > r.group.size() + 1 && n.ends_with(r.group) &&
        n[n.size() - r.group.size() - 1] == '.') {
      n = n.substr(0, n.size() - r.group.size() - 1);
    }
    if (matches(r, n)) {
      return Kind{std::string(r.group), std::string(r.version), std::string(r.plural),
                  r.namespaced};
    }
  }
  return std::nullopt;
}

std::vector<std::vector<std::string>> Rows(const std::string& plural, const json& items, bool wide,
                                           bool all_namespaces) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header;
  if (all_namespaces) header.push_back("NAMESPACE");
  if (plural == "pods") {
    for (auto h : {"NAME", "READY", "STATUS", "RESTARTS", "AGE"}) header.push_back(h);
    if (wide)
      for (auto h : {"IP", "NODE", "NOMINATED NODE", "READINESS GATES"}) header.push_back(h);
  } else if (plural == "secrets") {
    for (auto h : {"NAME", "TYPE", "DATA", "AGE"}) header.push_back(h);
  } else if (plural == "serviceaccounts") {
    for (auto h : {"NAME", "SECRETS", "AGE"}) header.push_back(h);
  } else {
    for (auto h : {"NAME", "STATUS", "AGE"}) header.push_back(h);
  }
  rows.push_back(header);
  for (const auto& o : items) {
    std::vector<std::string> row;
    if (all_namespaces) row.push_back(Str(o, "/metadata/namespace", ""));
    row.push_back(Str(o, "/metadata/name", ""));
    if (plural == "pods") {
      size_t total =
          o.contains("/spec/containers"_json_pointer) ? o["spec"]["containers"].size() : 0;
      size_t ready = 0;
      long long restarts = 0;
      if (o.contains("/status/containerStatuses"_json_pointer))
        for (const auto& cs : o["status"]["containerStatuses"]) {
          if (cs.value("ready", false)) ready++;
          restarts += cs.value("restartCount", 0LL);
        }
      row.push_back(fmt::format("{}/{}", ready, total));
      row.push_back(Str(o, "/status/reason", Str(o, "/status/phase", "Unknown")));
      row.push_back(std::to_string(restarts));
      row.push_back(Age(o));
      if (wide) {
        row.push_back(Str(o, "/status/podIP"));
        row.push_back(Str(o, "/spec/nodeName"));
        row.push_back(Str(o, "/status/nominatedNodeName"));
        row.push_back("<none>");
      }
    } else if (plural == "secrets") {
      row.push_back(Str(o, "/type", ""));
      row.push_back(
          std::to_string(o.contains("data") && o["data"].is_object() ? o["data"].size() : 0));
      row.push_back(Age(o));
    } else if (plural == "serviceaccounts") {
      row.push_back(std::to_string(
          o.contains("secrets") && o["secrets"].is_array() ? o["secrets"].size() : 0));
      row.push_back(Age(o));
    } else {
      row.push_back(Str(o, "/status/phase", "Active"));
      row.push_back(Age(o));
    }
    rows.push_back(row);
  }
  return rows;
}

// kubectl's tabwriter: cells padded by 3, at least 6 wide; the last cell of a line unpadded.
void PrintTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows)
    for (size_t i = 0; i + 1 < r.size(); i++) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], r[i].size());
    }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); i++) {
      line += r[i];
      if (i + 1 < r.size())
        line += std::string(std::max(width[i] + 3, size_t{6}) - r[i].size(), ' ');
    }
    fmt::print("{}\n", line);
  }
}

// A Table cell as kubectl prints it: strings cut at the first line break (marked "..."),
// terminal escapes made visible; numbers and booleans as Go prints them; null as nothing.
std::string Cell(const json& cell) {
  std::string text;
  if (cell.is_null()) return text;
  if (cell.is_string()) {
    text = cell.get<std::string>();
    if (auto cut = text.find_first_of("\f\n\r"); cut != std::string::npos)
      text = text.substr(0, cut) + "...";
  } else {
    text = cell.dump();
  }
  std::string out;
  for (char c : text) {
    if (c == '\x1b')
      out += "^[";
    else
      out.push_back(c);
  }
  return out;
}

// kubectl's printing of a server-side Table: the columns of priority 0 (all with -o wide),
// names upper-cased, NAMESPACE first with -A (from each row's object metadata); a "date"
// column (RFC 3339) shown as an age.
std::vector<std::vector<std::string>> TableRows(const json& table, bool wide, bool with_namespace) {
  std::vector<std::vector<std::string>> rows;
  const json& columns = table["columnDefinitions"];
  std::vector<bool> shown;
  std::vector<bool> date;
  std::vector<std::string> header;
  if (with_namespace) header.push_back("NAMESPACE");
  for (const auto& c : columns) {
    bool show = wide || !c.is_object() || c.value("priority", 0) == 0;
    shown.push_back(show);
    date.push_back(c.is_object() && c.value("type", "") == "date");
    if (!show) continue;
    std::string name = c.is_object() ? c.value("name", "") : "";
    for (auto& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    header.push_back(name);
  }
  rows.push_back(header);
  for (const auto& r : table["rows"]) {
    std::vector<std::string> row;
    if (with_namespace) {
      json ns = r.is_object() ? r.value("/object/metadata/namespace"_json_pointer, json()) : json();
      row.push_back(ns.is_string() ? ns.get<std::string>() : "");
    }
    json cells = r.is_object() ? r.value("cells", json::array()) : json::array();
    if (!cells.is_array()) cells = json::array();
    for (size_t i = 0; i < cells.size() && i < shown.size(); i++) {
      if (!shown[i]) continue;
      if (date[i] && cells[i].is_string()) {
        row.push_back(Age({{"metadata", {{"creationTimestamp", cells[i]}}}}));
      } else {
        row.push_back(Cell(cells[i]));
      }
    }
    rows.push_back(row);
  }
  return rows;
}

void PrintObject(const json& j, const std::string& output) {
  if (output == "json") {
    fmt::print("{}\n", j.dump(4));
  } else {
    fmt::print("{}", base::JsonToYaml(j));
  }
}

void SetupGet(CLI::App& app) {
  auto* sub = app.add_subcommand("get", "Display resources, or GET a raw path (like kubectl get)");
  auto flags = std::make_shared<ConnectionFlags>();
  auto raw = std::make_shared<std::string>();
  auto what = std::make_shared<std::vector<std::string>>();
  auto all = std::make_shared<bool>(false);
  auto output = std::make_shared<std::string>();
  auto selector = std::make_shared<std::string>();
  auto field_selector = std::make_shared<std::string>();
  OnChosen(sub, [=] {
    flags->Add(sub);
    sub->add_option("--raw", *raw, "Raw URI to request from the server");
    sub->add_option("resource", *what,
                    "TYPE [NAME]: any built-in resource, by plural, singular, short name or kind");
    sub->add_flag("-A,--all-namespaces", *all, "List across all namespaces");
    sub->add_option("-o,--output", *output, "Output format: wide|json|yaml")
        ->check(CLI::IsMember({"wide", "json", "yaml", ""}));
    sub->add_option("-l,--selector", *selector, "Label selector (e.g. -l key1=value1,key2=value2)");
    sub->add_option("--field-selector", *field_selector, "Field selector");
  });
  OnRun(sub, [=] {
    if (raw->empty() && what->empty()) {
      fmt::print(stderr,
                 "error: You must specify the type of resource to get. Use \"kubedouble get "
                 "TYPE [NAME]\" (pods, deployments, svc, ...) or \"kubedouble get --raw "
                 "PATH\".\n");
      return 2;
    }
    if (!raw->empty() && !what->empty()) {
      fmt::print(stderr, "error: arguments may not be passed when --raw is specified\n");
      return 2;
    }
    std::optional<Kind> kind;
    if (raw->empty()) {
      kind = LookupKind((*what)[0]);
      if (!kind) {
        fmt::print(stderr, "error: the server doesn't have a resource type \"{}\"\n", (*what)[0]);
        return 2;
      }
      if (what->size() > 2) {
        fmt::print(stderr, "error: at most one name may be given\n");
        return 2;
      }
    }
    std::optional<access::Config> config = flags->Build();
    if (!config) return 2;
    RunWithErrors([&] {
      access::Client client(*config);
      if (!raw->empty()) {
        std::string body = client.Get(*raw);
        fmt::print("{}", body);
        if (!body.empty() && body.back() != '\n') fmt::print("\n");
        return;
      }
      access::Resource resource{kind->group, kind->version, kind->plural};
      const std::string ns = !kind->namespaced || *all ? "" : client.namespace_name();
      const bool wide = *output == "wide";
      const bool as_object = *output == "json" || *output == "yaml";
      if (what->size() == 2) {
        const std::string object_ns = ns.empty() && kind->namespaced ? client.namespace_name() : ns;
        if (as_object) {
          PrintObject(client.GetObject(resource, object_ns, (*what)[1]), *output);
          return;
        }
        // Server-side columns when the server prints (as kubectl asks), else our own.
        json answer = client.GetTable(resource, object_ns, (*what)[1]);
        if (answer.value("kind", "") == "Table")
          PrintTable(TableRows(answer, wide, false));
        else
          PrintTable(Rows(kind->plural, json::array({answer}), wide, false));
        return;
      }
      access::ListOptions lo;
      lo.label_selector = *selector;
      lo.field_selector = *field_selector;
      lo.limit = 500;
      json list = as_object ? client.ListAll(resource, ns, lo) : client.ListTable(resource, ns, lo);
      if (as_object) {
        PrintObject(list, *output);
        return;
      }
      const bool table = list.value("kind", "") == "Table";
      if (list[table ? "rows" : "items"].empty()) {
        if (kind->namespaced && !*all)
          fmt::print(stderr, "No resources found in {} namespace.\n", ns);
        else
          fmt::print(stderr, "No resources found\n");
        return;
      }
      const bool with_namespace = kind->namespaced && *all;
      if (table)
        PrintTable(TableRows(list, wide, with_namespace));
      else
        PrintTable(Rows(kind->plural, list["items"], wide, with_namespace));
    });
  });
}

void SetupWhoami(CLI::App& app) {
  auto* sub = app.add_subcommand("whoami", "Show the user the server sees (SelfSubjectReview)");
  auto flags = std::make_shared<ConnectionFlags>();
  auto output = std::make_shared<std::string>();
  OnChosen(sub, [=] {
    flags->Add(sub);
    sub->add_option("-o,--output", *output, "Output format: json|yaml")
        ->check(CLI::IsMember({"json", "yaml", ""}));
  });
  OnRun(sub, [=] {
    std::optional<access::Config> config = flags->Build();
    if (!config) return 2;
    RunWithErrors([&] {
      access::Client client(*config);
      json user = client.WhoAmI();
      if (!output->empty()) {
        PrintObject(user, *output);
        return;
      }
      std::vector<std::vector<std::string>> rows = {{"ATTRIBUTE", "VALUE"},
                                                    {"Username", user.value("username", "")}};
      if (user.contains("uid")) rows.push_back({"UID", user.value("uid", "")});
      std::vector<std::string> groups;
      if (user.contains("groups"))
        for (const auto& g : user["groups"]) groups.push_back(g.get<std::string>());
      rows.push_back({"Groups", fmt::format("[{}]", fmt::join(groups, " "))});
      if (user.contains("extra") && user["extra"].is_object())
        for (auto it = user["extra"].begin(); it != user["extra"].end(); ++it)
          rows.push_back({"Extra: " + it.key(), it.value().dump()});
      PrintTable(rows);
    });
  });
}

void SetupCreateToken(CLI::App& app) {
  auto* sub = app.add_subcommand("create-token", "Request a service account token (TokenRequest)");
  auto flags = std::make_shared<ConnectionFlags>();
  auto sa = std::make_shared<std::string>();
  auto audiences = std::make_shared<std::vector<std::string>>();
  auto duration = std::make_shared<std::string>("1h");
  OnChosen(sub, [=] {
    flags->Add(sub);
    sub->add_option("serviceaccount", *sa, "The service account name")->required();
    sub->add_option("--audience", *audiences, "Audience of the requested token (repeatable)");
    sub->add_option("--duration", *duration, "Requested lifetime of the token, e.g. 1h, 10m");
  });
  OnRun(sub, [=] {
    std::string why;
    auto parsed = base::ParseGoDuration(*duration, &why);
    if (!parsed) {
      fmt::print(stderr, "error: invalid argument \"{}\" for \"--duration\" flag: {}\n", *duration,
                 why);
      return 2;
    }
    const long long seconds = std::chrono::duration_cast<std::chrono::seconds>(*parsed).count();
    if (seconds <= 0) {
      fmt::print(stderr, "error: --duration must be at least one second, not \"{}\"\n", *duration);
      return 2;
    }
    std::optional<access::Config> config = flags->Build();
    if (!config) return 2;
    RunWithErrors([&] {
      access::Client client(*config);
      json answer =
          client.CreateToken(client.namespace_name(), *sa, *audiences, static_cast<int>(seconds));
      fmt::print("{}\n", answer["status"]["token"].get<std::string>());
    });
  });
}

Registrar reg_get("get", SetupGet);
Registrar reg_whoami("whoami", SetupWhoami);
Registrar reg_create_token("create-token", SetupCreateToken);

}  // namespace
}  // namespace kubedouble::cli
