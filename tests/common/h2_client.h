// Test helper: an HTTP/2 client over TLS (nghttp2's client session on OpenSSL), for what the
// usual clients hide: several requests on ONE connection (an informer's watches and lists), a
// stream reset (RST_STREAM), the server's GOAWAY, the protocol ALPN chose. 127.0.0.1 only.
//
//   H2Client c(port, ca_file);
//   int32_t watch = c.Get("/api/v1/pods?watch=1"), list = c.Get("/api/v1/pods");
//   c.RunUntil([&] { return c.reply(list).done; });
//   c.Reset(watch);
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace kubedouble::testing {

class H2Client {
 public:
  struct Reply {
    int status = 0;
    std::multimap<std::string, std::string> headers;  // names in lower case
    std::string body;
    bool done = false;   // the stream closed (answered whole, or reset)
    uint32_t error = 0;  // the RST_STREAM code that closed it (0: none)
  };

  // Connects and shakes hands offering `alpn` (wire format: each name after its length);
  // the connection is HTTP/2 when the server chose "h2" (ok() and alpn() tell).
  H2Client(int port, const std::string& ca_file,
           std::string alpn = std::string("\x02h2\x08http/1.1", 12)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(port));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return;
    int yes = 1;  // WINDOW_UPDATEs leave at once, not after the server's delayed ACK
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_alpn_protos(ctx_, reinterpret_cast<const unsigned char*>(alpn.data()),
                            static_cast<unsigned>(alpn.size()));
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    SSL_set_tlsext_host_name(ssl_, "localhost");
    if (SSL_connect(ssl_) != 1) return;
    const unsigned char* p = nullptr;
    unsigned len = 0;
    SSL_get0_alpn_selected(ssl_, &p, &len);
    alpn_.assign(reinterpret_cast<const char*>(p), len);
    handshaken_ = true;
    if (alpn_ != "h2") return;
    nghttp2_session_callbacks* cb = nullptr;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_header_callback(cb, OnHeader);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, OnData);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, OnClose);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, OnFrame);
    nghttp2_session_client_new(&session_, cb, this);
    nghttp2_session_callbacks_del(cb);
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, nullptr, 0);
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
    Flush();
  }
  ~H2Client() {
    if (session_ != nullptr) nghttp2_session_del(session_);
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (ctx_ != nullptr) SSL_CTX_free(ctx_);
    if (fd_ >= 0) ::close(fd_);
  }
  H2Client(const H2Client&) = delete;
  H2Client& operator=(const H2Client&) = delete;

  bool handshaken() const { return handshaken_; }
  bool ok() const { return session_ != nullptr; }
  const std::string& alpn() const { return alpn_; }

  // Sends a request; returns its stream id.
  int32_t Request(const std::string& method, const std::string& path, std::string body = {},
                  std::vector<std::pair<std::string, std::string>> headers = {}) {
    std::vector<std::pair<std::string, std::string>> all = {
        {":method", method}, {":scheme", "https"}, {":authority", "localhost"}, {":path", path}};
    all.insert(all.end(), headers.begin(), headers.end());
    std::vector<nghttp2_nv> nv;
    for (auto& [n, v] : all) {
      nv.push_back({reinterpret_cast<uint8_t*>(n.data()), reinterpret_cast<uint8_t*>(v.data()),
                    n.size(), v.size(), NGHTTP2_NV_FLAG_NONE});
    }
    nghttp2_data_provider provider{};
    auto pending = std::make_unique<std::pair<std::string, size_t>>(std::move(body), 0);
    provider.source.ptr = pending.get();
    provider.read_callback = [](nghttp2_session*, int32_t, uint8_t* buf, size_t length,
                                uint32_t* flags, nghttp2_data_source* source, void*) -> ssize_t {
      auto* b = static_cast<std::pair<std::string, size_t>*>(source->ptr);
      const size_t n = std::min(length, b->first.size() - b->second);
      std::memcpy(buf, b->first.data() + b->second, n);
      b->second += n;
      if (b->second == b->first.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
      return static_cast<ssize_t>(n);
    };
    const bool has_body = !pending->first.empty();
    const int32_t id = nghttp2_submit_request(session_, nullptr, nv.data(), nv.size(),
                                              has_body ? &provider : nullptr, nullptr);
    bodies_.push_back(std::move(pending));
    replies_[id];
    if (!held_) Flush();
    return id;
  }
  // While held, requests wait; released, they leave together (one TLS record, one read for the
  // server).
  void Hold() { held_ = true; }
  void Release() {
    held_ = false;
    Flush();
  }
  int32_t Get(const std::string& path) { return Request("GET", path); }

  // RST_STREAM (CANCEL) for `id`, as a client giving up a watch does.
  void Reset(int32_t id) {
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
    Flush();
  }

  Reply& reply(int32_t id) { return replies_[id]; }
  bool goaway() const { return goaway_; }
  bool eof() const { return eof_; }  // the server closed the connection

  // Reads and writes until `done()` or the connection ends or `limit` passes; returns done().
  bool RunUntil(const std::function<bool()>& done,
                std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && !eof_ && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      ::poll(&p, 1, 50);
      Receive();
      Flush();
    }
    return done();
  }

 private:
  void Receive() {
    char buf[16384];
    for (;;) {
      ERR_clear_error();
      const int n = SSL_read(ssl_, buf, sizeof buf);
      if (n <= 0) {
        const int err = SSL_get_error(ssl_, n);
        if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) eof_ = true;
        return;
      }
      if (nghttp2_session_mem_recv(session_, reinterpret_cast<uint8_t*>(buf), n) < 0) {
        eof_ = true;
        return;
      }
    }
  }
  // Everything nghttp2 has to send, in one TLS write.
  void Flush() {
    std::string out;
    for (;;) {
      const uint8_t* data = nullptr;
      const ssize_t n = nghttp2_session_mem_send(session_, &data);
      if (n <= 0) break;
      out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    }
    size_t done = 0;
    while (done < out.size()) {
      const int w = SSL_write(ssl_, out.data() + done, static_cast<int>(out.size() - done));
      if (w > 0) {
        done += static_cast<size_t>(w);
        continue;
      }
      const int err = SSL_get_error(ssl_, w);
      if (err != SSL_ERROR_WANT_WRITE && err != SSL_ERROR_WANT_READ) {
        eof_ = true;
        return;
      }
      pollfd p{fd_, POLLOUT, 0};
      ::poll(&p, 1, 50);
    }
  }
  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t namelen, const uint8_t* value, size_t valuelen, uint8_t, void* self) {
    auto* c = static_cast<H2Client*>(self);
    std::string n(reinterpret_cast<const char*>(name), namelen);
    std::string v(reinterpret_cast<const char*>(value), valuelen);
    Reply& r = c->replies_[frame->hd.stream_id];
    if (n == ":status") {
      r.status = std::atoi(v.c_str());
    } else {
      r.headers.emplace(std::move(n), std::move(v));
    }
    return 0;
  }
  static int OnData(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t len,
                    void* self) {
    static_cast<H2Client*>(self)->replies_[id].body.append(reinterpret_cast<const char*>(data),
                                                           len);
    return 0;
  }
  static int OnClose(nghttp2_session*, int32_t id, uint32_t error, void* self) {
    Reply& r = static_cast<H2Client*>(self)->replies_[id];
    r.done = true;
    r.error = error;
    return 0;
  }
  static int OnFrame(nghttp2_session*, const nghttp2_frame* frame, void* self) {
    if (frame->hd.type == NGHTTP2_GOAWAY) static_cast<H2Client*>(self)->goaway_ = true;
    return 0;
  }

  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  nghttp2_session* session_ = nullptr;
  std::string alpn_;
  bool handshaken_ = false;
  bool goaway_ = false;
  bool eof_ = false;
  bool held_ = false;
  std::map<int32_t, Reply> replies_;
  std::vector<std::unique_ptr<std::pair<std::string, size_t>>> bodies_;
};

}  // namespace kubedouble::testing
