// Putting a subject's public key into a certificate, quickly.
//
// OpenSSL 3.0's X509_set_pubkey encodes a provider key through the OSSL_ENCODER machinery and
// decodes the result again through OSSL_DECODER: about 0.8 ms per certificate here, several times
// the cost of generating a P-256 key and signing the certificate together. For a key held in the
// legacy EC_KEY form it uses the direct ASN.1 method instead (a few microseconds). So P-256 keys
// go in through a legacy view of the same key; the resulting SubjectPublicKeyInfo is identical.

#include "mint.h"
#include "ossl.h"

namespace kubedouble::certs::internal {

void SetPublicKey(X509* cert, const Key& key) {
  if (auto legacy = LegacyEcView(key)) {
    if (X509_set_pubkey(cert, legacy.get()) == 1) return;
    DrainErrors();  // fall back to the general path
  }
  if (X509_set_pubkey(cert, key.get()) != 1) Fail("cannot set the public key");
}

}  // namespace kubedouble::certs::internal
