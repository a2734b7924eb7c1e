#include "kubeconfig_yaml.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "kubedouble/base/encoding.h"

namespace kubedouble::fake {

namespace {

constexpr char kName[] = "kubedouble";
constexpr char kNoCredentials[] = "no credentials: the server reads a blank token as none";

bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// A value yaml-cpp writes as a plain scalar, unquoted: a URL ("scheme://...") of letters, digits
// and . - _ ~ % : / [ ], not ending in ':' (which would end the scalar).
bool IsPlainUrl(std::string_view s) {
  if (s.empty() || !IsLetter(s.front()) || s.back() == ':' ||
      s.find("://") == std::string_view::npos) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return IsLetter(c) || IsDigit(c) ||
           std::string_view(".-_~%:/[]").find(c) != std::string_view::npos;
  });
}

// A user name yaml-cpp writes plain: lower-case letters, digits and '-', starting with a letter,
// and no word YAML reads as a boolean or null.
bool IsPlainName(std::string_view s) {
  static constexpr std::array<std::string_view, 9> kReserved = {"y",   "n",    "yes",   "no",  "on",
                                                                "off", "true", "false", "null"};
  if (s.empty() || !IsLetter(s.front())) return false;
  if (std::find(kReserved.begin(), kReserved.end(), s) != kReserved.end()) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || IsDigit(c) || c == '-'; });
}

// A value yaml-cpp double-quotes with nothing to escape: printable ASCII without '"' and '\'.
bool NeedsNoEscape(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\'; });
}

}  // namespace

std::string KubeconfigYaml(const KubeconfigCluster& cluster, const KubeconfigUser& user) {
  const bool no_credentials = user.token.empty() && !user.blank_token && user.client_cert.empty();
  if (!IsPlainUrl(cluster.server) || !IsPlainName(user.name) || !NeedsNoEscape(user.token) ||
      no_credentials) {
    return KubeconfigYamlEmitted(cluster, user);
  }
  std::string out;
  out.reserve(256 + 2 * (cluster.ca_pem.size() + user.client_cert.size() + user.client_key.size()));
  auto add = [&out](std::string_view a) { out.append(a); };
  add("apiVersion: v1\nkind: Config\nclusters:\n  - name: ");
  add(kName);
  add("\n    cluster:\n      server: ");
  add(cluster.server);
  if (cluster.insecure) {
    add("\n      insecure-skip-tls-verify: true");
  } else {
    add("\n      certificate-authority-data: \"");
    add(base::Base64Encode(cluster.ca_pem));
    add("\"");
  }
  fmt::format_to(std::back_inserter(out),
                 "\ncontexts:\n  - name: {0}\n    context:\n      cluster: {0}\n      user: {1}\n"
                 "current-context: {0}\npreferences:\n  {{}}\nusers:\n  - name: {1}\n    user:",
                 kName, user.name);
  if (!user.token.empty())
    fmt::format_to(std::back_inserter(out), "\n      token: \"{}\"", user.token);
  if (user.blank_token) {
    fmt::format_to(std::back_inserter(out), "\n      token: \" \"  # {}", kNoCredentials);
  }
  if (!user.client_cert.empty()) {
    add("\n      client-certificate-data: \"");
    add(base::Base64Encode(user.client_cert));
    add("\"\n      client-key-data: \"");
    add(base::Base64Encode(user.client_key));
    add("\"");
  }
  add("\n");
  return out;
}

// Long scalars are written double-quoted: deciding whether a plain scalar is safe runs yaml-cpp's
// regular expressions over every character.
std::string KubeconfigYamlEmitted(const KubeconfigCluster& cluster, const KubeconfigUser& user) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "apiVersion" << YAML::Value << "v1";
  out << YAML::Key << "kind" << YAML::Value << "Config";
  out << YAML::Key << "clusters" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << kName;
  out << YAML::Key << "cluster" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "server" << YAML::Value << cluster.server;
  if (cluster.insecure) {
    out << YAML::Key << "insecure-skip-tls-verify" << YAML::Value << true;
  } else {
    out << YAML::Key << "certificate-authority-data" << YAML::Value << YAML::DoubleQuoted
        << base::Base64Encode(cluster.ca_pem);
  }
  out << YAML::EndMap << YAML::EndMap << YAML::EndSeq;
  out << YAML::Key << "contexts" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << kName;
  out << YAML::Key << "context" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "cluster" << YAML::Value << kName;
  out << YAML::Key << "user" << YAML::Value << user.name;
  out << YAML::EndMap << YAML::EndMap << YAML::EndSeq;
  out << YAML::Key << "current-context" << YAML::Value << kName;
  out << YAML::Key << "preferences" << YAML::Value << YAML::BeginMap << YAML::EndMap;
  out << YAML::Key << "users" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << user.name;
  out << YAML::Key << "user" << YAML::Value << YAML::BeginMap;
  if (!user.token.empty())
    out << YAML::Key << "token" << YAML::Value << YAML::DoubleQuoted << user.token;
  if (user.blank_token) {
    out << YAML::Key << "token" << YAML::Value << YAML::DoubleQuoted << " ";
    out << YAML::Comment(kNoCredentials);
  }
  if (!user.client_cert.empty()) {
    out << YAML::Key << "client-certificate-data" << YAML::Value << YAML::DoubleQuoted
        << base::Base64Encode(user.client_cert);
    out << YAML::Key << "client-key-data" << YAML::Value << YAML::DoubleQuoted
        << base::Base64Encode(user.client_key);
  }
  out << YAML::EndMap << YAML::EndMap << YAML::EndSeq;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace kubedouble::fake
