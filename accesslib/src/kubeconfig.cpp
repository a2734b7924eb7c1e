// kubeconfig loading with client-go's clientcmd rules.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <kubedouble/base/yaml_json.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <map>
#include <set>
#include <string_view>

#include "kubedouble/accesslib/config.h"
#include "kubedouble/accesslib/error.h"
#include "kubedouble/base/encoding.h"
#include "util.h"

namespace kubedouble::access {
namespace fs = std::filesystem;

namespace {

// One named entry and the file that defined it (relative paths resolve against its folder).
struct Entry {
  YAML::Node node;
  fs::path file;
};

struct Merged {
  std::map<std::string, Entry> clusters, users, contexts;
  std::string current_context;
  fs::path first_file;
};

std::string Scalar(const YAML::Node& node, const char* key) {
  auto v = node[key];
  if (!v || v.IsNull()) return "";
  if (!v.IsScalar()) throw YAML::Exception(v.Mark(), fmt::format("field {} must be a string", key));
  return v.as<std::string>();
}

bool Bool(const YAML::Node& node, const char* key) {
  auto v = node[key];
  if (!v || v.IsNull()) return false;
  return v.as<bool>();
}

// A user's as, as-uid, as-groups (a list) and as-user-extra (a map of lists).
void ReadImpersonation(const YAML::Node& user, Config& c) {
  c.impersonate_user = Scalar(user, "as");
  c.impersonate_uid = Scalar(user, "as-uid");
  if (auto groups = user["as-groups"]; groups && !groups.IsNull()) {
    if (!groups.IsSequence())
      throw YAML::Exception(groups.Mark(), "field as-groups must be a list of strings");
    for (const auto& g : groups) c.impersonate_groups.push_back(g.as<std::string>());
  }
  if (auto extra = user["as-user-extra"]; extra && !extra.IsNull()) {
    if (!extra.IsMap())
      throw YAML::Exception(extra.Mark(), "field as-user-extra must be a map of lists");
    for (const auto& kv : extra) {
      if (!kv.second.IsSequence())
        throw YAML::Exception(kv.second.Mark(), "field as-user-extra must be a map of lists");
      auto& values = c.impersonate_extra[kv.first.as<std::string>()];
      for (const auto& v : kv.second) values.push_back(v.as<std::string>());
    }
  }
}

void MergeList(const YAML::Node& root, const char* list, const char* inner,
               std::map<std::string, Entry>& into, const fs::path& file) {
  auto seq = root[list];
  if (!seq || seq.IsNull()) return;
  if (!seq.IsSequence())
    throw YAML::Exception(seq.Mark(), fmt::format("field {} must be a list", list));
  for (const auto& item : seq) {
    std::string name = Scalar(item, "name");
    YAML::Node body = item[inner];
    if (!body) body = YAML::Node(YAML::NodeType::Map);
    if (!body.IsNull() && !body.IsMap())  // e.g. `user: token`, a scalar
      throw YAML::Exception(
          body.Mark(), fmt::format("field {} of \"{}\" in {} must be a map", inner, name, list));
    into.emplace(name, Entry{body, file});  // first file that defines a name wins
  }
}

// yaml-cpp scans a scalar one character at a time through its RegEx matcher, which costs about
// 2,000 instructions a character, and a kubeconfig is mostly base64 certificate data. So a long
// run of base64 characters that is a whole value (`key: RUN` or `key: "RUN"` to the end of the
// line) is swapped for a short placeholder made of characters that play the same part in YAML,
// and the runs are put back into the parsed tree's scalars. The document's structure, lines and
// folding are unchanged; a placeholder found in a map key, or any parse error, falls back to
// parsing the original text, so results and error messages are those of yaml-cpp on the text.
constexpr size_t kLongRun = 32;
constexpr std::string_view kPlaceholder = "kubedoubleLongScalar";

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/' || c == '=';
}

// The text with long values replaced, and the values in placeholder order; empty runs when
// nothing was replaced (or the text already holds the placeholder word).
std::string ShortenLongValues(const std::string& text, std::vector<std::string>* runs) {
  if (text.find(kPlaceholder) != std::string::npos) return text;
  std::string out;
  size_t copied = 0, line = 0;
  while (line < text.size()) {
    size_t eol = text.find('\n', line);
    if (eol == std::string::npos) eol = text.size();
    // `  [- ]key: VALUE` with VALUE a long base64 run, plain or double-quoted.
    size_t i = line;
    while (i < eol && text[i] == ' ') i++;
    while (i + 1 < eol && text[i] == '-' && text[i + 1] == ' ') {
      i += 2;
      while (i < eol && text[i] == ' ') i++;
    }
    size_t key = i;
    while (i < eol && (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '-' ||
                       text[i] == '_' || text[i] == '.'))
      i++;
    if (i > key && i + 1 < eol && text[i] == ':' && text[i + 1] == ' ') {
      i++;
      while (i < eol && text[i] == ' ') i++;
      bool quoted = i < eol && text[i] == '"';
      size_t begin = quoted ? i + 1 : i, end = begin;
      while (end < eol && IsBase64Char(text[end])) end++;
      size_t tail = end;
      if (quoted && tail < eol && text[tail] == '"') tail++;
      bool closed = !quoted || (tail > end);
      while (tail < eol && (text[tail] == ' ' || text[tail] == '\r')) tail++;
      if (closed && tail == eol && end - begin >= kLongRun) {
        out.append(text, copied, begin - copied);
        out.append(kPlaceholder);
        out.append(std::to_string(runs->size()));
        out.push_back('x');  // ends the number: placeholder 1 is not a prefix of 10
        runs->push_back(text.substr(begin, end - begin));
        copied = end;
      }
    }
    line = eol + 1;
  }
  if (runs->empty()) return text;
  out.append(text, copied, std::string::npos);
  return out;
}

std::string RestoreRuns(const std::string& scalar, const std::vector<std::string>& runs) {
  std::string out;
  size_t from = 0;
  for (size_t at = scalar.find(kPlaceholder); at != std::string::npos;
       at = scalar.find(kPlaceholder, from)) {
    size_t n = at + kPlaceholder.size(), digits = n;
    while (digits < scalar.size() && std::isdigit(static_cast<unsigned char>(scalar[digits])))
      digits++;
    if (digits == n || digits >= scalar.size() || scalar[digits] != 'x') {
      out.append(scalar, from, n - from);
      from = n;
      continue;
    }
    size_t index = std::stoul(scalar.substr(n, digits - n));
    out.append(scalar, from, at - from);
    out.append(index < runs.size() ? runs[index] : scalar.substr(at, digits + 1 - at));
    from = digits + 1;
  }
  out.append(scalar, from, std::string::npos);
  return out;
}

// Puts the runs back into every scalar; false when a map key holds a placeholder.
bool Restore(YAML::Node node, const std::vector<std::string>& runs) {
  if (node.IsScalar()) {
    if (node.Scalar().find(kPlaceholder) != std::string::npos)
      node = RestoreRuns(node.Scalar(), runs);
    return true;
  }
  if (node.IsSequence()) {
    for (auto item : node)
      if (!Restore(item, runs)) return false;
    return true;
  }
  if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar().find(kPlaceholder) != std::string::npos)
        return false;
      if (!it->first.IsScalar() && !Restore(it->first, runs)) return false;
      if (!Restore(it->second, runs)) return false;
    }
  }
  return true;
}

