// An answer's status, type and compression (see answer.h).
#include "answer.h"

#include <string>

#include "header_scan.h"

namespace kubedouble::net {

namespace {

std::unique_ptr<httplib::detail::compressor> CompressorFor(httplib::detail::EncodingType type,
                                                           std::string& encoding) {
  if (type == httplib::detail::EncodingType::Gzip) {
    encoding = "gzip";
    return std::make_unique<httplib::detail::gzip_compressor>();
  }
  if (type == httplib::detail::EncodingType::Brotli) {
    encoding = "br";
    return std::make_unique<httplib::detail::brotli_compressor>();
  }
  return nullptr;
}

}  // namespace

std::unique_ptr<httplib::detail::compressor> PrepareAnswer(
    const httplib::Request& req, httplib::Response& res,
    std::shared_ptr<const std::string>* shared) {
  if (res.status == -1) res.status = 200;
  const bool provided = static_cast<bool>(res.content_provider_);
  const std::string* body = &res.body;
  if (shared != nullptr && *shared) {
    if (provided || !res.body.empty()) {
      shared->reset();  // the response's own body wins
    } else {
      body = shared->get();
    }
  }
  if (!HasHeader(res.headers, "Content-Type") && (!body->empty() || provided)) {
    res.set_header("Content-Type", "text/plain");
  }
  // Without Accept-Encoding no encoding is chosen: cpp-httplib is asked (it looks at the content
  // type, then at what the client accepts) only when the client accepts one.
  const auto encoding_type = HasHeader(req.headers, "Accept-Encoding")
                                 ? httplib::detail::encoding_type(req, res)
                                 : httplib::detail::EncodingType::None;
  std::string encoding;
  if (provided) {
    if (!res.is_chunked_content_provider_) return nullptr;
    auto compressor = CompressorFor(encoding_type, encoding);
    if (compressor) res.set_header("Content-Encoding", encoding);
    return compressor;
  }
  if (!body->empty()) {
    if (auto compressor = CompressorFor(encoding_type, encoding)) {
      std::string compressed;
      if (compressor->compress(body->data(), body->size(), true, [&](const char* d, size_t l) {
            compressed.append(d, l);
            return true;
          })) {
        res.body.swap(compressed);
        if (shared != nullptr) shared->reset();
        body = &res.body;
        res.set_header("Content-Encoding", encoding);
      }
    }
  }
  static const std::string kContentLength = "Content-Length";
  if (!body->empty() || !HasHeader(res.headers, kContentLength)) {
    res.headers.emplace(kContentLength, std::to_string(body->size()));  // digits: no line break
  }
  return nullptr;
}

}  // namespace kubedouble::net
