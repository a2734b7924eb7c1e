#include <fmt/format.h>

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <system_error>

#include "kubedouble/fakeserver/journal.h"
#include "kubedouble/fakeserver/server.h"

namespace kubedouble::fake {

namespace fs = std::filesystem;

namespace {
fs::path MakeTempDir() {
  std::string pattern = (fs::temp_directory_path() / "kubedouble-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("cannot create a temporary state folder under " +
                             fs::temp_directory_path().string());
  }
  return pattern;
}
}  // namespace

TestServer::TestServer(ServerOptions options) : dir_(MakeTempDir()) {
  options.dir = dir_;
  options.port = 0;
  try {
    server_ = std::make_unique<Server>(std::move(options));
    server_->Start();
  } catch (...) {
    server_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
    throw;
  }
  url_ = server_->url();
}

TestServer::~TestServer() {
  server_.reset();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

int TestServer::port() const { return server_->port(); }
const StatePaths& TestServer::paths() const { return server_->paths(); }
std::string TestServer::ca_pem() const { return server_->bundle().ca.cert.Pem(); }
Journal& TestServer::journal() { return server_->journal(); }

}  // namespace kubedouble::fake
