// kubedouble::certs — the PKI kit.
//
// Mints the keys and certificates a fake cluster needs: a self-signed cluster CA, serving
// certificates with DNS and IP SANs, client certificates whose CN is the user name and whose O
// entries are the groups (as kube-apiserver reads them), and the pitfall material (rogue CA,
// expired, not-yet-valid and wrong-host certificates). Everything is minted at run time; nothing
// is ever read from the source tree.
//
// All functions throw kubedouble::certs::Error with a message that names the input and what is
// wrong. Thread-safe: no function keeps global state.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

typedef struct evp_pkey_st EVP_PKEY;
typedef struct x509_st X509;

namespace kubedouble::certs {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class KeyType { kEcdsaP256, kRsa2048, kRsa3072, kRsa4096 };

// "ecdsa-p256", "rsa-2048", "rsa-3072", "rsa-4096". nullopt for anything else.
std::optional<KeyType> ParseKeyType(std::string_view name);
std::string KeyTypeName(KeyType type);
// The names ParseKeyType accepts, for help texts and error messages.
std::vector<std::string> KeyTypeNames();

// A private key (owns an EVP_PKEY). Copyable: copies share the key (it is immutable).
class Key {
 public:
  static Key Generate(KeyType type = KeyType::kEcdsaP256);
  static Key FromPem(std::string_view pem);  // PKCS#8, traditional EC or RSA
  // The key in the PEM text, decoded only when first used (get(), type(), PublicPem()): decoding
  // a P-256 key builds its curve, and a server start loads ten keys and decodes three. The PEM
  // block (and a PKCS#8 key's ASN.1 structure) is checked now; `where` names the key's origin in
  // the Error that get() throws when the key itself is not valid.
  static Key FromPemDeferred(std::string_view pem, std::string where);
  std::string PrivatePem() const;  // PKCS#8 PEM (a deferred PKCS#8 key: its bytes, not decoded)
  std::string PublicPem() const;   // SubjectPublicKeyInfo PEM
  KeyType type() const;
  EVP_PKEY* get() const;  // nullptr for an empty key
  explicit operator bool() const { return state_ != nullptr; }

  Key() = default;

 private:
  struct State;
  static Key Own(EVP_PKEY* pkey);
  std::shared_ptr<State> state_;
};

// An X.509 certificate (owns an X509). Copyable: copies share it.
class Certificate {
 public:
  static Certificate FromPem(std::string_view pem);  // the first certificate in the PEM text
  static std::vector<Certificate> AllFromPem(std::string_view pem);
  // The first certificate in the PEM text, decoded as X.509 only when first used (get()):
  // OpenSSL 3.0 spends about a million instructions decoding a certificate's public key, and a
  // server start needs two of the bundle's nine certificates. The PEM framing is checked now.
  // `check` runs once on the decoded certificate and may throw Error (e.g. a key mismatch); it
  // is called with nullptr when the bytes are not X.509, to throw an error naming its origin.
  using Check = std::function<void(X509*)>;
  static Certificate FromPemDeferred(std::string_view pem, Check check = nullptr);
  std::string Pem() const;  // a deferred certificate is re-encoded without being decoded
  // Decodes a deferred certificate on first use: throws Error when it is not valid X.509.
  X509* get() const;
  explicit operator bool() const { return state_ != nullptr; }

  Certificate() = default;
  explicit Certificate(X509* owned);  // takes ownership