YAML::Node LoadYaml(const std::string& text) {
  std::vector<std::string> runs;
  std::string shortened = ShortenLongValues(text, &runs);
  if (!runs.empty()) {
    try {
      YAML::Node root = base::LoadYaml(shortened);
      if (Restore(root, runs)) return root;
    } catch (const YAML::Exception&) {
      // parse the original text below, for yaml-cpp's own message
    }
  }
  return base::LoadYaml(text);
}

Merged LoadFiles(const std::vector<fs::path>& files) {
  Merged m;
  for (const auto& file : files) {
    if (m.first_file.empty()) m.first_file = file;
    std::string why;
    auto text = detail::TryReadFile(file, &why);
    if (!text)
      throw Error::Config(fmt::format("error loading config file \"{}\": {}", file.string(), why),
                          {file.string(), "", ""});
    try {
      YAML::Node root = LoadYaml(*text);
      if (!root || root.IsNull()) continue;  // an empty file is allowed
      if (!root.IsMap()) throw YAML::Exception(root.Mark(), "not a kubeconfig (expected a map)");
      MergeList(root, "clusters", "cluster", m.clusters, file);
      MergeList(root, "users", "user", m.users, file);
      MergeList(root, "contexts", "context", m.contexts, file);
      if (m.current_context.empty()) m.current_context = Scalar(root, "current-context");
    } catch (const YAML::Exception& e) {
      throw Error::Config(
          fmt::format("error loading config file \"{}\": {}", file.string(), e.what()),
          {file.string(), "", ""});
    }
  }
  return m;
}

fs::path Resolve(const std::string& value, const fs::path& file) {
  if (value.empty()) return {};
  fs::path p(value);
  if (p.is_relative()) p = file.parent_path() / p;
  return p;
}

