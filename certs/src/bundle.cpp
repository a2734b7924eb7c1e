// The bundle for a fake cluster: minting, saving, loading.
#include <system_error>

#include "kubedouble/certs/certs.h"
#include "mint.h"
#include "ossl.h"

namespace kubedouble::certs {
namespace {

namespace fs = std::filesystem;

std::string Str(std::string_view s) { return std::string(s); }

// The pairs of a bundle with their file names, for saving and loading alike.
template <typename B, typename F>
void ForEachPair(B& bundle, F f) {
  f(bundle.ca, files::kCa);
  f(bundle.server, files::kServer);
  f(bundle.admin, files::kAdmin);
  f(bundle.rogue_ca, files::kRogueCa);
  f(bundle.rogue_server, files::kRogueServer);
  f(bundle.expired_server, files::kExpiredServer);
  f(bundle.not_yet_valid_server, files::kNotYetValidServer);
  f(bundle.wrong_host_server, files::kWrongHostServer);
  f(bundle.expired_admin, files::kExpiredAdmin);
}

}  // namespace

std::vector<std::string> DefaultServerSans() {
  return {"localhost",
          "kubernetes",
          "kubernetes.default",
          "kubernetes.default.svc",
          "kubernetes.default.svc.cluster.local",
          "127.0.0.1",
          "::1"};
}

std::vector<std::string> BundleFileNames() {
  std::vector<std::string> names;
  Bundle empty;
  ForEachPair(empty, [&](const KeyPair&, std::string_view name) {
    names.push_back(Str(name) + ".crt");
    names.push_back(Str(name) + ".key");
  });
  names.push_back(Str(files::kServiceAccountKey));
  names.push_back(Str(files::kServiceAccountPub));
  return names;
}

Bundle MintBundle(const BundleOptions& options) {
  std::vector<std::string> sans = DefaultServerSans();
  for (const auto& san : options.extra_sans) {
    if (!IsValidSan(san)) {
      throw Error("invalid SAN \"" + san + "\": not a DNS name or an IP address");
    }
    sans.push_back(san);
  }
  const KeyType type = options.key_type;
  Bundle b;
  b.ca = MakeCa({.common_name = "kubedouble-ca", .key_type = type});

  ServerOptions server{.sans = sans, .key_type = type};
  b.server = IssueServer(b.ca, server);
  b.admin =
      IssueClient(b.ca, {.user = Str(kAdminUser), .groups = {Str(kAdminGroup)}, .key_type = type});
  b.service_account = Key::Generate(type);

  // The rogue CA has the cluster CA's subject but its own key: only the key identifiers and the
  // signature tell them apart, as with a man in the middle.
  b.rogue_ca = MakeCa({.common_name = "kubedouble-ca", .key_type = type});
  b.rogue_server = IssueServer(b.rogue_ca, server);

  // The time-window variants keep the key of the certificate they stand in for, as a renewed
  // certificate would; this keeps RSA bundles quick to mint.
  ServerOptions expired = server;
  expired.validity = Validity::Expired();
  b.expired_server = internal::IssueServerWithKey(b.ca, expired, b.server.key);
  ServerOptions not_yet = server;
  not_yet.validity = Validity::NotYetValid();
  b.not_yet_valid_server = internal::IssueServerWithKey(b.ca, not_yet, b.server.key);
  ServerOptions wrong{
      .common_name = Str(kWrongHostName), .sans = {Str(kWrongHostName)}, .key_type = type};
  b.wrong_host_server = internal::IssueServerWithKey(b.ca, wrong, b.server.key);
  b.expired_admin = internal::IssueClientWithKey(b.ca,
                                                 {.user = Str(kAdminUser),
                                                  .groups = {Str(kAdminGroup)},
                                                  .key_type = type,
                                                  .validity = Validity::Expired()},
                                                 b.admin.key);
  return b;
}

bool BundleExists(const fs::path& dir) {
  std::error_code ec;
  for (const auto& name : BundleFileNames()) {
    if (!fs::is_regular_file(dir / name, ec)) return false;
  }
  return true;
}

void SaveBundle(const Bundle& bundle, const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    if (!fs::create_directories(dir, ec) && ec) {
      throw Error("cannot create folder " + dir.string() + ": " + ec.message());
    }
    fs::permissions(dir, fs::perms::owner_all, ec);
    if (ec) throw Error("cannot set the mode of " + dir.string() + ": " + ec.message());
  } else if (!fs::is_directory(dir, ec)) {
    throw Error(dir.string() + " exists and is not a folder");
  }
  ForEachPair(bundle,
              [&](const KeyPair& pair, std::string_view name) { SavePair(pair, dir, name); });
  WriteFile(dir / files::kServiceAccountKey, bundle.service_account.PrivatePem(),
            fs::perms::owner_read | fs::perms::owner_write);
  WriteFile(dir / files::kServiceAccountPub, bundle.service_account.PublicPem(),
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                fs::perms::others_read);
}

Bundle LoadBundle(const fs::path& dir) {
  Bundle bundle;
  ForEachPair(bundle, [&](KeyPair& pair, std::string_view name) { pair = LoadPair(dir, name); });
  fs::path sa = dir / files::kServiceAccountKey;
  try {
    bundle.service_account = Key::FromPem(ReadFile(sa));
  } catch (const Error& e) {
    throw Error(sa.string() + ": " + e.what());
  }
  return bundle;
}

}  // namespace kubedouble::certs
