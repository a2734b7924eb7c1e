// The bundle for a fake cluster: minting, saving, loading.
#include <algorithm>
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

namespace {

std::vector<std::string> ServingSans(const BundleOptions& options) {
  std::vector<std::string> sans = DefaultServerSans();
  for (const auto& san : options.extra_sans) {
    if (!IsValidSan(san)) {
      throw Error("invalid SAN \"" + san + "\": not a DNS name or an IP address");
    }
    sans.push_back(san);
  }
  return sans;
}

ClientOptions AdminOptions(KeyType type) {
  return {.user = Str(kAdminUser), .groups = {Str(kAdminGroup)}, .key_type = type};
}

// The time-window variants keep the key of the certificate they stand in for, as a renewed
// certificate would; this keeps RSA bundles quick to mint.
KeyPair ExpiredServer(const KeyPair& ca, ServerOptions server, const Key& key) {
  server.validity = Validity::Expired();
  return internal::IssueServerWithKey(ca, server, key);
}
KeyPair NotYetValidServer(const KeyPair& ca, ServerOptions server, const Key& key) {
  server.validity = Validity::NotYetValid();
  return internal::IssueServerWithKey(ca, server, key);
}
KeyPair WrongHostServer(const KeyPair& ca, KeyType type, const Key& key) {
  ServerOptions wrong{
      .common_name = Str(kWrongHostName), .sans = {Str(kWrongHostName)}, .key_type = type};
  return internal::IssueServerWithKey(ca, wrong, key);
}
KeyPair ExpiredAdmin(const KeyPair& ca, KeyType type, const Key& key) {
  ClientOptions expired = AdminOptions(type);
  expired.validity = Validity::Expired();
  return internal::IssueClientWithKey(ca, expired, key);
}

// sa.key (0600) and sa.pub (0644).
void SaveServiceAccountKey(const Key& key, const fs::path& dir) {
  WriteFile(dir / files::kServiceAccountKey, key.PrivatePem(),
            fs::perms::owner_read | fs::perms::owner_write);
  WriteFile(dir / files::kServiceAccountPub, key.PublicPem(),
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                fs::perms::others_read);
}

// True when `cert` names every entry of `sans` (brackets around IPv6 addresses allowed).
bool NamesAll(const Certificate& cert, const std::vector<std::string>& sans) {
  if (sans.empty()) return true;
  CertInfo info = Inspect(cert);
  for (const auto& san : sans) {
    std::string bare = san;
    if (bare.size() > 2 && bare.front() == '[') bare = bare.substr(1, bare.size() - 2);
    if (std::find(info.dns_names.begin(), info.dns_names.end(), bare) == info.dns_names.end() &&
        std::find(info.ip_addresses.begin(), info.ip_addresses.end(), bare) ==
            info.ip_addresses.end()) {
      return false;
    }
  }
  return true;
}

}  // namespace

Bundle MintBundle(const BundleOptions& options) {
  std::vector<std::string> sans = ServingSans(options);
  const KeyType type = options.key_type;
  Bundle b;
  b.ca = MakeCa({.common_name = "kubedouble-ca", .key_type = type});

  ServerOptions server{.sans = sans, .key_type = type};
  b.server = IssueServer(b.ca, server);
  b.admin = IssueClient(b.ca, AdminOptions(type));
  b.service_account = Key::Generate(type);

  // The rogue CA has the cluster CA's subject but its own key: only the key identifiers and the
  // signature tell them apart, as with a man in the middle.
  b.rogue_ca = MakeCa({.common_name = "kubedouble-ca", .key_type = type});
  b.rogue_server = IssueServer(b.rogue_ca, server);

  b.expired_server = ExpiredServer(b.ca, server, b.server.key);
  b.not_yet_valid_server = NotYetValidServer(b.ca, server, b.server.key);
  b.wrong_host_server = WrongHostServer(b.ca, type, b.server.key);
  b.expired_admin = ExpiredAdmin(b.ca, type, b.admin.key);
  return b;
}

