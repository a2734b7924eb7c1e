// Key types and private keys.
//
// Reading a key: OpenSSL 3.0's PEM_read_bio_PrivateKey builds an OSSL_DECODER context for every
// call, about 4 million instructions (over 1 ms here) per key; a server start loads a dozen keys.
// P-256 and RSA keys in PKCS#8 or the traditional forms are therefore decoded directly through
// the ASN.1 functions of the legacy EC_KEY/RSA types (a few microseconds), which OpenSSL 3 marks
// deprecated, hence the define. Anything else (other curves, encrypted keys) takes the general
// path, so the result is always the key the PEM text holds.
//
// Writing keys has the same cost: PEM_write_bio_PrivateKey and PEM_write_bio_PUBKEY build an
// OSSL_ENCODER context per call for a provider key (about 1.2 million instructions per key; a
// fresh state folder writes ten). P-256 keys are therefore generated as EC_KEYs (legacy from the
// start, nothing to export) and written through a legacy view of the key (EVP_PKEY2PKCS8 and the
// legacy ASN.1 methods), which gives the same PKCS#8 and SubjectPublicKeyInfo bytes; RSA keys take
// the general path.
#define OPENSSL_SUPPRESS_DEPRECATED

#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <mutex>

#include "kubedouble/certs/certs.h"
#include "ossl.h"

namespace kubedouble::certs {
namespace {

struct KeyTypeEntry {
  KeyType type;
  const char* name;
};
constexpr KeyTypeEntry kKeyTypes[] = {
    {KeyType::kEcdsaP256, "ecdsa-p256"},
    {KeyType::kRsa2048, "rsa-2048"},
    {KeyType::kRsa3072, "rsa-3072"},
    {KeyType::kRsa4096, "rsa-4096"},
};

size_t RsaBits(KeyType type) {
  switch (type) {
    case KeyType::kRsa2048:
      return 2048;
    case KeyType::kRsa3072:
      return 3072;
    case KeyType::kRsa4096:
      return 4096;
    case KeyType::kEcdsaP256:
      break;
  }
  return 0;
}

EVP_PKEY* WrapEc(EC_KEY* ec) {
  if (ec == nullptr) return nullptr;
  if (EC_KEY_get0_public_key(ec) == nullptr) {  // RFC 5915 makes the public key optional
    const EC_GROUP* group = EC_KEY_get0_group(ec);
    EC_POINT* pub = EC_POINT_new(group);
    if (pub == nullptr ||
        EC_POINT_mul(group, pub, EC_KEY_get0_private_key(ec), nullptr, nullptr, nullptr) != 1 ||
        EC_KEY_set_public_key(ec, pub) != 1) {
      EC_POINT_free(pub);
      EC_KEY_free(ec);
      return nullptr;
    }
    EC_POINT_free(pub);
  }
  EVP_PKEY* pkey = EVP_PKEY_new();
  if (pkey == nullptr || EVP_PKEY_assign_EC_KEY(pkey, ec) != 1) {
    EVP_PKEY_free(pkey);
    EC_KEY_free(ec);
    return nullptr;
  }
  return pkey;
}

EVP_PKEY* WrapRsa(RSA* rsa) {
  if (rsa == nullptr) return nullptr;
  EVP_PKEY* pkey = EVP_PKEY_new();
  if (pkey == nullptr || EVP_PKEY_assign_RSA(pkey, rsa) != 1) {
    EVP_PKEY_free(pkey);
    RSA_free(rsa);
    return nullptr;
  }
  return pkey;
}

// P-256 and RSA keys without a decoder context; nullptr for anything else.
EVP_PKEY* DecodeDirect(std::string_view pem) {
  auto block = internal::FindPemBlock(pem);
  if (!block || block->encrypted) return nullptr;
  const auto* p = reinterpret_cast<const unsigned char*>(block->der.data());
  long len = static_cast<long>(block->der.size());
  if (block->name == "EC PRIVATE KEY") {
    EC_KEY* ec = d2i_ECPrivateKey(nullptr, &p, len);
    if (ec == nullptr || EC_GROUP_get_curve_name(EC_KEY_get0_group(ec)) != NID_X9_62_prime256v1) {
      EC_KEY_free(ec);
      return nullptr;
    }
    return WrapEc(ec);
  }
  if (block->name == "RSA PRIVATE KEY") return WrapRsa(d2i_RSAPrivateKey(nullptr, &p, len));
  if (block->name != "PRIVATE KEY") return nullptr;

  PKCS8_PRIV_KEY_INFO* p8 = d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, len);
  if (p8 == nullptr) return nullptr;
  EVP_PKEY* out = nullptr;
  const ASN1_OBJECT* algorithm = nullptr;
  const unsigned char* inner = nullptr;
  int inner_len = 0;
  const X509_ALGOR* alg = nullptr;
  if (PKCS8_pkey_get0(&algorithm, &inner, &inner_len, &alg, p8) == 1) {
    int nid = OBJ_obj2nid(algorithm);
    if (nid == NID_rsaEncryption) {
      out = WrapRsa(d2i_RSAPrivateKey(nullptr, &inner, inner_len));
    } else if (nid == NID_X9_62_id_ecPublicKey) {
      int ptype = 0;
      const void* pval = nullptr;
      X509_ALGOR_get0(nullptr, &ptype, &pval, alg);
      if (ptype == V_ASN1_OBJECT &&
          OBJ_obj2nid(static_cast<const ASN1_OBJECT*>(pval)) == NID_X9_62_prime256v1) {
        EC_KEY* ec = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
        // The curve comes from the algorithm parameters; the inner key usually omits it.
        if (ec != nullptr && d2i_ECPrivateKey(&ec, &inner, inner_len) != nullptr) {
          out = WrapEc(ec);
        } else {
          EC_KEY_free(ec);
        }
      }
    }
  }
  PKCS8_PRIV_KEY_INFO_free(p8);
  return out;
}

// The key in `pem`: directly when DecodeDirect can, else through OpenSSL's decoders; nullptr if
// the text holds no usable private key. An encrypted key is not usable: OpenSSL would otherwise ask
// for its pass phrase on the terminal, and a server would wait there.
EVP_PKEY* Decode(std::string_view pem) {
  EVP_PKEY* pkey = DecodeDirect(pem);
  internal::DrainErrors();
  if (pkey == nullptr) {
    auto bio = internal::MemoryBio(pem);
    pem_password_cb* no_pass_phrase = [](char*, int, int, void*) { return 0; };
    pkey = PEM_read_bio_PrivateKey(bio.get(), nullptr, no_pass_phrase, nullptr);
  }
  return pkey;
}

// Why `pem` gave no key, for errors.
std::string NoKeyReason(std::string_view pem) {
  return pem.find("ENCRYPTED") != std::string_view::npos
             ? "an encrypted private key (kubedouble reads unencrypted keys only)"
             : "not a PEM private key";
}

}  // namespace

