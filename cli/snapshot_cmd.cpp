// `kubedouble snapshot save|restore FILE`: every object of a kubedouble, kwok-style, as a YAML
// stream (or a JSON List when FILE ends in .json). From and into a running server through the
// admin API (/__kubedouble/snapshot), or from and into a stopped server's state folder
// (DIR/store.wal, loaded by the next `serve --persist`).
#include <fcntl.h>
#include <fmt/core.h>
#include <kubedouble/base/json_yaml.h>
#include <kubedouble/base/yaml_json.h>
#include <kubedouble/fakeserver/persist.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "client_flags.h"
#include "command.h"
#include "kubedouble/accesslib/client.h"

namespace kubedouble::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

struct SnapshotFlags {
  std::string file;
  std::string dir = ".kubedouble";
  ConnectionFlags connection;
};

// True while a `kubedouble serve` holds DIR/serve.lock.
bool ServerRunning(const fs::path& dir) {
  int fd = ::open((dir / "serve.lock").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0;
  ::close(fd);
  return held;
}

// The connection flags' configuration, or the state folder's admin kubeconfig; nullopt (kubectl's
// error printed) when it cannot be loaded.
std::optional<access::Config> ConnectionConfig(SnapshotFlags& f) {
  auto& c = f.connection;
  if (c.kubeconfig.empty() && c.flags.server.empty())
    c.kubeconfig = (fs::path(f.dir) / "kubeconfig").string();
  return c.Build();
}

bool Online(SnapshotFlags& f) {
  return !f.connection.kubeconfig.empty() || !f.connection.flags.server.empty() ||
         ServerRunning(f.dir);
}

// The objects in `file`; nullopt, with the reason printed, when it cannot be read or parsed.
std::optional<std::vector<json>> ReadSnapshotFile(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    fmt::print(stderr, "kubedouble snapshot: cannot read {}\n", file);
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  std::vector<json> objects;
  try {
    for (const auto& doc : base::LoadAllYaml(text.str())) {
      json j = base::YamlToJson(doc);
      if (j.is_null()) continue;
      if (j.is_array()) {
        for (auto& o : j) objects.push_back(std::move(o));
      } else if (j.is_object() && j.contains("items") && j["items"].is_array()) {
        for (auto& o : j["items"]) objects.push_back(std::move(o));
      } else {
        objects.push_back(std::move(j));
      }
    }
  } catch (const YAML::Exception& e) {
    fmt::print(stderr, "kubedouble snapshot: {}: line {}: {}\n", file, e.mark.line + 1, e.msg);
    return std::nullopt;
  }
  return objects;
}

// Writes `objects` to `file`; false, with the reason printed, when it cannot.
bool WriteSnapshotFile(const std::string& file, const std::vector<json>& objects) {
  std::string text;
  if (fs::path(file).extension() == ".json") {
    json list = {{"apiVersion", "v1"}, {"kind", "List"}, {"items", objects}};
    text = list.dump(2) + "\n";
  } else {
    for (const auto& o : objects) text += "---\n" + base::JsonToYaml(o);
  }
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) {
    fmt::print(stderr, "kubedouble snapshot: cannot write {}\n", file);
    return false;
  }
  return true;
}

// `snapshot save`: returns the exit code.
int Save(SnapshotFlags& f) {
  std::vector<json> objects;
  std::string from;
  if (Online(f)) {
    auto config = ConnectionConfig(f);
    if (!config) return 2;
    access::Client client(*config);
    json list = json::parse(client.Get("/__kubedouble/snapshot"));
    for (auto& o : list["items"]) objects.push_back(std::move(o));
    from = "the running server";
  } else {
    fs::path wal = fake::StoreLogPath(f.dir);
    if (!fs::exists(wal)) {
      fmt::print(stderr,
                 "kubedouble snapshot: no server runs on {} and it has no {} (start one, or "
                 "`serve --persist`)\n",
                 f.dir, wal.string());
      return 1;
    }
    objects = fake::ReadStoreLog(wal);
    from = wal.string();
  }
  if (!WriteSnapshotFile(f.file, objects)) return 1;
  fmt::print("kubedouble snapshot: saved {} objects from {} to {}\n", objects.size(), from, f.file);
  return 0;
}

// `snapshot restore`: returns the exit code.
int Restore(SnapshotFlags& f) {
  auto read = ReadSnapshotFile(f.file);
  if (!read) return 2;
  const std::vector<json>& objects = *read;
  if (Online(f)) {
    auto config = ConnectionConfig(f);
    if (!config) return 2;
    access::Client client(*config);
    json list = {{"apiVersion", "v1"}, {"kind", "List"}, {"items", objects}};
    json answer = json::parse(client.Post("/__kubedouble/snapshot", list.dump()));
    fmt::print("kubedouble snapshot: restored {} objects from {} into the running server\n",
               answer.value("restored", 0), f.file);
    return 0;
  }
  fs::path wal = fake::StoreLogPath(f.dir);
  fs::create_directories(f.dir);
  fake::WriteStoreLog(wal, objects);
  fmt::print(
      "kubedouble snapshot: wrote {} objects from {} to {}; `kubedouble serve --persist --dir {}` "
      "starts with them\n",
      objects.size(), f.file, wal.string(), f.dir);
  return 0;
}

void Setup(CLI::App& app) {
  auto* snapshot = app.add_subcommand(
      "snapshot", "Save or restore every object of a kubedouble (a YAML stream, kwok-style)");
  snapshot->require_subcommand(1);
  for (const char* verb : {"save", "restore"}) {
    auto f = std::make_shared<SnapshotFlags>();
    const bool save = std::string(verb) == "save";
    auto* sub = snapshot->add_subcommand(
        verb, save ? "Write every object to FILE (from the server running on --dir, or from its "
                     "store.wal)"
                   : "Replace every object with FILE's (in the server running on --dir, or in "
                     "its store.wal for the next serve --persist)");
    sub->add_option("FILE", f->file, "The snapshot: YAML (a stream or a List) or JSON")->required();
    sub->add_option("--dir", f->dir, "The state folder")->capture_default_str();
    OnChosen(sub, [sub, f] { f->connection.Add(sub); });
    OnRun(sub, [f, save]() -> int {
      RunWithErrors([&] {
        try {
          return save ? Save(*f) : Restore(*f);
        } catch (const access::Error&) {
          throw;  // kubectl's wording (RunWithErrors)
        } catch (const std::exception& e) {
          fmt::print(stderr, "kubedouble snapshot: {}\n", e.what());
          return 1;
        }
      });
    });
  }
}

Registrar reg("snapshot", Setup);

}  // namespace
}  // namespace kubedouble::cli
