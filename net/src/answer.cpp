// An answer's status, type and compression (see answer.h).
#include "answer.h"

#include <string>

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
  if (!res.has_header("Content-Type") && (!body->empty() || provided)) {
    res.set_header("Content-Type", "text/plain");
  }
  const auto encoding_type = httplib::detail::encoding_type(req, res);
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
  if (!body->empty() || !res.has_header("Content-Length")) {
    res.set_header("Content-Length", std::to_string(body->size()));
  }
  return nullptr;
}

}  // namespace kubedouble::net
