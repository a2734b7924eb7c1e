#include "kubedouble/accesslib/client.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <thread>

#include "kubedouble/base/strings.h"
#include "util.h"

namespace kubedouble::access {

std::string Resource::Path(const std::string& ns, const std::string& name) const {
  std::string p = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  if (!ns.empty()) p += "/namespaces/" + ns;
  p += "/" + plural;
  if (!name.empty()) p += "/" + name;
  return p;
}

std::string QueryEscape(const std::string& value) {
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

namespace {

std::string WithQuery(std::string path, const std::vector<std::pair<std::string, std::string>>& q) {
  char sep = path.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [k, v] : q) {
    if (v.empty()) continue;
    path += sep + k + "=" + QueryEscape(v);
    sep = '&';
  }
  return path;
}

int RetryAfter(const Response& r) {
  std::string v = base::Trim(r.Header("Retry-After"));
  if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos) return 0;
  return std::stoi(v);
}

}  // namespace

Client::Client(const Config& config)
    : transport_(MakeTransport(config)),
      namespace_(config.namespace_name),
      server_(config.server) {}

Client::Client(std::shared_ptr<Transport> transport, std::string namespace_name, std::string server)
    : transport_(std::move(transport)),
      namespace_(std::move(namespace_name)),
      server_(std::move(server)) {}

Response Client::Do(const Request& request) {
  try {
    return transport_->Send(request);
  } catch (Error& e) {
    if (e.server.empty()) e.server = ServerHostPort(server_);
    throw;
  }
}

std::string Client::Send(const std::string& method, const std::string& path,
                         const std::string& body, const std::string& content_type,
                         const std::string& accept) {
  Request req;
  req.method = method;
  req.path = path;
  req.body = body;
  req.headers.emplace("Accept", accept);
  if (!body.empty()) req.headers.emplace("Content-Type", content_type);
  Response r = Do(req);
  spdlog::debug("{} {} {}", method, path, r.status);
  if (r.status < 200 || r.status >= 300)
    throw Error::Http(DecodeStatus(r.status, r.body, RetryAfter(r)));
  return std::move(r.body);
}

json Client::SendJson(const std::string& method, const std::string& path, const std::string& body,
                      const std::string& content_type, const std::string& accept) {
  std::string text = Send(method, path, body, content_type, accept);
  auto parsed = json::parse(text, nullptr, false);
  if (parsed.is_discarded())
    throw Error::Protocol(
        fmt::format("the answer to {} {} is not JSON: {}", method, path, text.substr(0, 80)));
  return parsed;
}

std::string Client::Get(const std::string& path) { return Send("GET", path, "", ""); }
std::string Client::Post(const std::string& path, const std::string& body, const std::string& ct) {
  return Send("POST", path, body, ct);
}
std::string Client::Put(const std::string& path, const std::string& body) {
  return Send("PUT", path, body, "application/json");
}
std::string Client::Patch(const std::string& path, const std::string& body, const std::string& ct) {
  return Send("PATCH", path, body, ct);
}
std::string Client::Delete(const std::string& path) { return Send("DELETE", path, "", ""); }

json Client::ServerVersion() { return SendJson("GET", "/version"); }
json Client::ApiVersions() { return SendJson("GET", "/api"); }
json Client::ApiGroups() { return SendJson("GET", "/apis"); }

json Client::List(const Resource& r, const std::string& ns, const ListOptions& o) {
  std::string path = WithQuery(r.Path(ns), {{"labelSelector", o.label_selector},
                                            {"fieldSelector", o.field_selector},
                                            {"limit", o.limit > 0 ? std::to_string(o.limit) : ""},
                                            {"continue", o.continue_token},
                                            {"resourceVersion", o.resource_version}});
  json list = SendJson("GET", path);
  if (!list.is_object() || !list.contains("items") ||
      !(list["items"].is_array() || list["items"].is_null()))
    throw Error::Protocol(fmt::format("the answer to GET {} is not a list", path));
  if (list["items"].is_null()) list["items"] = json::array();
  return list;
}

