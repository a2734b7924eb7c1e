#include "spdy.h"

#include <array>

#include "read_buffer.h"

namespace kubedouble::fake::spdy {

namespace {

constexpr uint16_t kVersion = 3;
constexpr size_t kMaxFrame = 16u << 20;  // a frame longer than this ends the session
constexpr size_t kMaxHeaderBlock = 1u << 20;

void Put32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xFF);
}

uint32_t Get32(std::string_view s, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(s[at + i]);
  return v;
}

std::string FrameHeader(uint32_t first_word, uint8_t flags, size_t length) {
  std::string out;
  Put32(out, first_word);
  out += static_cast<char>(flags);
  out += static_cast<char>((length >> 16) & 0xFF);
  out += static_cast<char>((length >> 8) & 0xFF);
  out += static_cast<char>(length & 0xFF);
  return out;
}

}  // namespace

const std::string& HeaderDictionary() {
  // The specification's dictionary: length-prefixed header names and values, then common text.
  static const std::string dictionary = [] {
    static const char* const kWords[] = {"options",
                                         "head",
                                         "post",
                                         "put",
                                         "delete",
                                         "trace",
                                         "accept",
                                         "accept-charset",
                                         "accept-encoding",
                                         "accept-language",
                                         "accept-ranges",
                                         "age",
                                         "allow",
                                         "authorization",
                                         "cache-control",
                                         "connection",
                                         "content-base",
                                         "content-encoding",
                                         "content-language",
                                         "content-length",
                                         "content-location",
                                         "content-md5",
                                         "content-range",
                                         "content-type",
                                         "date",
                                         "etag",
                                         "expect",
                                         "expires",
                                         "from",
                                         "host",
                                         "if-match",
                                         "if-modified-since",
                                         "if-none-match",
                                         "if-range",
                                         "if-unmodified-since",
                                         "last-modified",
                                         "location",
                                         "max-forwards",
                                         "pragma",
                                         "proxy-authenticate",
                                         "proxy-authorization",
                                         "range",
                                         "referer",
                                         "retry-after",
                                         "server",
                                         "te",
                                         "trailer",
                                         "transfer-encoding",
                                         "upgrade",
                                         "user-agent",
                                         "vary",
                                         "via",
                                         "warning",
                                         "www-authenticate",
                                         "method",
                                         "get",
                                         "status",
                                         "200 OK",
                                         "version",
                                         "HTTP/1.1",
                                         "url",
                                         "public",
                                         "set-cookie",
                                         "keep-alive",
                                         "origin"};
    std::string d;
    for (const char* w : kWords) {
      Put32(d, static_cast<uint32_t>(std::char_traits<char>::length(w)));
      d += w;
    }
    d += "100101201202205206300302303304305306307402405406407408409410411412413414415416417502"
         "504505203 Non-Authoritative Information204 No Content301 Moved Permanently"
         "400 Bad Request401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error"
         "501 Not Implemented503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct "
         "Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,"
         "image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,"
         "text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8"
         "charset=iso-8859-1,utf-,*,enq=0.";
    return d;
  }();
  return dictionary;
}

HeaderCodec::HeaderCodec() {
  deflateInit(&deflate_, Z_DEFAULT_COMPRESSION);
  const std::string& d = HeaderDictionary();
  deflateSetDictionary(&deflate_, reinterpret_cast<const Bytef*>(d.data()),
                       static_cast<uInt>(d.size()));
  inflateInit(&inflate_);
}

HeaderCodec::~HeaderCodec() {
  deflateEnd(&deflate_);
  inflateEnd(&inflate_);
}

std::string HeaderCodec::Compress(const Headers& headers) {
  std::string block;
  Put32(block, static_cast<uint32_t>(headers.size()));
  for (const auto& [name, value] : headers) {
    Put32(block, static_cast<uint32_t>(name.size()));
    block += name;
    Put32(block, static_cast<uint32_t>(value.size()));
    block += value;
  }
  std::string out;
  deflate_.next_in = reinterpret_cast<Bytef*>(block.data());
  deflate_.avail_in = static_cast<uInt>(block.size());
  std::array<char, 4096> chunk;
  do {
    deflate_.next_out = reinterpret_cast<Bytef*>(chunk.data());
    deflate_.avail_out = static_cast<uInt>(chunk.size());
    deflate(&deflate_, Z_SYNC_FLUSH);
    out.append(chunk.data(), chunk.size() - deflate_.avail_out);
  } while (deflate_.avail_out == 0);
  return out;
}

