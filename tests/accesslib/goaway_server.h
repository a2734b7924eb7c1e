// A TLS HTTP/2 server for what the net server does not do on request. In mode kGoawayFirst its
// first connection waits until two requests are in, then sends GOAWAY with LastStreamID 1 (the
// second request, stream 3, was not processed), answers stream 1 and closes; every later
// connection answers each request. In kAnswerAll every connection answers each request; in
// kFirstIgnoresPings too, but the first connection never acknowledges a PING (a server that
// stopped answering). An answer's body is "<connection number> <path>"; for a path that starts
// with /quiet?ms=N the head leaves at once and the body N milliseconds later (a quiet watch).
// It counts the PINGs and GOAWAYs clients sent and the connections that ended. nghttp2's server
// session over a blocking OpenSSL connection, one thread per connection.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <nghttp2/nghttp2.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <poll.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/loopback_listener.h"
#include "kubedouble/accesslib/config.h"
#include "kubedouble/certs/certs.h"
#include "net/server_context.h"

namespace kubedouble::access::testing {

class GoawayServer {
 public:
  enum class Mode { kGoawayFirst, kAnswerAll, kFirstIgnoresPings };

  explicit GoawayServer(Mode mode = Mode::kGoawayFirst) : mode_(mode), pki_(certs::MintBundle()) {
    ctx_ = kubedouble::testing::ServerContext(pki_);
    SSL_CTX_set_alpn_select_cb(
        ctx_,
        [](SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
           unsigned inlen, void*) {
          static const unsigned char kH2[] = "\x02h2";
          unsigned char* chosen = nullptr;
          if (SSL_select_next_proto(&chosen, outlen, kH2, 3, in, inlen) != OPENSSL_NPN_NEGOTIATED) {
            return SSL_TLSEXT_ERR_NOACK;
          }
          *out = chosen;
          return SSL_TLSEXT_ERR_OK;
        },
        nullptr);
    listen_fd_ = test::ListenOnLoopback(&port_);
    acceptor_ = std::thread([this] {
      for (int number = 1;; ++number) {
        const int fd = accept(listen_fd_, nullptr, nullptr);
        if (fd < 0) return;
        connections_ = number;
        std::lock_guard<std::mutex> lock(mu_);
        served_.emplace_back([this, fd, number] { Serve(fd, number); });
      }
    });
  }
  // Stop the clients first: a later connection is served until its client closes it.
  ~GoawayServer() {
    shutdown(listen_fd_, SHUT_RDWR);
    close(listen_fd_);
    acceptor_.join();
    for (auto& t : served_) t.join();
    SSL_CTX_free(ctx_);
  }
  Config config() const {
    Config config;
    config.server = "https://127.0.0.1:" + std::to_string(port_);
    config.ca_data = pki_.ca.cert.Pem();
    return config;
  }
  int connections() const { return connections_; }
  int pings() const { return pings_; }      // PINGs received (not their ACKs)
  int goaways() const { return goaways_; }  // GOAWAYs received from clients
  int ended() const { return ended_; }      // connections that ended

 private:
  using Clock = std::chrono::steady_clock;
  struct Body {
    std::string text;
    bool ready = true;  // false: a quiet answer's body is not due yet
  };
  struct Connection {
    GoawayServer* server = nullptr;
    int number = 0;
    std::map<int32_t, std::string> paths;
    std::map<int32_t, Body> bodies;
    std::vector<int32_t> ready;  // streams whose request is whole, not yet answered
    // Quiet answers' streams, and when their body is due.
    std::map<int32_t, Clock::time_point> quiet;
  };

  static void Answer(nghttp2_session* session, Connection& c, int32_t id) {
    const std::string& path = c.paths[id];
    Body& b = c.bodies[id];
    b.text = std::to_string(c.number) + " " + path;
    if (path.rfind("/quiet?ms=", 0) == 0) {
      b.ready = false;
      c.quiet[id] = Clock::now() + std::chrono::milliseconds(std::atoi(path.c_str() + 10));
    }
    const nghttp2_nv head[] = {{(uint8_t*)":status", (uint8_t*)"200", 7, 3, NGHTTP2_NV_FLAG_NONE}};
    nghttp2_data_provider body{};
    body.source.ptr = &b;
    body.read_callback = [](nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags,
                            nghttp2_data_source* source, void*) -> ssize_t {
      auto* b = static_cast<Body*>(source->ptr);
      if (!b->ready) return NGHTTP2_ERR_DEFERRED;
      std::string* text = &b->text;
      const size_t n = std::min(length, text->size());
      std::copy_n(text->data(), n, buf);
      text->erase(0, n);
      if (text->empty()) *flags |= NGHTTP2_DATA_FLAG_EOF;
      return static_cast<ssize_t>(n);
    };
    nghttp2_submit_response(session, id, head, 1, &body);
  }