Bundle RepairBundle(const fs::path& dir, const BundleOptions& options,
                    std::vector<std::string>* renewed) {
  std::vector<std::string> sans = ServingSans(options);
  Bundle b;
  b.ca = LoadPair(dir, files::kCa);
  const KeyType type = b.ca.key.type();
  std::error_code ec;
  auto has = [&](std::string_view name) {
    return fs::is_regular_file(dir / (Str(name) + ".crt"), ec) &&
           fs::is_regular_file(dir / (Str(name) + ".key"), ec);
  };
  auto write = [&](const KeyPair& pair, std::string_view name) {
    SavePair(pair, dir, name);
    if (renewed) {
      renewed->push_back(Str(name) + ".crt");
      renewed->push_back(Str(name) + ".key");
    }
  };
  ServerOptions server{.sans = sans, .key_type = type};

  // The serving certificate, and the variants with its names and key.
  bool serving_ok = has(files::kServer);
  if (serving_ok) {
    b.server = LoadPair(dir, files::kServer);
    serving_ok = NamesAll(b.server.cert, options.extra_sans);
    if (!serving_ok)
      write(b.server = internal::IssueServerWithKey(b.ca, server, b.server.key), files::kServer);
  } else {
    write(b.server = IssueServer(b.ca, server), files::kServer);
  }
  if (serving_ok && has(files::kExpiredServer)) {
    b.expired_server = LoadPair(dir, files::kExpiredServer);
  } else {
    write(b.expired_server = ExpiredServer(b.ca, server, b.server.key), files::kExpiredServer);
  }
  if (serving_ok && has(files::kNotYetValidServer)) {
    b.not_yet_valid_server = LoadPair(dir, files::kNotYetValidServer);
  } else {
    write(b.not_yet_valid_server = NotYetValidServer(b.ca, server, b.server.key),
          files::kNotYetValidServer);
  }
  if (has(files::kWrongHostServer)) {
    b.wrong_host_server = LoadPair(dir, files::kWrongHostServer);
  } else {
    write(b.wrong_host_server = WrongHostServer(b.ca, type, b.server.key), files::kWrongHostServer);
  }

  // The admin client certificate and its expired twin.
  const bool admin_kept = has(files::kAdmin);
  if (admin_kept) {
    b.admin = LoadPair(dir, files::kAdmin);
  } else {
    write(b.admin = IssueClient(b.ca, AdminOptions(type)), files::kAdmin);
  }
  if (admin_kept && has(files::kExpiredAdmin)) {
    b.expired_admin = LoadPair(dir, files::kExpiredAdmin);
  } else {
    write(b.expired_admin = ExpiredAdmin(b.ca, type, b.admin.key), files::kExpiredAdmin);
  }

  // The rogue CA and the certificate it signs.
  const bool rogue_kept = has(files::kRogueCa);
  if (rogue_kept) {
    b.rogue_ca = LoadPair(dir, files::kRogueCa);
  } else {
    write(b.rogue_ca = MakeCa({.common_name = "kubedouble-ca", .key_type = type}), files::kRogueCa);
  }
  if (rogue_kept && serving_ok && has(files::kRogueServer)) {
    b.rogue_server = LoadPair(dir, files::kRogueServer);
  } else {
    write(b.rogue_server = IssueServer(b.rogue_ca, server), files::kRogueServer);
  }

  // The service-account signing key (tokens signed with a lost key cannot be verified anyway).
  fs::path sa = dir / files::kServiceAccountKey;
  if (fs::is_regular_file(sa, ec) && fs::is_regular_file(dir / files::kServiceAccountPub, ec)) {
    try {
      b.service_account = Key::FromPem(ReadFile(sa));
    } catch (const Error& e) {
      throw Error(sa.string() + ": " + e.what());
    }
  } else {
    b.service_account = Key::Generate(type);
    SaveServiceAccountKey(b.service_account, dir);
    if (renewed) {
      renewed->push_back(Str(files::kServiceAccountKey));
      renewed->push_back(Str(files::kServiceAccountPub));
    }
  }
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
  SaveServiceAccountKey(bundle.service_account, dir);
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
