// Key types and private keys.
#include <openssl/pem.h>

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

}  // namespace

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

Key Key::Generate(KeyType type) {
  EVP_PKEY* pkey = nullptr;
  if (type == KeyType::kEcdsaP256) {
    pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  } else {
    pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", RsaBits(type));
  }
  if (pkey == nullptr) internal::Fail("cannot generate a " + KeyTypeName(type) + " key");
  Key key;
  key.key_ = std::shared_ptr<EVP_PKEY>(pkey, EVP_PKEY_free);
  return key;
}

Key Key::FromPem(std::string_view pem) {
  auto bio = internal::MemoryBio(pem);
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (pkey == nullptr) internal::Fail("not a PEM private key");
  Key key;
  key.key_ = std::shared_ptr<EVP_PKEY>(pkey, EVP_PKEY_free);
  return key;
}

std::string Key::PrivatePem() const {
  if (!key_) throw Error("empty key");
  auto bio = internal::MemoryBio();
  if (PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    internal::Fail("cannot encode the private key as PEM");
  }
  return internal::BioText(bio.get());
}

std::string Key::PublicPem() const {
  if (!key_) throw Error("empty key");
  auto bio = internal::MemoryBio();
  if (PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) {
    internal::Fail("cannot encode the public key as PEM");
  }
  return internal::BioText(bio.get());
}

KeyType Key::type() const {
  if (!key_) throw Error("empty key");
  if (EVP_PKEY_is_a(key_.get(), "EC")) {
    char group[64] = {};
    size_t len = 0;
    if (EVP_PKEY_get_group_name(key_.get(), group, sizeof group, &len) == 1 &&
        (std::string_view(group) == "prime256v1" || std::string_view(group) == "P-256")) {
      return KeyType::kEcdsaP256;
    }
    throw Error(std::string("unsupported EC curve ") + group);
  }
  if (EVP_PKEY_is_a(key_.get(), "RSA")) {
    switch (EVP_PKEY_get_bits(key_.get())) {
      case 2048:
        return KeyType::kRsa2048;
      case 3072:
        return KeyType::kRsa3072;
      case 4096:
        return KeyType::kRsa4096;
      default:
        throw Error("unsupported RSA key size " + std::to_string(EVP_PKEY_get_bits(key_.get())));
    }
  }
  throw Error("unsupported key algorithm");
}

}  // namespace kubedouble::certs