 private:
  struct State;
  std::shared_ptr<State> state_;
};

// A certificate with its private key.
struct KeyPair {
  Certificate cert;
  Key key;
};

struct Validity {
  TimePoint not_before = {};
  TimePoint not_after = {};
  // Valid from one hour ago for `days` days (the hour absorbs clock skew).
  static Validity Usual(int days = 365);
  // Valid from 2 days ago until 1 day ago.
  static Validity Expired();
  // Valid from 1 day from now for a year.
  static Validity NotYetValid();
};

struct CaOptions {
  std::string common_name = "kubedouble-ca";
  KeyType key_type = KeyType::kEcdsaP256;
  Validity validity = Validity::Usual(3650);
};
// A self-signed CA: basicConstraints CA:TRUE (critical), keyUsage keyCertSign+cRLSign
// (critical), subject and authority key identifiers, a random 128-bit serial.
KeyPair MakeCa(const CaOptions& options = {});

struct ServerOptions {
  std::string common_name = "kube-apiserver";
  // Each entry is a DNS name or an IP address (v4 or v6; brackets allowed). Must not be empty.
  std::vector<std::string> sans = {};
  KeyType key_type = KeyType::kEcdsaP256;
  Validity validity = Validity::Usual();
};
// A serving certificate (extendedKeyUsage serverAuth) signed by `ca`.
KeyPair IssueServer(const KeyPair& ca, const ServerOptions& options);

struct ClientOptions {
  std::string user = {};                 // the CN; must not be empty
  std::vector<std::string> groups = {};  // one O entry per group, in order
  KeyType key_type = KeyType::kEcdsaP256;
  Validity validity = Validity::Usual();
};
// A client certificate (extendedKeyUsage clientAuth) signed by `ca`.
KeyPair IssueClient(const KeyPair& ca, const ClientOptions& options);

// True when `san` is an acceptable SAN: an IP address or an RFC 1123 DNS name (a leading "*."
// wildcard label allowed). Used to reject malformed --san values with a clear message.
bool IsValidSan(std::string_view san);

// ---- files ----
// Writes `content` to `path` atomically (temp file + rename) with `mode` (0600 for keys).
void WriteFile(const std::filesystem::path& path, std::string_view content,
               std::filesystem::perms mode);
// True when `path` is a regular file (not a symlink) holding exactly `content`, with `mode`.
bool FileHolds(const std::filesystem::path& path, std::string_view content,
               std::filesystem::perms mode);
// WriteFile, unless FileHolds(path, content, mode): then the file is left as it is (its mtime
// too). Creating a file costs 0.05-0.1 ms on ext4 here, and a server restarted on the same port
// rewrote the same eight files. True when it wrote.
bool WriteFileIfChanged(const std::filesystem::path& path, std::string_view content,
                        std::filesystem::perms mode);
std::string ReadFile(const std::filesystem::path& path);
// Writes <dir>/<name>.crt (0644) and <dir>/<name>.key (0600).
void SavePair(const KeyPair& pair, const std::filesystem::path& dir, std::string_view name);
KeyPair LoadPair(const std::filesystem::path& dir, std::string_view name);

// ---- verification (OpenSSL's own X509_verify_cert) ----
enum class VerifyStatus {
  kOk,
  kUnknownAuthority,
  kExpired,
  kNotYetValid,
  kHostnameMismatch,
  kOther,
};
std::string VerifyStatusName(VerifyStatus status);  // "ok", "unknown_authority", ...

struct Verification {
  VerifyStatus status = VerifyStatus::kOther;
  std::string message;  // OpenSSL's reason, e.g. "certificate has expired"
  bool ok() const { return status == VerifyStatus::kOk; }
};

struct VerifyOptions {
  // Checked against DNS SANs, or IP SANs when it is an IP address. Unset: no host check.
  std::optional<std::string> host = std::nullopt;
  // The time to verify at. Unset: now.
  std::optional<TimePoint> at = std::nullopt;
  // "server" or "client": the extendedKeyUsage purpose to require. Empty: none.
  std::string purpose = {};
};
Verification Verify(const Certificate& leaf, const std::vector<Certificate>& roots,
                    const VerifyOptions& options = {});
// True when `cert` is for `host`: a DNS SAN matching it, or an IP SAN equal to it when it is an
// IP address (brackets allowed). Only the names are checked, not the chain or the dates.
bool MatchesHost(const Certificate& cert, std::string_view host);

// ---- inspection ----
struct CertInfo {
  std::string subject;  // one line, e.g. "CN=kubedouble-admin, O=system:masters"
  std::string issuer;
  std::string common_name;
  std::vector<std::string> organizations;
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  TimePoint not_before;
  TimePoint not_after;
  std::string key_type;            // "ecdsa-p256", "rsa-2048", ...
  std::string sha256_fingerprint;  // "AB:CD:..."
  std::string serial_hex;
  bool is_ca = false;
  std::vector<std::string> extended_key_usage;  // "serverAuth", "clientAuth"
};
CertInfo Inspect(const Certificate& cert);

// ---- the bundle for a fake cluster ----
// The names every cluster serving certificate carries.
std::vector<std::string> DefaultServerSans();

struct BundleOptions {
  KeyType key_type = KeyType::kEcdsaP256;
  std::vector<std::string> extra_sans = {};  // added to DefaultServerSans()
};

// Every pair has its own key except the time-window and wrong-host variants, which re-use the key
// of the certificate they stand in for (server's or admin's), as a renewal would.
struct Bundle {
  KeyPair ca;                    // the cluster CA (signs server and client certificates)
  KeyPair server;                // serving certificate for DefaultServerSans() + extra
  KeyPair admin;                 // client certificate CN=kubedouble-admin, O=system:masters
  Key service_account;           // signs service-account tokens (public half verifies)
  KeyPair rogue_ca;              // a different CA with the same subject as `ca`
  KeyPair rogue_server;          // the same names as `server`, signed by `rogue_ca`
  KeyPair expired_server;        // the same names, signed by `ca`, already expired
  KeyPair not_yet_valid_server;  // the same names, signed by `ca`, valid from tomorrow
  KeyPair wrong_host_server;     // signed by `ca`, only for kWrongHostName
  KeyPair expired_admin;         // admin client certificate, already expired
};

inline constexpr std::string_view kAdminUser = "kubedouble-admin";
inline constexpr std::string_view kAdminGroup = "system:masters";
inline constexpr std::string_view kWrongHostName = "wrong-host.kubedouble.invalid";

Bundle MintBundle(const BundleOptions& options = {});

// File names inside a bundle folder (documented in certs/README.md). Each pair X is X.crt + X.key.
namespace files {
inline constexpr std::string_view kCa = "ca";
inline constexpr std::string_view kServer = "server";
inline constexpr std::string_view kAdmin = "admin";
inline constexpr std::string_view kServiceAccountKey = "sa.key";
inline constexpr std::string_view kServiceAccountPub = "sa.pub";
inline constexpr std::string_view kRogueCa = "rogue-ca";
inline constexpr std::string_view kRogueServer = "rogue-server";
inline constexpr std::string_view kExpiredServer = "expired-server";
inline constexpr std::string_view kNotYetValidServer = "not-yet-valid-server";
inline constexpr std::string_view kWrongHostServer = "wrong-host-server";
inline constexpr std::string_view kExpiredAdmin = "expired-admin";
}  // namespace files

// Every file name SaveBundle writes (X.crt and X.key for each pair, sa.key, sa.pub).
std::vector<std::string> BundleFileNames();

// True when `dir` holds a complete bundle.
bool BundleExists(const std::filesystem::path& dir);
// Creates `dir` (0700) if needed and writes every file; keys 0600.
void SaveBundle(const Bundle& bundle, const std::filesystem::path& dir);
Bundle LoadBundle(const std::filesystem::path& dir);

// Loads the bundle in `dir` keeping its cluster CA (ca.crt, ca.key), and mints again only what is
// missing or out of date, each signed by that CA: a pair whose file is gone (an expired or rogue
// variant deleted by hand), and the serving certificates (with their key) when they lack one of
// `options.extra_sans`. New keys take the CA's key type. The cluster CA itself is never replaced
// here — a new one is MintBundle + SaveBundle (`serve --fresh-pki`) — so clients that trust it
// keep working. Throws Error when the CA cannot be loaded. `renewed`, when given, receives the
// file names written (e.g. "expired-server.crt").
Bundle RepairBundle(const std::filesystem::path& dir, const BundleOptions& options,
                    std::vector<std::string>* renewed = nullptr);

}  // namespace kubedouble::certs
