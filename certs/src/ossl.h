// Internal helpers shared by the certs sources: owning pointers for OpenSSL objects and the
// error queue turned into text.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "kubedouble/certs/certs.h"

namespace kubedouble::certs::internal {

template <auto Fn>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Fn(p);
  }
};

using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;

// A P-256 key as a legacy EC_KEY-backed EVP_PKEY (the same key), which OpenSSL 3.0 encodes through
// its direct ASN.1 methods instead of an OSSL_ENCODER context; nullptr for any other key (key.cpp).
PkeyPtr LegacyEcView(const Key& key);
using NamePtr = std::unique_ptr<X509_NAME, Deleter<X509_NAME_free>>;

// Drains OpenSSL's error queue into "reason; reason" (empty when the queue is empty).
std::string DrainErrors();

// Throws Error("<what>: <OpenSSL's reasons>") after draining the queue.
[[noreturn]] void Fail(std::string_view what);

// A read-only memory BIO over `data` (which must outlive it).
BioPtr MemoryBio(std::string_view data);
// A writable memory BIO, and its content as a string.
BioPtr MemoryBio();
std::string BioText(BIO* bio);

// A PEM block: its name ("CERTIFICATE", "PRIVATE KEY", ...), its bytes, and whether its headers
// say it is encrypted. Only the base64 is decoded, never the content.
struct PemBlock {
  std::string name;
  std::string der;
  bool encrypted = false;
};
// The first block of `pem` whose name `wanted` accepts (the first block of all without it),
// skipping the others as PEM_read_bio_X509 does; nullopt when there is none.
std::optional<PemBlock> FindPemBlock(std::string_view pem,
                                     const std::function<bool(std::string_view)>& wanted = {});

}  // namespace kubedouble::certs::internal
