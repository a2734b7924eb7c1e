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

// The connection flags, or the state folder's admin kubeconfig.
access::Client Connect(SnapshotFlags& f) {
  auto& c = f.connection;
  if (c.kubeconfig.empty() && c.flags.server.empty())
    c.kubeconfig = (fs::path(f.dir) / "kubeconfig").string();
  return access::Client(c.Build());
}

bool Online(SnapshotFlags& f) {
  return !f.connection.kubeconfig.empty() || !f.connection.flags.server.empty() ||
         ServerRunning(f.dir);
}

std::vector<json> ReadSnapshotFile(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    fmt::print(stderr, "kubedouble snapshot: cannot read {}\n", file);
    throw Exit{2};
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
    throw Exit{2};
  }
  return objects;
}

void WriteSnapshotFile(const std::string& file, const std::vector<json>& objects) {
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
    throw Exit{1};
  }
}

void Save(SnapshotFlags& f) {
  std::vector<json> objects;
  std::string from;
  if (Online(f)) {
    auto client = Connect(f);
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
      throw Exit{1};
    }
    objects = fake::ReadStoreLog(wal);
    from = wal.string();
  }
  WriteSnapshotFile(f.file, objects);
  fmt::print("kubedouble snapshot: saved {} objects from {} to {}\n", objects.size(), from, f.file);
}

void Restore(SnapshotFlags& f) {
  std::vector<json> objects = ReadSnapshotFile(f.file);
  if (Online(f)) {
    auto client = Connect(f);
    json list = {{"apiVersion", "v1"}, {"kind", "List"}, {"items", objects}};
    json answer = json::parse(client.Post("/__kubedouble/snapshot", list.dump()));
    fmt::print("kubedouble snapshot: restored {} objects from {} into the running server\n",
               answer.value("restored", 0), f.file);
    return;
  }
  fs::path wal = fake::StoreLogPath(f.dir);
  fs::create_directories(f.dir);
  fake::WriteStoreLog(wal, objects);
  fmt::print(
      "kubedouble snapshot: wrote {} objects from {} to {}; `kubedouble serve --persist --dir {}` "
      "starts with them\n",
      objects.size(), f.file, wal.string(), f.dir);
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
    sub->callback([f, save] {
      RunWithErrors([&] {
        try {
          save ? Save(*f) : Restore(*f);
        } catch (const access::Error&) {
          throw;  // kubectl's wording (RunWithErrors)
        } catch (const std::exception& e) {
          fmt::print(stderr, "kubedouble snapshot: {}\n", e.what());
          throw Exit{1};
        }
      });
    });
  }
}

Registrar reg("snapshot", Setup);

}  // namespace
}  // namespace kubedouble::cli