namespace internal {

PkeyPtr LegacyEcView(const Key& key) {
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_EC) return nullptr;
  EC_KEY* ec = EVP_PKEY_get1_EC_KEY(key.get());  // the key itself when it is already legacy
  if (ec == nullptr || EC_GROUP_get_curve_name(EC_KEY_get0_group(ec)) != NID_X9_62_prime256v1) {
    EC_KEY_free(ec);
    DrainErrors();
    return nullptr;
  }
  PkeyPtr legacy(EVP_PKEY_new());
  if (!legacy || EVP_PKEY_assign_EC_KEY(legacy.get(), ec) != 1) {
    EC_KEY_free(ec);
    DrainErrors();
    return nullptr;
  }
  return legacy;
}

}  // namespace internal

std::optional<KeyType> ParseKeyType(std::string_view name) {
  for (const auto& entry : kKeyTypes) {
    if (name == entry.name) return entry.type;
  }
  return std::nullopt;
}

std::string KeyTypeName(KeyType type) {
  for (const auto& entry : kKeyTypes) {
    if (entry.type == type) return entry.name;
  }
  return "unknown";
}

std::vector<std::string> KeyTypeNames() {
  std::vector<std::string> names;
  for (const auto& entry : kKeyTypes) names.emplace_back(entry.name);
  return names;
}

struct Key::State {
  std::shared_ptr<EVP_PKEY> key;  // decoded (a deferred key: once `once` has run)
  std::string pem;                // deferred: the PEM text, decoded on first use
  std::string pkcs8;              // deferred PKCS#8: its DER, written back as it is
  std::string where;              // a deferred key's origin, for errors
  std::once_flag once;
};

Key Key::Own(EVP_PKEY* pkey) {
  Key key;
  key.state_ = std::make_shared<State>();
  key.state_->key = std::shared_ptr<EVP_PKEY>(pkey, EVP_PKEY_free);
  return key;
}

Key Key::Generate(KeyType type) {
  EVP_PKEY* pkey = nullptr;
  if (type == KeyType::kEcdsaP256) {
    EC_KEY* ec = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
    if (ec != nullptr && EC_KEY_generate_key(ec) == 1) {
      pkey = WrapEc(ec);
    } else {
      EC_KEY_free(ec);
    }
  } else {
    pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", RsaBits(type));
  }
  if (pkey == nullptr) internal::Fail("cannot generate a " + KeyTypeName(type) + " key");
  return Own(pkey);
}

