// A stand-in for the connection layer's upgrade path, for driving real clients at exec and attach
// (WebSocket, and SPDY/3.1)
// before the server owns its connections: a plain-HTTP loopback server that answers GET of one
// pod (kubectl exec and cp read it first, after the core group's discovery) and takes exec and
// attach upgrades with fakeserver/src/streams (PlanPodStream, then the 101, then RunPodStream on
// the socket). Anything else is 404. One thread per connection; every answer but a 101 closes it.
#pragma once

#include <arpa/inet.h>
#include <httplib.h>
#include <kubedouble/fakeserver/clock.h>
#include <kubedouble/fakeserver/store.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/upgraded_stream_pair.h"
#include "streams/pod_stream.h"

namespace kubedouble::e2e {

class ExecFront {
 public:
  // `websocket` false: WebSocket upgrades get 400, so kubectl falls back to SPDY/3.1.
  explicit ExecFront(nlohmann::json pod, bool websocket = true)
      : pod_(std::move(pod)), websocket_(websocket), clock_(false) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listen_fd_, 16);
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { Accept(); });
  }
  ~ExecFront() {
    ::shutdown(listen_fd_, SHUT_RDWR);
    acceptor_.join();
    ::close(listen_fd_);
    std::lock_guard lock(mu_);
    for (auto& t : connections_) t.join();
  }
  ExecFront(const ExecFront&) = delete;
  ExecFront& operator=(const ExecFront&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // A kubeconfig for url() in `dir` (no credentials: the stand-in checks none).
  std::string WriteKubeconfig(const std::filesystem::path& dir) const {
    auto path = dir / "exec-front.kubeconfig";
    std::ofstream(path) << "apiVersion: v1\nkind: Config\n"
                        << "clusters: [{name: front, cluster: {server: '" << url()
                        << "', insecure-skip-tls-verify: true}}]\n"
                        << "users: [{name: anyone, user: {}}]\n"
                        << "contexts: [{name: front, context: {cluster: front, user: anyone, "
                           "namespace: default}}]\n"
                        << "current-context: front\n";
    return path.string();
  }

 private:
  void Accept() {
    for (;;) {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      std::lock_guard lock(mu_);
      connections_.emplace_back([this, fd] { Serve(fd); });
    }
  }

  static void Answer(int fd, int status, const std::string& reason, const std::string& type,
                     const std::string& body,
                     const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\n";
    for (const auto& [k, v] : headers) out += k + ": " + v + "\r\n";
    if (!type.empty()) out += "Content-Type: " + type + "\r\n";
    out += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
    out += body;
    ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
  }

  void Serve(int fd) {
    test::FdStream stream(fd);
    std::string head;
    char c;
    while (head.size() < 65536 && head.find("\r\n\r\n") == std::string::npos) {
      if (stream.Read(&c, 1) != 1) return;
      head += c;
    }
    // The request line and the headers (names lower-cased, repeated ones joined with ", ").
    std::istringstream lines(head);
    std::string method, target, line;
    lines >> method >> target;
    std::getline(lines, line);
    std::map<std::string, std::string> headers;
    while (std::getline(lines, line) && line != "\r") {
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      if (!value.empty() && value.back() == '\r') value.pop_back();
      std::string& slot = headers[name];
      slot += (slot.empty() ? "" : ", ") + value;
    }
    const std::string path = target.substr(0, target.find('?'));
    httplib::Params query;
    if (target.find('?') != std::string::npos) {
      httplib::detail::parse_query_text(target.substr(target.find('?') + 1), query);
    }
    const std::string pod_path = "/api/v1/namespaces/" +
                                 pod_["metadata"]["namespace"].get<std::string>() + "/pods/" +
                                 pod_["metadata"]["name"].get<std::string>();
    if (method == "GET" && path == pod_path) {
      return Answer(fd, 200, "OK", "application/json", pod_.dump());
    }
    // The discovery kubectl reads before it resolves a pod's name.
    if (method == "GET" && path == "/api") {
      return Answer(fd, 200, "OK", "application/json",
                    R"({"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[]})");
    }
    if (method == "GET" && path == "/apis") {
      return Answer(fd, 200, "OK", "application/json",
                    R"({"kind":"APIGroupList","apiVersion":"v1","groups":[]})");
    }
    if (method == "GET" && path == "/api/v1") {
      return Answer(fd, 200, "OK", "application/json",
                    R"({"kind":"APIResourceList","groupVersion":"v1","resources":[)"
                    R"({"name":"pods","singularName":"pod","namespaced":true,"kind":"Pod",)"
                    R"("verbs":["get","list"],"shortNames":["po"]},)"
                    R"({"name":"pods/attach","singularName":"","namespaced":true,)"
                    R"("kind":"PodAttachOptions","verbs":["create","get"]},)"
                    R"({"name":"pods/exec","singularName":"","namespaced":true,)"
                    R"("kind":"PodExecOptions","verbs":["create","get"]}]})");
    }
    const std::string sub = path.substr(path.rfind('/') + 1);
    std::string kind = headers["upgrade"];
    for (char& ch : kind) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    const bool websocket = kind.find("websocket") != std::string::npos;
    if (path.rfind(pod_path + "/", 0) != 0 || (sub != "exec" && sub != "attach") ||
        (!websocket && kind.find("spdy/3.1") == std::string::npos)) {
      return Answer(fd, 404, "Not Found", "text/plain", "404 page not found");
    }
    if (websocket && !websocket_) return Answer(fd, 400, "Bad Request", "text/plain", "no");
    fake::UpgradeHeaders upgrade{headers["sec-websocket-key"], headers["sec-websocket-version"],
                                 headers["sec-websocket-protocol"], headers["upgrade"],
                                 headers["x-stream-protocol-version"]};
    auto get_all = [&query](const char* name) {
      std::vector<std::string> out;
      auto [from, to] = query.equal_range(name);
      for (auto it = from; it != to; ++it) out.push_back(it->second);
      return out;
    };
    fake::PodStreamPlan plan;
    try {
      plan = fake::PlanPodStream(pod_, sub, upgrade, get_all, trees_, clock_);
    } catch (const fake::StatusError& e) {
      return Answer(fd, e.code(), "Bad Request", "application/json", e.ToStatus().dump());
    }
    if (plan.answer.status != 101) {
      return Answer(fd, plan.answer.status, plan.answer.status == 403 ? "Forbidden" : "Bad Request",
                    "", plan.answer.body, plan.answer.headers);
    }
    std::string ok = "HTTP/1.1 101 Switching Protocols\r\n";
    for (const auto& [k, v] : plan.answer.headers) ok += k + ": " + v + "\r\n";
    ok += "\r\n";
    stream.Write(ok.data(), ok.size());
    fake::RunPodStream(stream, plan);
  }

  nlohmann::json pod_;
  bool websocket_;
  fake::ServerClock clock_;
  fake::FileTrees trees_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> connections_;
};

}  // namespace kubedouble::e2e
