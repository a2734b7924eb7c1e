// The fakeserver tests' helpers: the toolkit's HTTPS client and temp dir (tests/common), and
// what only these tests use (a CRD, reading a file).
#pragma once

#include <httplib.h>
#include <kubedouble/certs/certs.h>
#include <kubedouble/fakeserver/journal.h>
#include <kubedouble/fakeserver/server.h>
#include <kubedouble/fakeserver/store.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "common/https_client.h"
#include "common/temp_dir.h"

namespace kubedouble::testing {

using json = nlohmann::json;

using test::AdminCert;
using test::AdminToken;
using test::Body;
using test::Client;
using test::Credentials;
using test::UserToken;

// The CustomResourceDefinition of crontabs.stable.example.com (kind CronTab, namespaced) with
// `versions` (each {"name", "served", "storage", "schema", ...}).
inline json CronTabCrd(json versions) {
  return {{"apiVersion", "apiextensions.k8s.io/v1"},
          {"kind", "CustomResourceDefinition"},
          {"metadata", {{"name", "crontabs.stable.example.com"}}},
          {"spec",
           {{"group", "stable.example.com"},
            {"scope", "Namespaced"},
            {"names", {{"plural", "crontabs"}, {"kind", "CronTab"}}},
            {"versions", std::move(versions)}}}};
}

inline std::string ReadText(const std::filesystem::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace kubedouble::testing