std::optional<Headers> HeaderCodec::Decompress(std::string_view block) {
  std::string plain;
  inflate_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(block.data()));
  inflate_.avail_in = static_cast<uInt>(block.size());
  std::array<char, 4096> chunk;
  for (;;) {
    inflate_.next_out = reinterpret_cast<Bytef*>(chunk.data());
    inflate_.avail_out = static_cast<uInt>(chunk.size());
    int rc = inflate(&inflate_, Z_SYNC_FLUSH);
    if (rc == Z_NEED_DICT) {
      const std::string& d = HeaderDictionary();
      if (inflateSetDictionary(&inflate_, reinterpret_cast<const Bytef*>(d.data()),
                               static_cast<uInt>(d.size())) != Z_OK) {
        return std::nullopt;
      }
      continue;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) return std::nullopt;
    plain.append(chunk.data(), chunk.size() - inflate_.avail_out);
    if (plain.size() > kMaxHeaderBlock) return std::nullopt;
    if (inflate_.avail_out != 0 || rc == Z_BUF_ERROR) break;
  }
  Headers headers;
  if (plain.size() < 4) return std::nullopt;
  const uint32_t count = Get32(plain, 0);
  size_t at = 4;
  for (uint32_t i = 0; i < count; ++i) {
    std::string parts[2];
    for (std::string& part : parts) {
      if (plain.size() < at + 4) return std::nullopt;
      const uint32_t n = Get32(plain, at);
      at += 4;
      if (plain.size() < at + n) return std::nullopt;
      part = plain.substr(at, n);
      at += n;
    }
    headers.emplace_back(std::move(parts[0]), std::move(parts[1]));
  }
  return headers;
}

std::string EncodeData(uint32_t stream_id, std::string_view data, bool fin) {
  return FrameHeader(stream_id & 0x7FFFFFFF, fin ? kFlagFin : 0, data.size()) + std::string(data);
}

std::string EncodeControl(FrameType type, uint8_t flags, std::string_view payload) {
  return FrameHeader(0x80000000u | (kVersion << 16) | static_cast<uint16_t>(type), flags,
                     payload.size()) +
         std::string(payload);
}

Connection::Connection(net::UpgradedStream& stream) : stream_(stream) {}

bool Connection::Fill(size_t n) { return ReadAtLeast(stream_, buffer_, n); }

std::optional<Frame> Connection::Read() {
  for (;;) {
    if (!Fill(8)) return std::nullopt;
    const uint32_t first = Get32(buffer_, 0);
    Frame f;
    f.flags = static_cast<uint8_t>(buffer_[4]);
    const size_t length = (static_cast<size_t>(static_cast<uint8_t>(buffer_[5])) << 16) |
                          (static_cast<size_t>(static_cast<uint8_t>(buffer_[6])) << 8) |
                          static_cast<uint8_t>(buffer_[7]);
    if (length > kMaxFrame || !Fill(8 + length)) return std::nullopt;
    std::string payload = buffer_.substr(8, length);
    buffer_.erase(0, 8 + length);
    if (!(first & 0x80000000u)) {
      f.type = FrameType::kData;
      f.stream_id = first & 0x7FFFFFFF;
      f.data = std::move(payload);
      return f;
    }
    if (((first >> 16) & 0x7FFF) != kVersion) return std::nullopt;
    f.type = static_cast<FrameType>(first & 0xFFFF);
    switch (f.type) {
      case FrameType::kSynStream:
      case FrameType::kSynReply:
      case FrameType::kHeaders: {
        const size_t skip = f.type == FrameType::kSynStream ? 10 : 4;
        if (payload.size() < skip) return std::nullopt;
        f.stream_id = Get32(payload, 0) & 0x7FFFFFFF;
        auto headers = headers_.Decompress(std::string_view(payload).substr(skip));
        if (!headers) return std::nullopt;
        f.headers = std::move(*headers);
        return f;
      }
      case FrameType::kRstStream:
      case FrameType::kWindowUpdate:
        if (payload.size() < 8) return std::nullopt;
        f.stream_id = Get32(payload, 0) & 0x7FFFFFFF;
        f.data = payload.substr(4, 4);
        return f;
      case FrameType::kPing:
      case FrameType::kGoAway:
      case FrameType::kSettings:
        f.data = std::move(payload);
        return f;
      default:
        continue;  // unknown control frames are ignored, as the specification asks
    }
  }
}

bool Connection::Write(const std::string& bytes) {
  return !closed_ && stream_.Write(bytes.data(), bytes.size());
}

bool Connection::SynReply(uint32_t stream_id, const Headers& headers, bool fin) {
  std::lock_guard lock(write_mu_);
  std::string payload;
  Put32(payload, stream_id & 0x7FFFFFFF);
  payload += headers_.Compress(headers);
  return Write(EncodeControl(FrameType::kSynReply, fin ? kFlagFin : 0, payload));
}

bool Connection::Data(uint32_t stream_id, std::string_view data, bool fin) {
  std::lock_guard lock(write_mu_);
  return Write(EncodeData(stream_id, data, fin));
}

bool Connection::Ping(std::string_view id) {
  std::lock_guard lock(write_mu_);
  return Write(EncodeControl(FrameType::kPing, 0, id));
}

bool Connection::GoAway(uint32_t last_stream_id) {
  std::lock_guard lock(write_mu_);
  std::string payload;
  Put32(payload, last_stream_id & 0x7FFFFFFF);
  Put32(payload, 0);  // OK
  return Write(EncodeControl(FrameType::kGoAway, 0, payload));
}

void Connection::Close() {
  std::lock_guard lock(write_mu_);
  if (closed_) return;
  closed_ = true;
  stream_.Close();
}

}  // namespace kubedouble::fake::spdy
