#include "websocket.h"

#include <kubedouble/base/encoding.h>
#include <openssl/sha.h>

#include "read_buffer.h"

namespace kubedouble::fake::ws {

namespace {

constexpr char kGuid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

bool IsControl(Opcode op) { return static_cast<uint8_t>(op) >= 0x8; }

bool KnownOpcode(uint8_t op) { return op <= 0x2 || (op >= 0x8 && op <= 0xA); }

}  // namespace

std::string AcceptKey(std::string_view client_key) {
  std::string text(client_key);
  text += kGuid;
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return base::Base64Encode(std::string_view(reinterpret_cast<char*>(digest), sizeof digest));
}

std::string EncodeFrame(Opcode opcode, std::string_view payload, bool fin,
                        std::optional<std::array<uint8_t, 4>> mask) {
  std::string out;
  out.reserve(payload.size() + 14);
  out += static_cast<char>((fin ? 0x80 : 0) | static_cast<uint8_t>(opcode));
  const uint8_t masked = mask ? 0x80 : 0;
  const uint64_t n = payload.size();
  if (n < 126) {
    out += static_cast<char>(masked | n);
  } else if (n <= 0xFFFF) {
    out += static_cast<char>(masked | 126);
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(n & 0xFF);
  } else {
    out += static_cast<char>(masked | 127);
    for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((n >> shift) & 0xFF);
  }
  if (!mask) {
    out.append(payload);
    return out;
  }
  for (uint8_t b : *mask) out += static_cast<char>(b);
  for (size_t i = 0; i < payload.size(); ++i) {
    out += static_cast<char>(static_cast<uint8_t>(payload[i]) ^ (*mask)[i % 4]);
  }
  return out;
}

std::string ClosePayload(uint16_t code, std::string_view reason) {
  std::string out;
  out += static_cast<char>(code >> 8);
  out += static_cast<char>(code & 0xFF);
  out.append(reason);
  return out;
}

Connection::Connection(net::UpgradedStream& stream, size_t max_message)
    : stream_(stream), max_message_(max_message) {}

bool Connection::Fill(size_t n) { return ReadAtLeast(stream_, buffer_, n); }

bool Connection::SendFrame(Opcode opcode, std::string_view payload) {
  std::lock_guard lock(write_mu_);
  if (close_sent_) return false;
  if (opcode == Opcode::kClose) close_sent_ = true;
  std::string frame = EncodeFrame(opcode, payload);
  return stream_.Write(frame.data(), frame.size());
}

bool Connection::Send(Opcode opcode, std::string_view payload) {
  return SendFrame(opcode, payload);
}

void Connection::Close(uint16_t code, std::string_view reason) {
  SendFrame(Opcode::kClose, ClosePayload(code, reason));
  if (!stream_closed_.exchange(true)) stream_.Close();
}

std::optional<Message> Connection::Receive() {
  std::optional<Message> partial;  // a fragmented message being joined
  try {
    for (;;) {
      if (!Fill(2)) return std::nullopt;
      const uint8_t b0 = static_cast<uint8_t>(buffer_[0]);
      const uint8_t b1 = static_cast<uint8_t>(buffer_[1]);
      const bool fin = b0 & 0x80;
      if (b0 & 0x70) throw ProtocolError(kCloseProtocolError, "reserved bits set");
      const uint8_t op = b0 & 0x0F;
      if (!KnownOpcode(op)) throw ProtocolError(kCloseProtocolError, "unknown opcode");
      if (!(b1 & 0x80)) throw ProtocolError(kCloseProtocolError, "client frame not masked");
      size_t header = 2;
      uint64_t length = b1 & 0x7F;
      if (length == 126) {
        header = 4;
        if (!Fill(header)) return std::nullopt;
        length = (static_cast<uint64_t>(static_cast<uint8_t>(buffer_[2])) << 8) |
                 static_cast<uint8_t>(buffer_[3]);
      } else if (length == 127) {
        header = 10;
        if (!Fill(header)) return std::nullopt;
        length = 0;
        for (int i = 2; i < 10; ++i) length = (length << 8) | static_cast<uint8_t>(buffer_[i]);
      }
      const Opcode opcode = static_cast<Opcode>(op);
      if (IsControl(opcode) && (length > 125 || !fin)) {
        throw ProtocolError(kCloseProtocolError, "bad control frame");
      }
      const size_t joined = partial ? partial->payload.size() : 0;
      if (length > max_message_ || joined + length > max_message_) {
        throw ProtocolError(kCloseTooBig, "message too big");
      }
      if (!Fill(header + 4 + length)) return std::nullopt;
      uint8_t key[4];
      for (int i = 0; i < 4; ++i) key[i] = static_cast<uint8_t>(buffer_[header + i]);
      std::string payload = buffer_.substr(header + 4, length);
      buffer_.erase(0, header + 4 + length);
      for (size_t i = 0; i < payload.size(); ++i) {
        payload[i] = static_cast<char>(static_cast<uint8_t>(payload[i]) ^ key[i % 4]);
      }
      switch (opcode) {
        case Opcode::kPing:
          SendFrame(Opcode::kPong, payload);
          continue;
        case Opcode::kPong:
          continue;
        case Opcode::kClose: {
          // Echo the peer's code (1000 when it gave none) and end the stream.
          uint16_t code = kCloseNormal;
          if (payload.size() >= 2) {
            code = static_cast<uint16_t>((static_cast<uint8_t>(payload[0]) << 8) |
                                         static_cast<uint8_t>(payload[1]));
          }
          Close(code);
          return std::nullopt;
        }
        case Opcode::kContinuation:
          if (!partial) throw ProtocolError(kCloseProtocolError, "continuation without a start");
          partial->payload += payload;
          break;
        default:
          if (partial)
            throw ProtocolError(kCloseProtocolError, "new message inside a fragmented one");
          partial = Message{opcode, std::move(payload)};
          break;
      }
      if (fin) return partial;
    }
  } catch (const ProtocolError& e) {
    Close(e.code(), e.what());
    return std::nullopt;
  }
}

}  // namespace kubedouble::fake::ws
