// `kubedouble certs`: mint a PKI bundle, issue single certificates, inspect certificates.
// Thin wiring of kubedouble::certs.
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <ctime>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "command.h"
#include "kubedouble/certs/certs.h"

namespace {

namespace fs = std::filesystem;
namespace kc = kubedouble::certs;

constexpr int kFailure = 1;
constexpr int kUsage = 2;

// Prints "error: MESSAGE"; returns `code`, the command's exit code.
int Fail(int code, const std::string& message) {
  fmt::print(stderr, "error: {}\n", message);
  return code;
}

// Validators: CLI11 reports their message with the option's name and exits 2 (usage error).
CLI::Validator SanValidator() {
  return CLI::Validator(
      [](std::string& san) -> std::string {
        if (kc::IsValidSan(san)) return "";
        return fmt::format("invalid SAN \"{}\": not a DNS name or an IP address", san);
      },
      "NAME|IP");
}

CLI::Validator KeyTypeValidator() {
  return CLI::Validator(
      [](std::string& name) -> std::string {
        if (kc::ParseKeyType(name)) return "";
        return fmt::format("unknown key type \"{}\" (expected one of: {})", name,
                           fmt::join(kc::KeyTypeNames(), ", "));
      },
      fmt::format("{}", fmt::join(kc::KeyTypeNames(), "|")));
}

std::string Utc(kc::TimePoint t) {
  std::time_t tt = kc::Clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string OrNone(const std::vector<std::string>& items) {
  return items.empty() ? "(none)" : fmt::format("{}", fmt::join(items, ", "));
}

// ---- certs init ----
struct InitOptions {
  std::string dir;
  std::string key_type = "ecdsa-p256";
  std::vector<std::string> sans;
  bool force = false;
};

int RunInit(const InitOptions& o) {
  fs::path dir = o.dir;
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
    return Fail(kFailure, fmt::format("{} exists and is not a folder", o.dir));
  }
  std::vector<std::string> present;
  for (const auto& name : kc::BundleFileNames()) {
    if (fs::exists(dir / name, ec)) present.push_back(name);
  }
  if (!present.empty() && !o.force) {
    std::string which = present.size() <= 3 ? fmt::format("{}", fmt::join(present, ", "))
                                            : fmt::format("{}, {} and {} more files", present[0],
                                                          present[1], present.size() - 2);
    return Fail(kFailure, fmt::format("{} already holds a bundle ({}); use --force to overwrite it",
                                      o.dir, which));
  }
  kc::BundleOptions options{.key_type = *kc::ParseKeyType(o.key_type), .extra_sans = o.sans};
  try {
    kc::SaveBundle(kc::MintBundle(options), dir);
  } catch (const kc::Error& e) {
    return Fail(kFailure, fmt::format("cannot write the bundle into {}: {}", o.dir, e.what()));
  }
  auto sans = kc::DefaultServerSans();
  sans.insert(sans.end(), o.sans.begin(), o.sans.end());
  fmt::print("Wrote a {} PKI bundle to {}\n", o.key_type, o.dir);
  fmt::print("  ca.crt / ca.key              cluster CA\n");
  fmt::print("  server.crt / server.key      serving certificate for {}\n", fmt::join(sans, ", "));
  fmt::print("  admin.crt / admin.key        client certificate CN={} O={}\n", kc::kAdminUser,
             kc::kAdminGroup);
  fmt::print("  sa.key / sa.pub              service-account token signing key\n");
  fmt::print(
      "  rogue-ca, rogue-server, expired-server, not-yet-valid-server, wrong-host-server,\n"
      "  expired-admin                pitfall material (see certs/README.md)\n");
  return 0;
}

// ---- certs issue ----
struct IssueOptions {
  std::string kind;
  std::string ca_dir;
  std::string name;
  std::vector<std::string> sans;
  std::string user;
  std::vector<std::string> groups;
  std::string key_type = "ecdsa-p256";
  int days = 365;
  bool expired = false;
  bool not_yet_valid = false;
  std::string out;
  bool force = false;
};

int RunIssue(const IssueOptions& o) {
  kc::Validity validity = o.expired         ? kc::Validity::Expired()
                          : o.not_yet_valid ? kc::Validity::NotYetValid()
                                            : kc::Validity::Usual(o.days);
  kc::KeyType type = *kc::ParseKeyType(o.key_type);
  if (o.kind == "server" && o.sans.empty()) {
    return Fail(kUsage, "certs issue server needs at least one --san NAME");
  }
  if (o.kind == "client" && !o.sans.empty()) {
    return Fail(kUsage,
                "--san is for server certificates; a client certificate has --user and --group");
  }
  if (o.kind == "server" && (!o.user.empty() || !o.groups.empty())) {
    return Fail(kUsage, "--user and --group are for client certificates");
  }
  fs::path out = o.out.empty() ? fs::path(o.ca_dir) : fs::path(o.out);
  std::error_code ec;
  if (!o.force &&
      (fs::exists(out / (o.name + ".crt"), ec) || fs::exists(out / (o.name + ".key"), ec))) {
    return Fail(kFailure, fmt::format("{} already exists; use --force to overwrite it",
                                      (out / (o.name + ".crt")).string()));
  }
  kc::KeyPair ca;
  try {
    ca = kc::LoadPair(o.ca_dir, kc::files::kCa);
  } catch (const kc::Error& e) {
    return Fail(kFailure, fmt::format("cannot load the CA from {}: {}", o.ca_dir, e.what()));
  }
  try {
    kc::KeyPair pair;
    if (o.kind == "server") {
      pair = kc::IssueServer(
          ca, {.common_name = o.name, .sans = o.sans, .key_type = type, .validity = validity});
    } else {
      pair = kc::IssueClient(ca, {.user = o.user.empty() ? o.name : o.user,
                                  .groups = o.groups,
                                  .key_type = type,
                                  .validity = validity});
    }
    if (!fs::exists(out, ec)) {
      fs::create_directories(out, ec);
      if (ec)
        return Fail(kFailure,
                    fmt::format("cannot create folder {}: {}", out.string(), ec.message()));
      fs::permissions(out, fs::perms::owner_all, ec);
    }
    kc::SavePair(pair, out, o.name);
    auto info = kc::Inspect(pair.cert);
    fmt::print("Wrote {} and {}\n  subject: {}\n  valid:   {} .. {}\n",
               (out / (o.name + ".crt")).string(), (out / (o.name + ".key")).string(), info.subject,
               Utc(info.not_before), Utc(info.not_after));
  } catch (const kc::Error& e) {
    return Fail(kFailure, e.what());
  }
  return 0;
}

// ---- certs inspect ----
struct InspectOptions {
  std::string file;
  std::string ca;
  std::string host;
};

int RunInspect(const InspectOptions& o) {
  kc::Certificate cert;
  try {
    cert = kc::Certificate::FromPem(kc::ReadFile(o.file));
  } catch (const kc::Error& e) {
    return Fail(kFailure, fmt::format("{}: {}", o.file, e.what()));
  }
  auto info = kc::Inspect(cert);
  auto now = kc::Clock::now();
  std::string state = now < info.not_before  ? "not yet valid"
                      : now > info.not_after ? "expired"
                                             : "currently valid";
  fmt::print("file:         {}\n", o.file);
  fmt::print("subject:      {}\n", info.subject);
  fmt::print("issuer:       {}\n", info.issuer);
  fmt::print("serial:       {}\n", info.serial_hex);
  fmt::print("DNS names:    {}\n", OrNone(info.dns_names));
  fmt::print("IP addresses: {}\n", OrNone(info.ip_addresses));
  fmt::print("not before:   {}\n", Utc(info.not_before));
  fmt::print("not after:    {} ({})\n", Utc(info.not_after), state);
  fmt::print("key type:     {}\n", info.key_type);
  fmt::print("CA:           {}\n", info.is_ca ? "yes" : "no");
  fmt::print("key usage:    {}\n", OrNone(info.extended_key_usage));
  fmt::print("SHA-256:      {}\n", info.sha256_fingerprint);
  if (o.ca.empty() && o.host.empty()) return 0;

  bool ok = true;
  if (!o.ca.empty()) {
    std::vector<kc::Certificate> roots;
    try {
      roots = kc::Certificate::AllFromPem(kc::ReadFile(o.ca));
    } catch (const kc::Error& e) {
      return Fail(kFailure, fmt::format("--ca {}: {}", o.ca, e.what()));
    }
    kc::VerifyOptions options;
    if (!o.host.empty()) options.host = o.host;
    auto v = kc::Verify(cert, roots, options);
    std::string against = o.host.empty() ? fmt::format("against {}", o.ca)
                                         : fmt::format("against {} for host {}", o.ca, o.host);
    if (v.ok()) {
      fmt::print("verify:       ok ({})\n", against);
    } else {
      fmt::print("verify:       FAILED ({}): {}: {}\n", against, kc::VerifyStatusName(v.status),
                 v.message);
      ok = false;
    }
  } else {
    if (kc::MatchesHost(cert, o.host)) {
      fmt::print("host:         ok ({} is among the SANs; give --ca to verify the chain)\n",
                 o.host);
    } else {
      fmt::print("host:         FAILED: hostname_mismatch: {} is not among the SANs\n", o.host);
      ok = false;
    }
  }
  return ok ? 0 : kFailure;
}

void Setup(CLI::App& app) {
  auto* certs = app.add_subcommand("certs", "Mint and inspect the PKI of a fake cluster");
  certs->require_subcommand(1);

  auto init = std::make_shared<InitOptions>();
  auto* init_cmd = certs->add_subcommand(
      "init", "Write a PKI bundle (cluster CA, server, admin, service-account key, pitfalls)");
  init_cmd->add_option("DIR", init->dir, "Folder to write the bundle into (created 0700)")
      ->required();
  init_cmd->add_option("--key-type", init->key_type, "Key type for every key")
      ->check(KeyTypeValidator())
      ->capture_default_str();
  init_cmd->add_option("--san", init->sans, "Extra DNS name or IP for the server certificate")
      ->check(SanValidator());
  init_cmd->add_flag("--force", init->force, "Overwrite an existing bundle");
  kubedouble::cli::OnRun(init_cmd, [init] { return RunInit(*init); });

  auto issue = std::make_shared<IssueOptions>();
  auto* issue_cmd =
      certs->add_subcommand("issue", "Issue one server or client certificate from a bundle's CA");
  issue_cmd->add_option("KIND", issue->kind, "server or client")
      ->required()
      ->check(CLI::IsMember({"server", "client"}));
  issue_cmd->add_option("--ca-dir", issue->ca_dir, "Folder holding ca.crt and ca.key")
      ->required()
      ->check(CLI::ExistingDirectory);
  issue_cmd->add_option("--name", issue->name, "File base name (NAME.crt, NAME.key); server CN")
      ->required();
  issue_cmd->add_option("--san", issue->sans, "DNS name or IP (server; at least one)")
      ->check(SanValidator());
  issue_cmd->add_option("--user", issue->user, "Client user name, the CN (default: --name)");
  issue_cmd->add_option("--group", issue->groups, "Client group, one O each (repeatable)");
  issue_cmd->add_option("--key-type", issue->key_type, "Key type")
      ->check(KeyTypeValidator())
      ->capture_default_str();
  auto* days = issue_cmd->add_option("--days", issue->days, "Valid from an hour ago for N days")
                   ->check(CLI::Range(1, 36500))
                   ->capture_default_str();
  auto* expired = issue_cmd->add_flag("--expired", issue->expired, "Already expired");
  auto* early = issue_cmd->add_flag("--not-yet-valid", issue->not_yet_valid, "Valid from tomorrow");
  days->excludes(expired)->excludes(early);
  expired->excludes(early);
  issue_cmd->add_option("--out", issue->out, "Folder to write into (default: --ca-dir)");
  issue_cmd->add_flag("--force", issue->force, "Overwrite existing NAME.crt/NAME.key");
  kubedouble::cli::OnRun(issue_cmd, [issue] { return RunIssue(*issue); });

  auto inspect = std::make_shared<InspectOptions>();
  auto* inspect_cmd = certs->add_subcommand(
      "inspect", "Show a certificate; with --ca/--host, whether it verifies and why not");
  inspect_cmd->add_option("FILE", inspect->file, "PEM certificate")
      ->required()
      ->check(CLI::ExistingFile);
  inspect_cmd->add_option("--ca", inspect->ca, "PEM CA certificate(s) to verify against")
      ->check(CLI::ExistingFile);
  inspect_cmd->add_option("--host", inspect->host, "Host name or IP the certificate must match");
  kubedouble::cli::OnRun(inspect_cmd, [inspect] { return RunInspect(*inspect); });
}

kubedouble::cli::Registrar reg("certs", Setup);

}  // namespace