json Client::ListAll(const Resource& r, const std::string& ns, ListOptions o) {
  json all = List(r, ns, o);
  std::string next = all.value("/metadata/continue"_json_pointer, "");
  int pages = 1;
  while (!next.empty()) {
    o.continue_token = next;
    json page = List(r, ns, o);
    for (auto& item : page["items"]) all["items"].push_back(std::move(item));
    next = page.value("/metadata/continue"_json_pointer, "");
    if (page.contains("metadata")) all["metadata"] = page["metadata"];
    if (++pages > 100000) throw Error::Protocol("the server keeps answering with a continue token");
  }
  if (all.contains("metadata") && all["metadata"].is_object()) {
    all["metadata"].erase("continue");
    all["metadata"].erase("remainingItemCount");
  }
  return all;
}

json Client::ListTable(const Resource& r, const std::string& ns, ListOptions o) {
  json all;
  int pages = 0;
  while (true) {
    std::string path = WithQuery(r.Path(ns), {{"labelSelector", o.label_selector},
                                              {"fieldSelector", o.field_selector},
                                              {"limit", o.limit > 0 ? std::to_string(o.limit) : ""},
                                              {"continue", o.continue_token},
                                              {"resourceVersion", o.resource_version}});
    json page = SendJson("GET", path, "", "", kTableAccept);
    if (!page.is_object())
      throw Error::Protocol(fmt::format("the answer to GET {} is not a Table or a list", path));
    const bool table = page.value("kind", "") == "Table";
    const char* rows = table ? "rows" : "items";
    if (!page.contains(rows) || page[rows].is_null()) page[rows] = json::array();
    if (!page[rows].is_array() || (table && !page.value("columnDefinitions", json()).is_array()))
      throw Error::Protocol(fmt::format("the answer to GET {} is not a Table or a list", path));
    if (pages == 0) {
      all = std::move(page);
    } else {
      if (table != (all.value("kind", "") == "Table"))
        throw Error::Protocol(
            fmt::format("the server changed its answer's kind while paging {}", r.Path(ns)));
      for (auto& row : page[rows]) all[rows].push_back(std::move(row));
      if (page.contains("metadata")) all["metadata"] = page["metadata"];
    }
    o.continue_token = all.value("/metadata/continue"_json_pointer, "");
    if (o.continue_token.empty()) break;
    if (++pages > 100000) throw Error::Protocol("the server keeps answering with a continue token");
  }
  if (all.contains("metadata") && all["metadata"].is_object()) {
    all["metadata"].erase("continue");
    all["metadata"].erase("remainingItemCount");
  }
  return all;
}

json Client::GetTable(const Resource& r, const std::string& ns, const std::string& name) {
  json answer = SendJson("GET", r.Path(ns, name), "", "", kTableAccept);
  if (answer.is_object() && answer.value("kind", "") == "Table" &&
      (!answer.value("columnDefinitions", json()).is_array() ||
       !answer.value("rows", json()).is_array()))
    throw Error::Protocol(
        fmt::format("the answer to GET {} is not a valid Table", r.Path(ns, name)));
  return answer;
}

json Client::GetObject(const Resource& r, const std::string& ns, const std::string& name) {
  return SendJson("GET", r.Path(ns, name));
}

json Client::Create(const Resource& r, const std::string& ns, const json& object) {
  return SendJson("POST", r.Path(ns), object.dump());
}

json Client::PatchObject(const Resource& r, const std::string& ns, const std::string& name,
                         const json& patch, const std::string& content_type) {
  return SendJson("PATCH", r.Path(ns, name), patch.dump(), content_type);
}

json Client::DeleteObject(const Resource& r, const std::string& ns, const std::string& name) {
  return SendJson("DELETE", r.Path(ns, name));
}

