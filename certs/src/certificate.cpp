// Certificates in PEM, and validity windows.
#include <openssl/pem.h>

#include "kubedouble/certs/certs.h"
#include "ossl.h"

namespace kubedouble::certs {

Certificate::Certificate(X509* owned) : cert_(owned, X509_free) {}

Certificate Certificate::FromPem(std::string_view pem) {
  auto bio = internal::MemoryBio(pem);
  X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
  if (cert == nullptr) internal::Fail("not a PEM certificate");
  return Certificate(cert);
}

std::vector<Certificate> Certificate::AllFromPem(std::string_view pem) {
  auto bio = internal::MemoryBio(pem);
  std::vector<Certificate> certs;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    certs.emplace_back(cert);
  }
  // Reaching the end of the text leaves a "no start line" error behind; anything else is real.
  unsigned long err = ERR_peek_last_error();
  if (certs.empty() || (err != 0 && ERR_GET_REASON(err) != PEM_R_NO_START_LINE)) {
    internal::Fail("not a PEM certificate");
  }
  ERR_clear_error();
  return certs;
}

std::string Certificate::Pem() const {
  if (!cert_) throw Error("empty certificate");
  auto bio = internal::MemoryBio();
  if (PEM_write_bio_X509(bio.get(), cert_.get()) != 1) {
    internal::Fail("cannot encode the certificate as PEM");
  }
  return internal::BioText(bio.get());
}

Validity Validity::Usual(int days) {
  auto now = Clock::now();
  return {now - std::chrono::hours(1), now + std::chrono::hours(24) * days};
}

Validity Validity::Expired() {
  auto now = Clock::now();
  return {now - std::chrono::hours(48), now - std::chrono::hours(24)};
}

Validity Validity::NotYetValid() {
  auto now = Clock::now();
  return {now + std::chrono::hours(24), now + std::chrono::hours(24) * 366};
}

}  // namespace kubedouble::certs
