// The admin API under /__kubedouble/ (README.md, "Admin API"): the journal, fault rules,
// objects, reset, the fake clock and the service-account token rotation. Allowed to members of
// system:masters and to the --admin-token; JSON in and out; errors are Status objects.
#include <fmt/format.h>
#include <re2/re2.h>

#include <charconv>

#include "admin.h"

#include "../clock/rotation.h"
#include "../status.h"
#include "../util.h"
#include "kubedouble/base/rfc3339.h"
#include "kubedouble/base/strings.h"

namespace kubedouble::fake {

namespace {

constexpr std::string_view kPrefix = "/__kubedouble/";

json ParseJsonBody(const httplib::Request& req, bool allow_empty) {
  if (req.body.empty()) {
    if (allow_empty) return json::object();
    throw StatusError::BadRequest("the request needs a JSON body");
  }
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded()) throw StatusError::BadRequest("the request body is not valid JSON");
  return body;
}

std::string Param(const httplib::Request& req, const char* key) {
  return req.has_param(key) ? req.get_param_value(key) : "";
}

// The objects in a body: one object, a list ({"items": [...]}) or a JSON array.
std::vector<json> ObjectsOf(const json& body) {
  std::vector<json> out;
  if (body.is_array()) {
    for (const auto& o : body) out.push_back(o);
  } else if (body.is_object() && body.contains("items") && body["items"].is_array()) {
    for (const auto& o : body["items"]) out.push_back(o);
  } else if (body.is_object()) {
    out.push_back(body);
  } else {
    throw StatusError::BadRequest("expected an object, a list with items, or a JSON array");
  }
  return out;
}

}  // namespace

bool IsAdminPath(const std::string& path) {
  return path.rfind(kPrefix, 0) == 0 || path == "/__kubedouble";
}

