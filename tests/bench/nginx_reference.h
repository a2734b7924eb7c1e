// nginx as a benchmark's same-run reference: started from tests/bench/nginx_reference.conf (the
// configuration fakeserver_bench.py uses too) in a temp folder of its own, on a free loopback
// port, with kubedouble's serving certificate and key, serving what Serve() wrote. Its resident
// memory is that of its master and its workers together. Destroying it stops nginx (master and
// workers); a worker the master left behind is killed by its pid.
//
//   NginxReference nginx(state / "pki", 16000);   // each worker: up to 16,000 connections
//   nginx.Serve("version", body);                  // GET /version answers `body`
//   if (nginx.port() == 0) fail(nginx.Error());
//   long kb = nginx.RssKb();
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/free_port.h"
#include "common/proc_status.h"
#include "common/process.h"
#include "common/read_file.h"
#include "common/temp_dir.h"

namespace kubedouble::bench {

class NginxReference {
 public:
  // Starts nginx (on PATH) and waits up to ten seconds for its port and its workers.
  NginxReference(const std::filesystem::path& pki, int connections) {
    // The workers run as an unprivileged user when nginx is started as root: they must reach
    // www/ (the folder itself only traversable; the certificate is read by the master).
    ::chmod(dir_.path().c_str(), 0711);
    std::filesystem::create_directories(dir_ / "www");
    ::chmod((dir_ / "www").c_str(), 0755);
    std::string conf = test::ReadFile(NGINX_REFERENCE_CONF);
    port_ = test::FreePort();
    const std::pair<std::string, std::string> fill[] = {
        {"@DIR@", dir_.path().string()},
        {"@PKI@", pki.string()},
        {"@PORT@", std::to_string(port_)},
        {"@CONNECTIONS@", std::to_string(connections)},
        {"@FILES@", std::to_string(connections + 1000)}};
    for (const auto& [key, value] : fill) {
      for (size_t at = conf.find(key); at != std::string::npos; at = conf.find(key, at)) {
        conf.replace(at, key.size(), value);
        at += value.size();
      }
    }
    const auto path = dir_.Write("nginx.conf", conf);
    // nginx writes nothing on stdout: the shell's line says it is about to start.
    const std::string dir = dir_.path().string();
    process_ = std::make_unique<test::Process>(
        std::vector<std::string>{"sh", "-c",
                                 "echo starting; exec nginx -c '" + path.string() + "' -p '" + dir +
                                     "' -e '" + dir + "/nginx.err'"});
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!Listening() || Workers().empty()) {
      if (std::chrono::steady_clock::now() > deadline || process_->Wait({}).has_value()) {
        error_ = "nginx did not start: " + process_->Stderr() + test::ReadFile(dir_ / "nginx.err");
        port_ = 0;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the other workers forked
    workers_ = Workers();
  }

  ~NginxReference() {
    if (process_ != nullptr) process_->Stop();  // SIGTERM: nginx stops its workers and exits
    for (pid_t w : workers_) {
      if (test::ReadFile("/proc/" + std::to_string(w) + "/cmdline").rfind("nginx: worker", 0) ==
          0) {
        ::kill(w, SIGKILL);
      }
    }
  }
  NginxReference(const NginxReference&) = delete;
  NginxReference& operator=(const NginxReference&) = delete;

  // Its port; 0 when it did not start (Error()).
  int port() const { return port_; }
  const std::string& Error() const { return error_; }

  // Makes GET /`path` answer `body` (type application/json).
  void Serve(const std::string& path, const std::string& body) const {
    ::chmod(dir_.Write("www/" + path, body).c_str(), 0644);
  }

  // VmRSS of the master and its workers, summed (kB).
  long RssKb() const {
    long kb = test::ProcStatus(process_->pid(), "VmRSS:");
    for (pid_t w : Workers()) kb += std::max(0L, test::ProcStatus(w, "VmRSS:"));
    return kb;
  }

 private:
  // The master's children: its workers.
  std::vector<pid_t> Workers() const {
    const std::string master = std::to_string(process_->pid());
    std::ifstream in("/proc/" + master + "/task/" + master + "/children");
    std::vector<pid_t> pids;
    for (pid_t pid; in >> pid;) pids.push_back(pid);
    return pids;
  }

  bool Listening() const {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(port_));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
    ::close(fd);
    return ok;
  }

  test::TempDir dir_;
  int port_ = 0;
  std::string error_;
  std::unique_ptr<test::Process> process_;
  std::vector<pid_t> workers_;
};

}  // namespace kubedouble::bench
