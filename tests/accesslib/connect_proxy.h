// A minimal HTTP CONNECT proxy for tests: every CONNECT host:port goes to 127.0.0.1:port, and
// the CONNECT lines it received are recorded.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/loopback_listener.h"

namespace kubedouble::access::testing {

class ConnectProxy {
 public:
  ConnectProxy() {
    listen_fd_ = test::ListenOnLoopback(&port_);
    thread_ = std::thread([this] { Loop(); });
  }
  ~ConnectProxy() {
    stop_ = true;
    shutdown(listen_fd_, SHUT_RDWR);
    close(listen_fd_);
    thread_.join();
    for (auto& t : tunnels_) t.join();
  }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> l(mu_);
    return requests_;
  }

 private:
  void Loop() {
    while (!stop_) {
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      tunnels_.emplace_back([this, fd] { Tunnel(fd); });
    }
  }
  void Tunnel(int client) {
    std::string head;
    char c;
    while (head.find("\r\n\r\n") == std::string::npos && read(client, &c, 1) == 1)
      head.push_back(c);
    std::string first = head.substr(0, head.find("\r\n"));
    {
      std::lock_guard<std::mutex> l(mu_);
      requests_.push_back(first);
    }
    // "CONNECT host:port HTTP/1.1"
    auto sp1 = first.find(' '), sp2 = first.rfind(' ');
    std::string target = first.substr(sp1 + 1, sp2 - sp1 - 1);
    int port = std::stoi(target.substr(target.rfind(':') + 1));
    int up = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (connect(up, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      std::string r = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n";
      (void)!write(client, r.data(), r.size());
      close(client);
      close(up);
      return;
    }
    std::string ok = "HTTP/1.1 200 Connection established\r\n\r\n";
    (void)!write(client, ok.data(), ok.size());
    pollfd fds[2] = {{client, POLLIN, 0}, {up, POLLIN, 0}};
    char buf[16384];
    while (!stop_) {
      if (poll(fds, 2, 200) < 0) break;
      bool closed = false;
      for (int i = 0; i < 2; i++) {
        if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
          ssize_t n = read(fds[i].fd, buf, sizeof buf);
          if (n <= 0) {
            closed = true;
            break;
          }
          (void)!write(fds[1 - i].fd, buf, static_cast<size_t>(n));
        }
      }
      if (closed) break;
    }
    close(client);
    close(up);
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::vector<std::thread> tunnels_;
  std::mutex mu_;
  std::vector<std::string> requests_;
};

}  // namespace kubedouble::access::testing
