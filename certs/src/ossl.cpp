#include "ossl.h"

#include <openssl/pem.h>

#include <climits>
#include <cstring>

namespace kubedouble::certs::internal {

std::string DrainErrors() {
  std::string out;
  while (unsigned long code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    const char* reason = ERR_reason_error_string(code);
    if (!out.empty()) out += "; ";
    out += reason != nullptr ? reason : buf;
  }
  return out;
}

void Fail(std::string_view what) {
  std::string reasons = DrainErrors();
  std::string message(what);
  if (!reasons.empty()) message += ": " + reasons;
  throw Error(message);
}

BioPtr MemoryBio(std::string_view data) {
  if (data.size() > INT_MAX) throw Error("PEM text is too large");
  BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  if (!bio) Fail("cannot allocate a memory BIO");
  return bio;
}

BioPtr MemoryBio() {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) Fail("cannot allocate a memory BIO");
  return bio;
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return len > 0 ? std::string(data, static_cast<size_t>(len)) : std::string();
}

std::optional<PemBlock> FindPemBlock(std::string_view pem,
                                     const std::function<bool(std::string_view)>& wanted) {
  auto bio = MemoryBio(pem);
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long len = 0;
  while (PEM_read_bio(bio.get(), &name, &header, &data, &len) == 1) {
    PemBlock block{name, std::string(reinterpret_cast<char*>(data), static_cast<size_t>(len)),
                   header != nullptr && std::strlen(header) > 0};
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
    if (!wanted || wanted(block.name)) return block;
  }
  DrainErrors();  // the end of the text leaves "no start line" behind
  return std::nullopt;
}

}  // namespace kubedouble::certs::internal