std::string Data(const YAML::Node& node, const char* key, const std::string& entry,
                 const fs::path& file) {
  std::string raw = Scalar(node, key);
  if (raw.empty()) return "";
  // A long value folded over lines reads with spaces where the line ends were; they are skipped
  // (as they always were here), while Go's decoder skips only line ends.
  std::erase_if(raw, [](char c) { return c == ' ' || c == '\t'; });
  auto decoded = base::Base64Decode(raw);
  if (!decoded)
    throw Error::Config(
        fmt::format("error loading config file \"{}\": illegal base64 data in {} of {}",
                    file.string(), key, entry),
        {file.string(), entry, key});
  return *decoded;
}

}  // namespace

std::vector<fs::path> KubeconfigPaths(const KubeconfigOptions& options) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!options.explicit_path.empty()) {
    out.emplace_back(options.explicit_path);
    return out;
  }
  auto env = options.env ? options.env("KUBECONFIG") : std::nullopt;
  if (env && !env->empty()) {
    std::set<std::string> seen;
    size_t start = 0;
    while (start <= env->size()) {
      size_t end = env->find(':', start);
      if (end == std::string::npos) end = env->size();
      std::string p = env->substr(start, end - start);
      start = end + 1;
      if (p.empty() || !seen.insert(p).second) continue;
      if (fs::exists(p, ec)) out.emplace_back(p);  // missing files are skipped
    }
    return out;
  }
  auto home = options.env ? options.env("HOME") : std::nullopt;
  if (home && !home->empty()) {
    fs::path p = fs::path(*home) / ".kube" / "config";
    if (fs::exists(p, ec)) out.push_back(p);
  }
  return out;
}