Key Key::FromPem(std::string_view pem) {
  EVP_PKEY* pkey = Decode(pem);
  if (pkey == nullptr) internal::Fail(NoKeyReason(pem));
  return Own(pkey);
}

Key Key::FromPemDeferred(std::string_view pem, std::string where) {
  // The first private-key block, skipping others (e.g. a certificate) as FromPem does.
  auto block = internal::FindPemBlock(
      pem, [](std::string_view name) { return name.ends_with("PRIVATE KEY"); });
  if (!block) internal::Fail("not a PEM private key");
  Key key;
  key.state_ = std::make_shared<State>();
  key.state_->pem = std::string(pem);
  key.state_->where = std::move(where);
  if (block->name == PEM_STRING_PKCS8INF) {
    const auto* begin = reinterpret_cast<const unsigned char*>(block->der.data());
    const auto* p = begin;
    const long len = static_cast<long>(block->der.size());
    PKCS8_PRIV_KEY_INFO* p8 = d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, len);
    const bool whole = p8 != nullptr && p == begin + len;
    PKCS8_PRIV_KEY_INFO_free(p8);
    if (!whole) internal::Fail("not a PEM private key");
    key.state_->pkcs8 = std::move(block->der);
  }
  return key;
}

EVP_PKEY* Key::get() const {
  if (!state_) return nullptr;
  if (!state_->pem.empty()) {
    std::call_once(state_->once, [s = state_.get()] {
      EVP_PKEY* pkey = Decode(s->pem);
      if (pkey == nullptr) {
        internal::Fail(s->where + ": " +
                       (s->pem.find("ENCRYPTED") != std::string::npos ? NoKeyReason(s->pem)
                                                                      : "not a valid private key"));
      }
      s->key.reset(pkey, EVP_PKEY_free);
    });
  }
  return state_->key.get();
}

std::string Key::PrivatePem() const {
  if (!state_) throw Error("empty key");
  auto bio = internal::MemoryBio();
  if (!state_->pkcs8.empty()) {
    if (PEM_write_bio(bio.get(), PEM_STRING_PKCS8INF, "",
                      reinterpret_cast<const unsigned char*>(state_->pkcs8.data()),
                      static_cast<long>(state_->pkcs8.size())) <= 0) {
      internal::Fail("cannot encode the private key as PEM");
    }
    return internal::BioText(bio.get());
  }
  if (auto legacy = internal::LegacyEcView(*this)) {
    PKCS8_PRIV_KEY_INFO* p8 = EVP_PKEY2PKCS8(legacy.get());
    const bool written = p8 != nullptr && PEM_write_bio_PKCS8_PRIV_KEY_INFO(bio.get(), p8) == 1;
    PKCS8_PRIV_KEY_INFO_free(p8);
    if (written) return internal::BioText(bio.get());
    internal::DrainErrors();  // fall back to the general path
    bio = internal::MemoryBio();
  }
  if (PEM_write_bio_PrivateKey(bio.get(), get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    internal::Fail("cannot encode the private key as PEM");
  }
  return internal::BioText(bio.get());
}

std::string Key::PublicPem() const {
  if (!state_) throw Error("empty key");
  auto bio = internal::MemoryBio();
  auto legacy = internal::LegacyEcView(*this);
  if (PEM_write_bio_PUBKEY(bio.get(), legacy ? legacy.get() : get()) != 1) {
    internal::Fail("cannot encode the public key as PEM");
  }
  return internal::BioText(bio.get());
}

KeyType Key::type() const {
  EVP_PKEY* key = get();
  if (key == nullptr) throw Error("empty key");
  if (EVP_PKEY_is_a(key, "EC")) {
    char group[64] = {};
    size_t len = 0;
    if (EVP_PKEY_get_group_name(key, group, sizeof group, &len) == 1 &&
        (std::string_view(group) == "prime256v1" || std::string_view(group) == "P-256")) {
      return KeyType::kEcdsaP256;
    }
    throw Error(std::string("unsupported EC curve ") + group);
  }
  if (EVP_PKEY_is_a(key, "RSA")) {
    switch (EVP_PKEY_get_bits(key)) {
      case 2048:
        return KeyType::kRsa2048;
      case 3072:
        return KeyType::kRsa3072;
      case 4096:
        return KeyType::kRsa4096;
      default:
        throw Error("unsupported RSA key size " + std::to_string(EVP_PKEY_get_bits(key)));
    }
  }
  throw Error("unsupported key algorithm");
}

}  // namespace kubedouble::certs