void Client::Watch(const Resource& r, const std::string& ns, const WatchOptions& o,
                   const WatchCallback& callback) {
  std::string rv = o.resource_version;
  bool stop = false;
  auto relist = [&] {
    ListOptions lo;
    lo.label_selector = o.label_selector;
    lo.field_selector = o.field_selector;
    json list = ListAll(r, ns, lo);
    rv = list.value("/metadata/resourceVersion"_json_pointer, "");
    for (auto& item : list["items"]) {
      if (!callback(WatchEvent{"ADDED", item})) {
        stop = true;
        return;
      }
    }
  };
  if (rv.empty()) relist();
  int reconnects = 0;
  while (!stop) {
    std::string path = WithQuery(
        r.Path(ns),
        {{"watch", "true"},
         {"labelSelector", o.label_selector},
         {"fieldSelector", o.field_selector},
         {"resourceVersion", rv},
         {"allowWatchBookmarks", o.allow_bookmarks ? "true" : ""},
         {"timeoutSeconds", o.timeout_seconds > 0 ? std::to_string(o.timeout_seconds) : ""}});
    Request req;
    req.path = path;
    req.headers.emplace("Accept", "application/json");
    std::string buffer, error_body, bad_frame;
    bool expired = false;
    int status = 0;
    req.on_head = [&](const Response& head) {
      status = head.status;
      return true;
    };
    req.on_body = [&](std::string_view piece) {
      if (status >= 300) {
        error_body.append(piece);
        return true;
      }
      buffer.append(piece);
      size_t nl;
      while ((nl = buffer.find('\n')) != std::string::npos) {
        std::string line = buffer.substr(0, nl);
        buffer.erase(0, nl + 1);
        if (base::Trim(line).empty()) continue;
        auto frame = json::parse(line, nullptr, false);
        if (!frame.is_object() || !frame.contains("type") || !frame["type"].is_string()) {
          bad_frame = line.substr(0, 80);
          return false;
        }
        WatchEvent ev{frame["type"].get<std::string>(), frame.value("object", json::object())};
        if (ev.type == "ERROR" && ev.object.value("code", 0) == 410) {
          expired = true;
          return false;
        }
        std::string new_rv = ev.object.value("/metadata/resourceVersion"_json_pointer, "");
        if (!new_rv.empty() && ev.type != "ERROR") rv = new_rv;
        if (!callback(ev)) {
          stop = true;
          return false;
        }
      }
      return true;
    };
    bool broke = false;
    try {
      Response head = Do(req);
      status = head.status;
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::kProtocol ||
          (reconnects >= o.max_reconnects && o.max_reconnects >= 0))
        throw;
      if (!e.IsConnect()) throw;
      broke = true;
      spdlog::debug("watch {} broke ({}); resuming from resourceVersion {}", path, e.what(), rv);
    }
    if (!bad_frame.empty())
      throw Error::Protocol(fmt::format("bad watch frame from GET {}: {}", path, bad_frame));
    if (stop) return;
    if (status == 410) expired = true;
    if (!expired && !broke && status >= 300) throw Error::Http(DecodeStatus(status, error_body));
    if (o.max_reconnects >= 0 && reconnects >= o.max_reconnects) return;
    reconnects++;
    if (expired) {
      spdlog::debug("watch {}: resourceVersion {} is too old (410); re-listing", path, rv);
      relist();
    } else if (broke) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
}

json Client::WhoAmI() {
  json review = {{"kind", "SelfSubjectReview"}, {"apiVersion", "authentication.k8s.io/v1"}};
  json answer =
      SendJson("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", review.dump());
  if (!answer.contains("/status/userInfo"_json_pointer))
    throw Error::Protocol("the SelfSubjectReview answer has no status.userInfo");
  return answer["status"]["userInfo"];
}

bool Client::CanI(const std::string& verb, const std::string& resource, const std::string& ns,
                  const std::string& name, const std::string& group) {
  json attrs = {{"verb", verb}, {"resource", resource}, {"group", group}};
  if (!ns.empty()) attrs["namespace"] = ns;
  if (!name.empty()) attrs["name"] = name;
  json review = {{"kind", "SelfSubjectAccessReview"},
                 {"apiVersion", "authorization.k8s.io/v1"},
                 {"spec", {{"resourceAttributes", attrs}}}};
  json answer =
      SendJson("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", review.dump());
  return answer.value("/status/allowed"_json_pointer, false);
}

json Client::CreateToken(const std::string& ns, const std::string& sa,
                         const std::vector<std::string>& audiences, int expiration_seconds) {
  json spec = {{"expirationSeconds", expiration_seconds}};
  spec["audiences"] = audiences.empty() ? json::array() : json(audiences);
  if (audiences.empty()) spec.erase("audiences");
  json request = {
      {"kind", "TokenRequest"}, {"apiVersion", "authentication.k8s.io/v1"}, {"spec", spec}};
  json answer =
      SendJson("POST", Resource::Core("serviceaccounts").Path(ns, sa) + "/token", request.dump());
  if (answer.value("/status/token"_json_pointer, "").empty())
    throw Error::Protocol("the TokenRequest answer has no status.token");
  return answer;
}

}  // namespace kubedouble::access