Config LoadKubeconfig(const KubeconfigOptions& options) {
  if (!options.explicit_path.empty()) {
    std::error_code ec;
    if (!fs::exists(options.explicit_path, ec))
      throw Error::Config(fmt::format("stat {}: no such file or directory", options.explicit_path),
                          {options.explicit_path, "", "kubeconfig"});
  }
  Merged m = LoadFiles(KubeconfigPaths(options));
  std::string file = m.first_file.string();

  Config c;
  c.source = "kubeconfig";
  c.source_file = file;
  c.context = options.context.empty() ? m.current_context : options.context;

  Entry context_entry;
  if (c.context.empty()) {
    if (m.clusters.empty() && m.contexts.empty() && options.cluster.empty())
      throw Error::Config(
          "invalid configuration: no configuration has been provided, try setting "
          "KUBERNETES_MASTER environment variable",
          {file, "", "current-context"});
    if (options.cluster.empty())
      throw Error::Config("invalid configuration: no context chosen",
                          {file, "", "current-context"});
  } else {
    auto it = m.contexts.find(c.context);
    if (it == m.contexts.end())
      throw Error::Config(fmt::format("context \"{}\" does not exist", c.context),
                          {file, fmt::format("context \"{}\"", c.context), "current-context"});
    context_entry = it->second;
    file = context_entry.file.string();
  }
  const std::string context_label = fmt::format("context \"{}\"", c.context);

  try {
    const YAML::Node& ctx = context_entry.node;
    c.cluster_name =
        options.cluster.empty() ? (ctx ? Scalar(ctx, "cluster") : "") : options.cluster;
    c.user_name = options.user.empty() ? (ctx ? Scalar(ctx, "user") : "") : options.user;
    std::string ns = ctx ? Scalar(ctx, "namespace") : "";
    c.namespace_name = !options.namespace_name.empty() ? options.namespace_name
                       : !ns.empty()                   ? ns
                                                       : "default";
  } catch (const YAML::Exception& e) {
    throw Error::Config(fmt::format("error loading config file \"{}\": {}", file, e.what()),
                        {file, context_label, ""});
  }

  // ---- cluster ----
  if (c.cluster_name.empty())
    throw Error::Config("invalid configuration: cluster has no server defined",
                        {file, context_label, "cluster"});
  auto cluster_it = m.clusters.find(c.cluster_name);
  if (cluster_it == m.clusters.end())
    throw Error::Config(
        fmt::format("invalid configuration: cluster \"{}\" was not found for context \"{}\"",
                    c.cluster_name, c.context),
        {file, context_label, "cluster"});
  {
    const Entry& e = cluster_it->second;
    const std::string label = fmt::format("cluster \"{}\"", c.cluster_name);
    const std::string efile = e.file.string();
    try {
      c.server = Scalar(e.node, "server");
      c.tls_server_name = Scalar(e.node, "tls-server-name");
      c.insecure = Bool(e.node, "insecure-skip-tls-verify");
      c.proxy_url = Scalar(e.node, "proxy-url");
      c.disable_compression = Bool(e.node, "disable-compression");
      c.ca_file = Resolve(Scalar(e.node, "certificate-authority"), e.file).string();
      c.ca_data = Data(e.node, "certificate-authority-data", label, e.file);
    } catch (const YAML::Exception& ex) {
      throw Error::Config(fmt::format("error loading config file \"{}\": {}", efile, ex.what()),
                          {efile, label, ""});
    }
    if (c.server.empty())
      throw Error::Config("invalid configuration: cluster has no server defined",
                          {efile, label, "server"});
    // client-go words this as if the data would win, but reports it as a validation error:
    // kubectl 1.32 refuses such a kubeconfig.
    if (!c.ca_data.empty() && !c.ca_file.empty())
      throw Error::Config(
          fmt::format(
              "certificate-authority-data and certificate-authority are both specified for {}. "
              "certificate-authority-data will override.",
              c.cluster_name),
          {efile, label, "certificate-authority"});
  }

  // ---- user ----
  if (!c.user_name.empty()) {
    auto user_it = m.users.find(c.user_name);
    if (user_it == m.users.end())
      throw Error::Config(
          fmt::format("invalid configuration: user \"{}\" was not found for context \"{}\"",
                      c.user_name, c.context),
          {file, context_label, "user"});
    const Entry& e = user_it->second;
    const std::string label = fmt::format("user \"{}\"", c.user_name);
    const std::string efile = e.file.string();
    if (e.node["exec"] && !e.node["exec"].IsNull())
      throw Error::Config(
          fmt::format("user \"{}\" uses an exec credential plugin, which is not supported by "
                      "kubedouble's access library; use a token, token file or client certificate",
                      c.user_name),
          {efile, label, "exec"});
    if (e.node["auth-provider"] && !e.node["auth-provider"].IsNull())
      throw Error::Config(
          fmt::format("user \"{}\" uses an auth-provider, which is not supported by kubedouble's "
                      "access library; use a token, token file or client certificate",
                      c.user_name),
          {efile, label, "auth-provider"});
    try {
      c.client_cert_file = Resolve(Scalar(e.node, "client-certificate"), e.file).string();
      c.client_cert_data = Data(e.node, "client-certificate-data", label, e.file);
      c.client_key_file = Resolve(Scalar(e.node, "client-key"), e.file).string();
      c.client_key_data = Data(e.node, "client-key-data", label, e.file);
      c.token = Scalar(e.node, "token");
      c.token_file = Resolve(Scalar(e.node, "tokenFile"), e.file).string();
      c.username = Scalar(e.node, "username");
      c.password = Scalar(e.node, "password");
      ReadImpersonation(e.node, c);
    } catch (const YAML::Exception& ex) {
      throw Error::Config(fmt::format("error loading config file \"{}\": {}", efile, ex.what()),
                          {efile, label, ""});
    }
    // As for the CA: client-go's validation refuses data and file given together.
    std::vector<std::string> both;
    std::string field;
    if (!c.client_cert_data.empty() && !c.client_cert_file.empty()) {
      field = "client-certificate";
      both.push_back(fmt::format(
          "client-cert-data and client-cert are both specified for {}. client-cert-data will "
          "override.",
          c.user_name));
    }
    if (!c.client_key_data.empty() && !c.client_key_file.empty()) {
      if (field.empty()) field = "client-key";
      both.push_back(fmt::format(
          "client-key-data and client-key are both specified for {}; client-key-data will "
          "override",
          c.user_name));
    }
    if (c.impersonate_user.empty() &&
        (!c.impersonate_uid.empty() || !c.impersonate_groups.empty() ||
         !c.impersonate_extra.empty())) {
      throw Error::Config(
          fmt::format("invalid configuration: requesting uid, groups or user-extra for {} "
                      "without impersonating a user",
                      c.user_name),
          {efile, label, "as"});
    }
    if (!both.empty())
      throw Error::Config(both.size() == 1
                              ? "invalid configuration: " + both[0]
                              : fmt::format("invalid configuration: [{}]", fmt::join(both, ", ")),
                          {efile, label, field});
  }

  // A server without a scheme: https when TLS material is configured, else http.
  if (c.server.find("://") == std::string::npos)
    c.server = (c.HasCa() || c.HasClientCert() || c.insecure ? "https://" : "http://") + c.server;
  try {
    Validate(c);
  } catch (Error& e) {
    ConfigLocation where = e.config();
    if (where.file.empty()) where.file = file;
    throw Error::Config(e.what(), where);
  }
  return c;
}

}  // namespace kubedouble::access