  void Serve(int fd, int number) {
    SSL* ssl = SSL_new(ctx_);
    SSL_set_fd(ssl, fd);
    Connection c;
    c.server = this;
    c.number = number;
    nghttp2_session_callbacks* cb = nullptr;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_header_callback(
        cb, [](nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
               const uint8_t* value, size_t valuelen, uint8_t, void* self) {
          if (std::string(reinterpret_cast<const char*>(name), namelen) == ":path") {
            static_cast<Connection*>(self)->paths[frame->hd.stream_id] =
                std::string(reinterpret_cast<const char*>(value), valuelen);
          }
          return 0;
        });
    nghttp2_session_callbacks_set_on_frame_recv_callback(
        cb, [](nghttp2_session*, const nghttp2_frame* frame, void* self) {
          auto* c = static_cast<Connection*>(self);
          if (frame->hd.type == NGHTTP2_HEADERS && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
            c->ready.push_back(frame->hd.stream_id);
          } else if (frame->hd.type == NGHTTP2_PING && (frame->hd.flags & NGHTTP2_FLAG_ACK) == 0) {
            ++c->server->pings_;
          } else if (frame->hd.type == NGHTTP2_GOAWAY) {
            ++c->server->goaways_;
          }
          return 0;
        });
    nghttp2_session* session = nullptr;
    nghttp2_option* option = nullptr;
    nghttp2_option_new(&option);
    // A server that stopped answering: its PINGs are never acknowledged.
    if (mode_ == Mode::kFirstIgnoresPings && number == 1) {
      nghttp2_option_set_no_auto_ping_ack(option, 1);
    }
    nghttp2_session_server_new2(&session, cb, &c, option);
    nghttp2_option_del(option);
    nghttp2_session_callbacks_del(cb);
    const nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100}};
    nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, settings, 1);
    auto flush = [&] {
      const uint8_t* data = nullptr;
      for (ssize_t n; (n = nghttp2_session_mem_send(session, &data)) > 0;) {
        if (SSL_write(ssl, data, static_cast<int>(n)) <= 0) return false;
      }
      return true;
    };
    if (SSL_accept(ssl) == 1) {
      char buf[16384];
      while (flush()) {
        if (mode_ == Mode::kGoawayFirst && number == 1 && c.ready.size() >= 2) {
          nghttp2_submit_goaway(session, NGHTTP2_FLAG_NONE, 1, NGHTTP2_NO_ERROR, nullptr, 0);
          Answer(session, c, 1);
          flush();
          // Closed for writing; what the client still sends is read (a close with unread bytes
          // would be a reset, which could drop stream 1's answer before the client read it).
          shutdown(fd, SHUT_WR);
          timeval limit{5, 0};
          setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
          while (SSL_read(ssl, buf, sizeof buf) > 0) {
          }
          break;
        }
        if (mode_ != Mode::kGoawayFirst || number > 1) {
          for (int32_t id : c.ready) Answer(session, c, id);
          c.ready.clear();
          for (auto it = c.quiet.begin(); it != c.quiet.end();) {
            if (Clock::now() < it->second) {
              ++it;
              continue;
            }
            c.bodies[it->first].ready = true;
            nghttp2_session_resume_data(session, it->first);
            it = c.quiet.erase(it);
          }
          if (!flush()) break;
        }
        // Looks again every 20 ms while quiet answers wait.
        pollfd readable{fd, POLLIN, 0};
        if (!c.quiet.empty() && SSL_pending(ssl) == 0 && poll(&readable, 1, 20) == 0) continue;
        const int n = SSL_read(ssl, buf, sizeof buf);
        if (n <= 0 || nghttp2_session_mem_recv(session, reinterpret_cast<uint8_t*>(buf), n) < 0) {
          break;
        }
      }
    }
    nghttp2_session_del(session);
    SSL_free(ssl);
    close(fd);
    ++ended_;
  }

  const Mode mode_;
  certs::Bundle pki_;
  SSL_CTX* ctx_ = nullptr;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<int> connections_{0};
  std::atomic<int> pings_{0}, goaways_{0}, ended_{0};
  std::mutex mu_;
  std::thread acceptor_;
  std::vector<std::thread> served_;
};

}  // namespace kubedouble::access::testing
