// Reading the objects of --fixtures files and folders (objects_file.h); --policy files are read
// by rbac/policy.cpp, beside the format they convert.
#include "kubedouble/fakeserver/objects_file.h"

#include <fmt/format.h>
#include <kubedouble/base/yaml_json.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <stdexcept>

#include "kubedouble/certs/certs.h"

namespace kubedouble::fake {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

void LoadFixtureFile(const fs::path& file, std::vector<SourcedObject>& out) {
  std::string text;
  try {
    text = certs::ReadFile(file);
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("fixtures {}: cannot read: {}", file.string(), e.what()));
  }
  std::vector<YAML::Node> docs;
  try {
    docs = base::LoadAllYaml(text);
  } catch (const YAML::Exception& e) {
    // yaml-cpp counts lines from 0.
    throw std::runtime_error(fmt::format("fixtures {}: line {}: not valid YAML or JSON: {}",
                                         file.string(), e.mark.line + 1, e.msg));
  }
  int n = 0;
  for (const auto& doc : docs) {
    ++n;
    if (!doc || doc.IsNull()) continue;
    std::string where = fmt::format("fixtures {}: document {}", file.string(), n);
    json object;
    try {
      object = base::YamlToJson(doc);  // a merge of a scalar, a key that is a list
    } catch (const YAML::Exception& e) {
      throw std::runtime_error(fmt::format("{}: line {}: {}", where, e.mark.line + 1, e.msg));
    }
    out.push_back({std::move(object), std::move(where)});
  }
}

}  // namespace

std::vector<SourcedObject> LoadFixtureObjects(const fs::path& path) {
  std::vector<SourcedObject> out;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(path)) {
      auto ext = e.path().extension().string();
      if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml" || ext == ".json")) {
        files.push_back(e.path());
      }
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) LoadFixtureFile(f, out);
    return out;
  }
  if (!fs::exists(path, ec)) {
    throw std::runtime_error(fmt::format("fixtures {}: no such file or folder", path.string()));
  }
  LoadFixtureFile(path, out);
  return out;
}

}  // namespace kubedouble::fake