void AdminApi::Serve(Call& call, JournalEntry& entry) const {
  const auto& req = call.req;
  auto& res = call.res;
  std::string bearer = req.get_header_value("Authorization");
  bool admin_token_ok = !admin_token.empty() && bearer.rfind("Bearer ", 0) == 0 &&
                        base::Trim(bearer.substr(7)) == admin_token;
  if (admin_token_ok) {
    entry.user = "kubedouble:admin-token";
    entry.auth_method = "admin-token";
  } else {
    if (!call.auth.authenticated) return SendError(res, UnauthorizedError());
    entry.user = call.auth.user.name;
    entry.groups = call.auth.user.groups;
    entry.auth_method = call.auth.method;
    const auto& g = call.auth.user.groups;
    if (std::find(g.begin(), g.end(), "system:masters") == g.end()) {
      return SendError(res, StatusError(403, "Forbidden",
                                        fmt::format("user \"{}\" cannot use the kubedouble admin "
                                                    "API: it is allowed to system:masters only",
                                                    call.auth.user.name)));
    }
  }

  std::string rest = req.path.size() > kPrefix.size() ? req.path.substr(kPrefix.size()) : "";
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  const std::string& m = req.method;
  auto not_allowed = [&] { SendError(res, MethodNotAllowedError()); };

  if (rest == "requests") {
    std::shared_ptr<re2::RE2> path_re;
    std::string path = Param(req, "path");
    if (!path.empty()) {
      path_re = std::make_shared<re2::RE2>(path, re2::RE2::Quiet);
      if (!path_re->ok()) {
        throw StatusError::BadRequest(
            fmt::format("invalid path pattern \"{}\": {}", path, path_re->error()));
      }
    }
    std::string method = Param(req, "method"), user = Param(req, "user"),
                status_s = Param(req, "status");
    int status = 0;
    if (!status_s.empty()) {
      auto [p, ec] = std::from_chars(status_s.data(), status_s.data() + status_s.size(), status);
      if (ec != std::errc() || p != status_s.data() + status_s.size()) {
        throw StatusError::BadRequest(fmt::format("invalid status \"{}\"", status_s));
      }
    }
    auto pred = [&](const JournalEntry& e) {
      if (!method.empty() && e.method != method) return false;
      if (!user.empty() && e.user != user) return false;
      if (!status_s.empty() && e.status != status) return false;
      if (path_re && !re2::RE2::FullMatch(e.path, *path_re)) return false;
      return true;
    };
    if (m == "GET") {
      auto found = journal.Find(pred);
      if (QueryBool(Param(req, "count"))) return SendJson(res, 200, {{"count", found.size()}});
      json items = json::array();
      for (const auto& e : found) items.push_back(e.ToJson());
      return SendJson(res, 200, {{"requests", items}, {"count", items.size()}});
    }
    if (m == "DELETE") {
      size_t n = journal.size();
      journal.Clear();
      return SendJson(res, 200, {{"deleted", n}});
    }
    return not_allowed();
  }

  if (rest == "faults" || rest.rfind("faults/", 0) == 0) {
    std::string name = rest.size() > 7 ? rest.substr(7) : "";
    if (m == "GET" && name.empty()) {
      json items = json::array();
      for (const auto& r : faults.List()) items.push_back(r.ToJson());
      return SendJson(res, 200, {{"faults", items}});
    }
    if (m == "GET") {
      for (const auto& r : faults.List()) {
        if (r.name == name) return SendJson(res, 200, r.ToJson());
      }
      throw StatusError(404, "NotFound", fmt::format("no fault rule named \"{}\"", name));
    }
    if (m == "POST" && name.empty()) {
      json body = ParseJsonBody(req, false);
      json list = body;
      if (body.is_object() && body.contains("faults")) list = body["faults"];
      if (!list.is_array()) list = json::array({list});
      std::vector<FaultRule> rules;
      for (size_t i = 0; i < list.size(); ++i) {
        try {
          rules.push_back(ParseFaultRule(list[i]));
        } catch (const std::invalid_argument& e) {
          throw StatusError::BadRequest(fmt::format("rule {}: {}", i + 1, e.what()));
        }
      }
      json added = json::array();
      for (auto& r : rules) added.push_back(faults.Add(std::move(r)).ToJson());
      return SendJson(res, 201, {{"faults", added}});
    }
    if (m == "DELETE" && name.empty()) return SendJson(res, 200, {{"deleted", faults.Clear()}});
    if (m == "DELETE") {
      if (!faults.Remove(name)) {
        throw StatusError(404, "NotFound", fmt::format("no fault rule named \"{}\"", name));
      }
      return SendJson(res, 200, {{"deleted", 1}});
    }
    return not_allowed();
  }

  if (rest == "objects") {
    if (m != "POST" && m != "DELETE") return not_allowed();
    json body = ParseJsonBody(req, false);
    std::vector<json> objects = ObjectsOf(body);
    std::vector<std::pair<ResourceInfo, json>> resolved;
    for (size_t i = 0; i < objects.size(); ++i) {
      const json& o = objects[i];
      std::string where = fmt::format("object {}", i + 1);
      if (!o.is_object() || !o.contains("apiVersion") || !o["apiVersion"].is_string() ||
          !o.contains("kind") || !o["kind"].is_string()) {
        throw StatusError::BadRequest(where + ": needs apiVersion and kind");
      }
      if (!o.contains("metadata") || !o["metadata"].is_object() ||
          !o["metadata"].contains("name") || !o["metadata"]["name"].is_string()) {
        throw StatusError::BadRequest(where + ": needs metadata.name");
      }
      auto r = registry.FindByKind(o["apiVersion"], o["kind"]);
      if (!r) {
        throw StatusError::BadRequest(fmt::format("{}: the server does not serve {} {}", where,
                                                  o["apiVersion"].get<std::string>(),
                                                  o["kind"].get<std::string>()));
      }
      resolved.emplace_back(*r, o);
    }
    json done = json::array();
    for (auto& [r, o] : resolved) {
      std::string ns = r.namespaced ? o["metadata"].value("namespace", "default") : "";
      std::string name = o["metadata"]["name"];
      if (m == "POST") {
        if (r.namespaced) o["metadata"]["namespace"] = ns;
        json stored = store.Put(r, o);
        done.push_back({{"kind", r.kind},
                        {"namespace", ns},
                        {"name", name},
                        {"resourceVersion", stored["metadata"].value("resourceVersion", "")}});
      } else {
        store.Delete(r, ns, name);
        done.push_back({{"kind", r.kind}, {"namespace", ns}, {"name", name}});
      }
    }
    return SendJson(res, 200, {{m == "POST" ? "loaded" : "deleted", done}});
  }

  if (rest == "snapshot") {  // kwok-style snapshots: every object out, or every object in
    if (m == "GET") {
      json items = json::array();
      for (auto& o : store.Snapshot()) items.push_back(std::move(o));
      return SendJson(
          res, 200,
          {{"apiVersion", "v1"},
           {"kind", "List"},
           {"metadata", {{"resourceVersion", std::to_string(store.resource_version())}}},
           {"items", items}});
    }
    if (m != "POST") return not_allowed();
    std::vector<json> objects = ObjectsOf(ParseJsonBody(req, false));
    // The shape is checked before anything is replaced; definitions load first, so that the
    // custom resources after them are known.
    for (const auto& o : objects) {
      if (!o.is_object() || !o.contains("apiVersion") || !o.contains("kind") ||
          !o["apiVersion"].is_string() || !o["kind"].is_string()) {
        throw StatusError::BadRequest("every object of a snapshot needs apiVersion and kind");
      }
    }
    std::stable_sort(objects.begin(), objects.end(), [](const json& a, const json& b) {
      return (a["kind"] == "CustomResourceDefinition") > (b["kind"] == "CustomResourceDefinition");
    });
    store.Clear();
    size_t loaded = 0;
    for (auto& o : objects) {
      auto found = registry.FindByKind(o["apiVersion"], o["kind"]);
      if (!found) {
        throw StatusError::BadRequest(fmt::format(
            "no served resource for apiVersion \"{}\", kind \"{}\" (after {} objects restored)",
            o["apiVersion"].get<std::string>(), o["kind"].get<std::string>(), loaded));
      }
      if (o.contains("metadata") && o["metadata"].is_object()) {
        o["metadata"].erase("resourceVersion");
      }
      store.Put(*found, std::move(o));
      ++loaded;
    }
    if (rotation) rotation->Rotate();  // the default service account may have a new uid
    return SendJson(
        res, 200,
        {{"restored", loaded}, {"resourceVersion", std::to_string(store.resource_version())}});
  }

  if (rest == "reset") {
    if (m != "POST") return not_allowed();
    // default/default comes back with the uid it had, so that the tokens minted for it (the
    // state folder's serviceaccount/token) still name a live account; that token is rotated,
    // and the one a client holds stays valid for the rotation's grace, as after any rotation.
    auto sas = registry.Find("", "v1", "serviceaccounts");
    json identity;
    if (sas) {
      if (auto sa = store.Find(*sas, "default", "default")) identity = (*sa)["metadata"];
    }
    store.Clear();
    if (sas && identity.is_object()) {
      json meta = {{"name", "default"}, {"namespace", "default"}};
      for (const char* key : {"uid", "creationTimestamp"})
        if (identity.contains(key)) meta[key] = identity[key];
      store.Put(*sas, {{"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", meta}});
    }
    load_world();
    if (rotation) rotation->Rotate();
    return SendJson(
        res, 200, {{"reset", true}, {"resourceVersion", std::to_string(store.resource_version())}});
  }

  if (rest == "clock") {
    auto answer = [&] {
      json j = {{"now", base::FormatRfc3339(clock.Now())}, {"fake", clock.fake()}};
      if (rotation) j["nextTokenRotation"] = base::FormatRfc3339(rotation->next_rotation());
      SendJson(res, 200, j);
    };
    if (m == "GET") return answer();
    if (m != "POST") return not_allowed();
    json body = ParseJsonBody(req, false);
    if (!body.is_object() || body.size() != 1 ||
        !(body.contains("advance") || body.contains("seconds"))) {
      throw StatusError::BadRequest(
          "expected {\"advance\": \"2h\"} (a duration) or {\"seconds\": N}");
    }
    std::chrono::nanoseconds by{0};
    if (body.contains("advance")) {
      if (!body["advance"].is_string()) {
        throw StatusError::BadRequest("advance must be a duration string such as \"90s\"");
      }
      try {
        by = ParseDuration(body["advance"]);
      } catch (const std::invalid_argument& e) {
        throw StatusError::BadRequest(std::string("advance: ") + e.what());
      }
    } else {
      if (!body["seconds"].is_number() || body["seconds"].get<double>() < 0) {
        throw StatusError::BadRequest("seconds must be a number >= 0");
      }
      by = std::chrono::nanoseconds(static_cast<int64_t>(body["seconds"].get<double>() * 1e9));
    }
    if (!clock.fake()) {
      throw StatusError(409, "Conflict",
                        "the clock is real and cannot be moved (start the server with --clock "
                        "fake)");
    }
    clock.Advance(by);
    return answer();
  }

  if (rest == "compact") {
    // Compacts the change history now, to the current resourceVersion or to
    // {"resourceVersion": "N"} (an older one than already compacted changes nothing).
    if (m != "POST") return not_allowed();
    json body = ParseJsonBody(req, true);
    std::optional<int64_t> to;
    if (body.is_object() && body.contains("resourceVersion")) {
      const json& rv = body["resourceVersion"];
      if (!rv.is_string()) {
        throw StatusError::BadRequest("resourceVersion must be a string such as \"42\"");
      }
      to = ParseResourceVersion(rv.get<std::string>());
    } else if (!body.is_null() && !(body.is_object() && body.empty())) {
      throw StatusError::BadRequest("expected {} or {\"resourceVersion\": \"N\"}");
    }
    const int64_t compacted = store.Compact(to);
    return SendJson(res, 200,
                    {{"compacted", std::to_string(compacted)},
                     {"resourceVersion", std::to_string(store.resource_version())}});
  }

  if (rest == "rotate-token") {
    if (m != "POST") return not_allowed();
    if (!rotation) throw StatusError(409, "Conflict", "the server is not running");
    rotation->Rotate();
    return SendJson(res, 200,
                    {{"rotated", true},
                     {"path", (serviceaccount_dir / "token").string()},
                     {"nextRotation", base::FormatRfc3339(rotation->next_rotation())},
                     {"previousValidFor", FormatDuration(rotation->grace())}});
  }

  SendError(res, StatusError(
                     404, "NotFound",
                     fmt::format("no admin endpoint {} (see README.md, \"Admin API\")", req.path)));
}

}  // namespace kubedouble::fake
