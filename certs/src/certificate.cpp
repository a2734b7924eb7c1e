// Certificates in PEM, and validity windows.
#include <openssl/pem.h>

#include <mutex>

#include "kubedouble/certs/certs.h"
#include "ossl.h"

namespace kubedouble::certs {

struct Certificate::State {
  std::shared_ptr<X509> cert;  // decoded (for a deferred one, once `once` has run)
  std::string der;             // deferred: the DER bytes, decoded on first use
  Check check;
  std::once_flag once;
};

Certificate::Certificate(X509* owned) : state_(std::make_shared<State>()) {
  state_->cert.reset(owned, X509_free);
}

Certificate Certificate::FromPem(std::string_view pem) {
  auto bio = internal::MemoryBio(pem);
  X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
  if (cert == nullptr) internal::Fail("not a PEM certificate");
  return Certificate(cert);
}

Certificate Certificate::FromPemDeferred(std::string_view pem, Check check) {
  // Skips other blocks (e.g. a key) before the certificate, as PEM_read_bio_X509 does.
  auto block = internal::FindPemBlock(pem, [](std::string_view name) {
    return name == PEM_STRING_X509 || name == PEM_STRING_X509_OLD ||
           name == PEM_STRING_X509_TRUSTED;
  });
  if (!block || block->der.empty()) internal::Fail("not a PEM certificate");
  if (block->name == PEM_STRING_X509_TRUSTED) {  // carries trust settings: decode now
    Certificate c = FromPem(pem);
    if (check) check(c.get());
    return c;
  }
  Certificate c;
  c.state_ = std::make_shared<State>();
  c.state_->der = std::move(block->der);
  c.state_->check = std::move(check);
  return c;
}

X509* Certificate::get() const {
  if (!state_) return nullptr;
  if (!state_->der.empty()) {
    std::call_once(state_->once, [s = state_.get()] {
      const auto* p = reinterpret_cast<const unsigned char*>(s->der.data());
      X509* cert = d2i_X509(nullptr, &p, static_cast<long>(s->der.size()));
      if (cert == nullptr) {
        internal::DrainErrors();
        if (s->check) s->check(nullptr);  // names the certificate's origin
        internal::Fail("not a valid X.509 certificate");
      }
      std::shared_ptr<X509> owned(cert, X509_free);
      if (s->check) s->check(cert);  // throws: the next use tries again, and throws again
      s->cert = std::move(owned);
    });
  }
  return state_->cert.get();
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
  if (!state_) throw Error("empty certificate");
  auto bio = internal::MemoryBio();
  const bool ok = state_->der.empty()
                      ? PEM_write_bio_X509(bio.get(), state_->cert.get()) == 1
                      : PEM_write_bio(bio.get(), PEM_STRING_X509, "",
                                      reinterpret_cast<const unsigned char*>(state_->der.data()),
                                      static_cast<long>(state_->der.size())) > 0;
  if (!ok) internal::Fail("cannot encode the certificate as PEM");
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
