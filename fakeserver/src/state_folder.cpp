#include "state_folder.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <system_error>

#include "util.h"

namespace kubedouble::fake {

namespace fs = std::filesystem;

namespace {
constexpr auto kPrivate = fs::perms::owner_read | fs::perms::owner_write;
constexpr auto kPublic = kPrivate | fs::perms::group_read | fs::perms::others_read;
}  // namespace

void FillPaths(StatePaths& p, const fs::path& dir) {
  p.dir = dir;
  p.pki_dir = dir / "pki";
  p.ca_crt = p.pki_dir / (std::string(certs::files::kCa) + ".crt");
  p.kubeconfig = dir / "kubeconfig";
  p.kubeconfigs_dir = dir / "kubeconfigs";
  p.token_kubeconfig = p.kubeconfigs_dir / "token.yaml";
  p.mtls_kubeconfig = p.kubeconfigs_dir / "mtls.yaml";
  p.insecure_kubeconfig = p.kubeconfigs_dir / "insecure.yaml";
  p.anonymous_kubeconfig = p.kubeconfigs_dir / "anonymous.yaml";
  p.serviceaccount_kubeconfig = p.kubeconfigs_dir / "serviceaccount.yaml";
  p.serviceaccount_dir = dir / "serviceaccount";
  p.incluster_env = dir / "incluster.env";
  p.tokens_csv = dir / "tokens.csv";
}

void PrepareStateFolder(const fs::path& dir) {
  std::error_code ec;
  const bool existed = fs::is_directory(dir, ec);
  fs::create_directories(dir / "kubeconfigs", ec);
  if (ec) {
    throw std::runtime_error(
        fmt::format("cannot create the state folder {}: {}", dir.string(), ec.message()));
  }
  // A folder created here is private to its owner (0700), whatever the umask. A folder the user
  // already had keeps its mode (it may be shared, as a 1777 one): the secrets protect themselves,
  // in the server's own subfolders (0700) and files (0600).
  if (!existed) fs::permissions(dir, fs::perms::owner_all, ec);
  for (const char* sub : {"pki", "kubeconfigs", "serviceaccount"}) {
    fs::create_directory(dir / sub, ec);
    fs::permissions(dir / sub, fs::perms::owner_all, ec);
  }
  // Prove it is writable before anything else happens.
  fs::path probe = dir / ".write-test";
  try {
    certs::WriteFile(probe, "", kPrivate);
  } catch (const std::exception& e) {
    throw std::runtime_error(
        fmt::format("the state folder {} is not writable: {}", dir.string(), e.what()));
  }
  fs::remove(probe, ec);
}

std::vector<fs::path> WriteServiceAccountGeneration(const fs::path& dir, const std::string& token,
                                                    const std::string& ca_pem,
                                                    const std::string& ns) {
  fs::create_directories(dir);
  auto now = std::chrono::system_clock::now();
  auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()) %
               std::chrono::seconds(1);
  std::string stamp =
      fmt::format("..{:%Y_%m_%d_%H_%M_%S}.{:09d}",
                  fmt::gmtime(std::chrono::system_clock::to_time_t(now)), nanos.count());
  fs::path target = dir / stamp;
  fs::create_directory(target);
  certs::WriteFile(target / "token", token, kPublic);
  // A file the current generation already holds as it is joins the new one as a hard link: the
  // same bytes for every reader, without creating a file (0.05-0.1 ms each on ext4 here).
  std::error_code ec;
  fs::path current = fs::read_symlink(dir / "..data", ec);
  const std::string generation = current.string();  // a "..TIMESTAMP" beside it, as written here
  if (generation.size() <= 2 || generation.rfind("..", 0) != 0 ||
      generation.find('/') != std::string::npos) {
    current.clear();
  }
  for (auto [name, content] : {std::pair{"ca.crt", &ca_pem}, std::pair{"namespace", &ns}}) {
    fs::path old = dir / current / name;
    if (current.empty() || !certs::FileHolds(old, *content, kPublic) ||
        ::link(old.c_str(), (target / name).c_str()) != 0) {
      certs::WriteFile(target / name, *content, kPublic);
    }
  }

  fs::path tmp = dir / "..data_tmp";
  fs::remove(tmp, ec);
  fs::create_directory_symlink(stamp, tmp);
  fs::rename(tmp, dir / "..data");  // atomic swap
  for (const char* name : {"token", "ca.crt", "namespace"}) {
    fs::path link = dir / name;
    if (!fs::is_symlink(fs::symlink_status(link))) {
      fs::remove(link, ec);
      fs::create_symlink(fs::path("..data") / name, link);
    }
  }
  // The folders of earlier generations.
  std::vector<fs::path> earlier;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::string n = entry.path().filename().string();
    if (n.rfind("..", 0) == 0 && n != stamp && n != "..data" && entry.is_directory() &&
        !entry.is_symlink()) {
      earlier.push_back(entry.path());
    }
  }
  return earlier;
}

void RemoveFolders(const std::vector<fs::path>& folders) {
  std::error_code ec;
  for (const auto& folder : folders) fs::remove_all(folder, ec);
}

void WriteServiceAccountFolder(const fs::path& dir, const std::string& token,
                               const std::string& ca_pem, const std::string& ns) {
  RemoveFolders(WriteServiceAccountGeneration(dir, token, ca_pem, ns));
}

void WriteServerFiles(const StatePaths& p, const StateInputs& in) {
  KubeconfigCluster secure{in.url, in.ca_pem, false};
  std::string admin_cert = in.admin.cert.Pem();
  std::string admin_key = in.admin.key.PrivatePem();
  certs::WriteFileIfChanged(p.kubeconfig,
                            KubeconfigYaml(secure, {"kubedouble-admin", "", admin_cert, admin_key}),
                            kPrivate);
  certs::WriteFileIfChanged(p.token_kubeconfig,
                            KubeconfigYaml(secure, {.name = "token", .token = p.admin_token}),
                            kPrivate);
  certs::WriteFileIfChanged(p.mtls_kubeconfig,
                            KubeconfigYaml(secure, {"mtls", "", admin_cert, admin_key}), kPrivate);
  certs::WriteFileIfChanged(
      p.insecure_kubeconfig,
      KubeconfigYaml({in.url, "", true}, {.name = "insecure", .token = p.admin_token}), kPrivate);
  certs::WriteFileIfChanged(p.anonymous_kubeconfig,
                            KubeconfigYaml(secure, {"anonymous", "", "", "", true}), kPrivate);
  certs::WriteFileIfChanged(p.incluster_env,
                            fmt::format("export KUBERNETES_SERVICE_HOST={}\n"
                                        "export KUBERNETES_SERVICE_PORT={}\n"
                                        "export KUBERNETES_SERVICE_PORT_HTTPS={}\n",
                                        in.host, in.port, in.port),
                            kPublic);
}

std::vector<fs::path> WriteServiceAccountFiles(const StatePaths& p, const StateInputs& in) {
  certs::WriteFileIfChanged(
      p.serviceaccount_kubeconfig,
      KubeconfigYaml({in.url, in.ca_pem, false},
                     {.name = "serviceaccount", .token = p.serviceaccount_token}),
      kPrivate);
  return WriteServiceAccountGeneration(p.serviceaccount_dir, p.serviceaccount_token, in.ca_pem,
                                       "default");
}

}  // namespace kubedouble::fake
