// A connection after its 101, for testing what runs on an upgraded stream (exec, attach,
// port-forward) without a server: SocketPairStream is the net::UpgradedStream the server's side
// is handed, over one end of a socketpair; WebSocketClient plays the client on the other end,
// writing masked frames as real clients (gorilla/websocket, websocket-client, ws) do and reading
// the server's frames.
#pragma once

#include <kubedouble/net/upgraded_stream.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace kubedouble::test {

// An upgraded stream over a connected socket `fd` (owned: closed with the stream).
class FdStream : public net::UpgradedStream {
 public:
  explicit FdStream(int fd) : fd_(fd) {}
  ~FdStream() override { ::close(fd_); }
  FdStream(const FdStream&) = delete;
  FdStream& operator=(const FdStream&) = delete;

  ssize_t Read(char* data, size_t size) override { return ::recv(fd_, data, size, 0); }
  bool Write(const char* data, size_t size) override {
    while (size > 0) {
      ssize_t n = ::send(fd_, data, size, MSG_NOSIGNAL);
      if (n <= 0) return false;
      data += n;
      size -= static_cast<size_t>(n);
    }
    return true;
  }
  void Close() override { ::shutdown(fd_, SHUT_RDWR); }

 private:
  int fd_;
};

// A connected pair of Unix sockets.
struct SocketPair {
  SocketPair() { ::socketpair(AF_UNIX, SOCK_STREAM, 0, fds); }
  int fds[2] = {-1, -1};
};

// The server's end of a socketpair as an upgraded stream; client_fd() is the other end.
class SocketPairStream : private SocketPair, public FdStream {
 public:
  SocketPairStream() : SocketPair(), FdStream(fds[0]) {}
  ~SocketPairStream() override { ::close(fds[1]); }

  int client_fd() const { return fds[1]; }
};

// The client's end of a WebSocket on `fd`.
class WebSocketClient {
 public:
  explicit WebSocketClient(int fd) : fd_(fd) {}

  struct Frame {
    uint8_t opcode = 0;
    bool fin = true;
    std::string payload;
  };

  // One frame, masked (opcode 1 text, 2 binary, 0 continuation, 8 close, 9 ping, 10 pong).
  bool SendFrame(uint8_t opcode, std::string_view payload, bool fin = true) {
    std::string f;
    f += static_cast<char>((fin ? 0x80 : 0) | opcode);
    const uint64_t n = payload.size();
    if (n < 126) {
      f += static_cast<char>(0x80 | n);
    } else if (n < 65536) {
      f += static_cast<char>(0x80 | 126);
      f += static_cast<char>(n >> 8);
      f += static_cast<char>(n & 0xFF);
    } else {
      f += static_cast<char>(0x80 | 127);
      for (int s = 56; s >= 0; s -= 8) f += static_cast<char>((n >> s) & 0xFF);
    }
    const uint8_t key[4] = {0x12, 0x9A, 0x3C, 0xE5};
    for (uint8_t k : key) f += static_cast<char>(k);
    for (size_t i = 0; i < payload.size(); ++i) f += static_cast<char>(payload[i] ^ key[i % 4]);
    return WriteAll(f);
  }
  // Writes raw bytes (an unmasked frame, garbage).
  bool WriteAll(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // Data on a channel of the binary channel protocols: [channel, data…] in a binary frame.
  bool SendChannel(uint8_t channel, std::string_view data) {
    std::string payload(1, static_cast<char>(channel));
    payload.append(data);
    return SendFrame(2, payload);
  }
  // v5's close signal for `channel` (stdin's end of file for channel 0).
  bool CloseChannel(uint8_t channel) {
    std::string payload{static_cast<char>(255), static_cast<char>(channel)};
    return SendFrame(2, payload);
  }
  // A close frame with `code`.
  bool SendClose(uint16_t code = 1000) {
    std::string payload{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
    return SendFrame(8, payload);
  }
  // Half-closes the client's side (what a client that goes away does to the socket).
  void ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }

  // The server's next frame; nullopt at the end of the stream or for a masked (bad) frame.
  std::optional<Frame> ReadFrame() {
    std::string head;
    if (!ReadExactly(2, head)) return std::nullopt;
    Frame f;
    f.fin = static_cast<uint8_t>(head[0]) & 0x80;
    f.opcode = static_cast<uint8_t>(head[0]) & 0x0F;
    if (static_cast<uint8_t>(head[1]) & 0x80) return std::nullopt;
    uint64_t n = static_cast<uint8_t>(head[1]) & 0x7F;
    std::string ext;
    if (n == 126) {
      if (!ReadExactly(2, ext)) return std::nullopt;
      n = (static_cast<uint64_t>(static_cast<uint8_t>(ext[0])) << 8) | static_cast<uint8_t>(ext[1]);
    } else if (n == 127) {
      if (!ReadExactly(8, ext)) return std::nullopt;
      n = 0;
      for (char c : ext) n = (n << 8) | static_cast<uint8_t>(c);
    }
    if (!ReadExactly(n, f.payload)) return std::nullopt;
    return f;
  }

  // Everything the server sends until it closes: the data of each channel (binary protocols;
  // base64 ones decoded by the caller) and the close code.
  struct Transcript {
    std::map<int, std::string> channels;
    std::optional<uint16_t> close_code;
    int data_frames = 0;
  };
  Transcript ReadUntilClose() {
    Transcript t;
    while (std::optional<Frame> f = ReadFrame()) {
      if (f->opcode == 8) {
        if (f->payload.size() >= 2) {
          t.close_code = static_cast<uint16_t>((static_cast<uint8_t>(f->payload[0]) << 8) |
                                               static_cast<uint8_t>(f->payload[1]));
        }
        break;
      }
      if ((f->opcode == 1 || f->opcode == 2) && !f->payload.empty()) {
        ++t.data_frames;
        t.channels[static_cast<uint8_t>(f->payload[0])] += f->payload.substr(1);
      }
    }
    return t;
  }

 private:
  bool ReadExactly(uint64_t n, std::string& out) {
    out.clear();
    char buf[65536];
    while (out.size() < n) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(sizeof buf, n - out.size()));
      ssize_t got = ::read(fd_, buf, want);
      if (got <= 0) return false;
      out.append(buf, static_cast<size_t>(got));
    }
    return true;
  }

  int fd_;
};

}  // namespace kubedouble::test
