// Server life cycle: PKI, tokens, fixtures, TLS listener, state folder, stop.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <functional>
#include <future>
#include <stdexcept>
#include <thread>

#include "advertise.h"
#include "answers_at_once.h"
#include "clock/rotation.h"
#include "fixtures.h"
#include "kubedouble/base/strings.h"
#include "kubedouble/fakeserver/persist.h"
#include "kubedouble/fakeserver/static_tokens.h"
#include "rbac/policy.h"
#include "request_limits.h"
#include "server_impl.h"
#include "state_folder.h"
#include "state_lock.h"
#include "status.h"
#include "util.h"

namespace kubedouble::fake {

namespace fs = std::filesystem;

namespace {

const certs::KeyPair& ServingPair(const certs::Bundle& b, ServeCert which) {
  switch (which) {
    case ServeCert::kExpired:
      return b.expired_server;
    case ServeCert::kNotYetValid:
      return b.not_yet_valid_server;
    case ServeCert::kWrongHost:
      return b.wrong_host_server;
    case ServeCert::kRogue:
      return b.rogue_server;
    case ServeCert::kGood:
      break;
  }
  return b.server;
}

// Accept any client certificate during the handshake; the authenticator verifies it against
// the CA for each request (an invalid one then gives 401, as on kube-apiserver).
int AcceptAnyClientCert(int, X509_STORE_CTX*) { return 1; }

std::vector<StaticToken> GenerateTokens() {
  return {
      {util::RandomHex(32),
       std::string(certs::kAdminUser),
       util::RandomUuid(),
       {std::string(certs::kAdminGroup)}},
      {util::RandomHex(32), "kubedouble-user", util::RandomUuid(), {}},
  };
}

}  // namespace

Server::Impl::Impl(ServerOptions o) : options(std::move(o)) {
  clock = std::make_shared<ServerClock>(options.clock == ClockMode::kFake);
  faults = std::make_unique<FaultSet>();
  registry = std::make_shared<Registry>();
  store = std::make_unique<Store>(registry, [c = clock] { return c->Now(); });
  store->SetCompactionWindow(options.compaction_window);
  journal = std::make_unique<Journal>(options.journal_size, options.journal_file);
  discovery = std::make_unique<Discovery>(registry);
  openapi = std::make_unique<OpenApi>(*store);
  FillPaths(paths, options.dir);
}

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Server::~Server() { Stop(); }

void Server::Start() {
  Impl& d = *impl_;
  {
    std::lock_guard lock(d.mu);
    if (d.started) throw std::runtime_error("the server was already started");
    d.started = true;
  }
  const ServerOptions& o = d.options;
  if (o.port < 0 || o.port > 65535) {
    throw std::runtime_error(fmt::format("invalid port {} (expected 0 to 65535)", o.port));
  }
  for (const auto& san : o.extra_sans) {
    if (!certs::IsValidSan(san)) {
      throw std::runtime_error(
          fmt::format("invalid --san \"{}\": not a DNS name or an IP address", san));
    }
  }
  if (o.sa_token_ttl.count() < 1 || o.sa_token_grace.count() < 0) {
    throw std::runtime_error("the service-account token TTL must be positive, its grace >= 0");
  }
  for (const auto& rule : o.faults) d.faults->Add(rule);
  d.authz = std::make_unique<Authorizer>(std::string(Name(o.authorization)));
  d.authz->Observe(*d.store);
  d.file_trees.Follow(*d.store);
  // The bootstrap policy (43 KB of JSON: 5 M instructions to parse, 6 M to store) is parsed and
  // stored on a thread of its own from here, while this one loads the PKI and the objects' thread
  // (below) the fixtures: the policy and the fixtures are kinds apart, and whoever stores a user's
  // --policy or --fixtures over them waits for it (LoadWorld). With persist the store may be
  // restored from its log instead, which only the objects' thread knows: this one then parses
  // the policy and hands it over. Every exit from here on joins it (JoinOnExit).
  struct JoinOnExit {
    std::thread& t;
    ~JoinOnExit() {
      if (t.joinable()) t.join();
    }
  };
  std::promise<std::vector<json>> rbac_parsed;
  std::future<std::vector<json>> rbac_objects = rbac_parsed.get_future();
  std::thread rbac_parser;
  if (d.authz->mode() == "RBAC") {
    rbac_parser = std::thread([&rbac_parsed, store = d.store.get(), persist = o.persist] {
      try {
        std::vector<json> objects = BootstrapRbacObjects();
        if (!persist) {
          PutOwnObjects(*store, std::move(objects), "the bootstrap policy");
          objects.clear();  // stored: nothing left to hand over
        }
        rbac_parsed.set_value(std::move(objects));
      } catch (...) {
        rbac_parsed.set_exception(std::current_exception());
      }
    });
  }
  JoinOnExit join_rbac_parser{rbac_parser};

  // The serving certificate names the advertised host too.
  certs::BundleOptions bo;
  bo.key_type = o.key_type;
  bo.extra_sans = o.extra_sans;
  const std::string advertised_host = AdvertisedHost(o);
  const std::vector<std::string> default_sans = certs::DefaultServerSans();
  auto named = [&](const std::vector<std::string>& sans) {
    return std::find(sans.begin(), sans.end(), advertised_host) != sans.end();
  };
  if (!named(default_sans) && !named(bo.extra_sans)) bo.extra_sans.push_back(advertised_host);

  // State folder (one server at a time) and PKI. An existing cluster CA is kept: what is missing
  // or lacks a name is minted again with it (certs::RepairBundle); only fresh_pki replaces it.
  PrepareStateFolder(o.dir);
  d.state_lock = std::make_unique<StateLock>(o.dir);
  std::error_code ec;
  bool mint = o.fresh_pki || !fs::is_regular_file(d.paths.pki_dir / "ca.crt", ec) ||
              !fs::is_regular_file(d.paths.pki_dir / "ca.key", ec);
  if (!mint && certs::BundleExists(d.paths.pki_dir) && bo.extra_sans.empty()) {
    d.bundle = certs::LoadBundle(d.paths.pki_dir);  // the common case: nothing to check
  } else if (!mint) {
    d.bundle = certs::RepairBundle(d.paths.pki_dir, bo);
  } else {
    d.bundle = certs::MintBundle(bo);
    certs::SaveBundle(d.bundle, d.paths.pki_dir);
  }
  const certs::KeyPair& serving = ServingPair(d.bundle, o.serve_cert);
  std::string ca_pem = d.bundle.ca.cert.Pem();

  // Static tokens: the user's, the existing tokens.csv, or new random ones.
  std::vector<StaticToken> tokens = o.tokens;
  if (tokens.empty() && !mint && fs::exists(d.paths.tokens_csv)) {
    // The tokens clients already hold: one that does not parse is an error naming its line
    // (ParseTokenFile), never silently replaced by new tokens.
    tokens = ParseTokenFile(certs::ReadFile(d.paths.tokens_csv), d.paths.tokens_csv.string());
    if (tokens.empty()) {
      throw std::runtime_error(
          fmt::format("{} has no tokens; delete it (or pass --fresh-pki) to mint new ones",
                      d.paths.tokens_csv.string()));
    }
  }
  if (tokens.empty()) tokens = GenerateTokens();
  certs::WriteFileIfChanged(d.paths.tokens_csv, FormatTokenFile(tokens),
                            fs::perms::owner_read | fs::perms::owner_write);
  d.paths.admin_token = tokens[0].token;
  d.paths.user_token = tokens.size() > 1 ? tokens[1].token : "";
  d.paths.user_name = tokens.size() > 1 ? tokens[1].user : "";

  // The world.
  d.issuer = std::make_unique<TokenIssuer>(d.bundle.service_account);
  d.ca_pem = ca_pem;
  // The objects (with persist, those of the last run; the fixtures only into an empty store) are
  // loaded on a second thread, beside the bootstrap policy's (above), while this one sets
  // up TLS, binds the port and writes the kubeconfigs, which need nothing of them: the two halves
  // of the start overlap on a machine with a core to spare. Joined before anything reads the
  // store (the service-account token's rotation, below).
  std::exception_ptr world_error;
  std::thread world([&d, &o, &world_error, &rbac_objects] {
    try {
      const bool restored = o.persist && d.store->Persist(StoreLogPath(o.dir).string());
      if (!restored) d.LoadWorld([&rbac_objects] { return rbac_objects.get(); });
    } catch (...) {
      world_error = std::current_exception();
    }
  });
  JoinOnExit join_world{world};
  auto world_loaded = [&] {
    world.join();
    if (world_error) std::rethrow_exception(world_error);
  };
  // OpenSSL's random generator is set up here (TLS needs it, as the fixtures' token does), while
  // the other thread stores the namespaces.
  unsigned char warm_up[1];
  RAND_bytes(warm_up, sizeof warm_up);

  auto sas = d.registry->Find("", "v1", "serviceaccounts");
  auto secrets = d.registry->Find("", "v1", "secrets");
  Store* store = d.store.get();
  Impl* impl = &d;
  d.authn = std::make_unique<Authenticator>(
      d.bundle.ca.cert, tokens, d.issuer.get(),
      [store, sas, secrets, impl](const TokenClaims& c) {
        if (!sas) return false;
        // A replaced serviceaccount/token past its grace period (clock/rotation.h).
        if (impl->rotation && !c.jti.empty() && !impl->rotation->Valid(c.jti)) return false;
        std::optional<json> sa = store->Find(*sas, c.sa.ns, c.sa.name);
        if (!sa) return false;
        if (!c.sa.uid.empty() && (*sa)["metadata"].value("uid", "") != c.sa.uid) return false;
        return !c.legacy || c.secret_name.empty() || !secrets ||
               store->Contains(*secrets, c.sa.ns, c.secret_name);
      },
      o.anonymous);
  d.authn->set_now([c = d.clock] { return c->Now(); });

  // TLS listener (net/http_server.h): the connections, their limits and timeouts.
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  struct FreeCtx {
    SSL_CTX* ctx;
    ~FreeCtx() { SSL_CTX_free(ctx); }
  } free_ctx{ctx};
  if (ctx == nullptr || SSL_CTX_use_certificate(ctx, serving.cert.get()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx, serving.key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    throw std::runtime_error("cannot set up TLS with the serving certificate and key");
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // No TLS 1.3 session tickets: no client of this field resumes sessions, and cpp-httplib's
  // client (accesslib's transport) sleeps 1 ms for every ticket record it reads.
  SSL_CTX_set_num_tickets(ctx, 0);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, AcceptAnyClientCert);
  static const unsigned char kSessionContext[] = "kubedouble";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
  STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
  sk_X509_NAME_push(names, X509_NAME_dup(X509_get_subject_name(d.bundle.ca.cert.get())));
  SSL_CTX_set_client_CA_list(ctx, names);
  net::HttpServerOptions http_options;
  http_options.address = o.address;
  http_options.port = o.port;
  // Limits left at 0: as many as this process can hold (server.h).
  const size_t max_connections =
      o.max_connections != 0 ? o.max_connections : net::ConnectionsTheFileLimitAllows();
  const size_t max_watches = o.max_watches != 0 ? o.max_watches : max_connections;
  http_options.max_connections = max_connections;
  http_options.head_timeout = o.head_timeout;
  http_options.max_body = kMaxRequestBody;
  http_options.http2 = o.http2;
  // Every request goes to the handler (handler.h), built from the parts it reads, which all
  // exist by now (the token rotation is read through its owner: it starts below).
  d.handler = std::make_unique<RequestHandler>(RequestHandler{
      .authn = *d.authn,
      .authz = *d.authz,
      .faults = *d.faults,
      .journal = *d.journal,
      .clock = *d.clock,
      .log_requests = o.log_requests,
      .max_connections = max_connections,
      .admin = {o.admin_token, d.paths.serviceaccount_dir, *d.journal, *d.faults, *d.registry,
                *d.store, *d.clock, d.rotation, [impl = &d] { impl->LoadWorld(); }},
      .resources = {.store = *d.store,
                    .registry = *d.registry,
                    .clock = *d.clock,
                    .authz = *d.authz,
                    .authn = *d.authn,
                    .issuer = *d.issuer,
                    .file_trees = d.file_trees,
                    .port_rules = d.port_rules,
                    .proxy_turn = d.proxy_turn,
                    .watches = d.watches,
                    .max_watches = max_watches,
                    .stopping = d.stopping},
      .non_resources = {*d.discovery, *d.openapi, d.server_address},
  });
  RequestHandler* handler = d.handler.get();
  FaultSet* faults = d.faults.get();
  http_options.answers_at_once = [faults](const httplib::Request& req) {
    return AnswersAtOnce(req, *faults);
  };
  d.http = std::make_unique<net::HttpServer>(
      http_options, ctx, [handler](net::Exchange& ex) { handler->Handle(ex); },
      [handler](const httplib::Request& req, int status) { handler->Refused(req, status); });
  int port = 0;
  try {
    port = d.http->Bind();
  } catch (const std::exception& e) {
    throw std::runtime_error(o.port == 0 ? fmt::format("{} (an ephemeral port)", e.what())
                                         : std::string(e.what()));
  }
  d.port = port;
  const Advertised advertised = Advertise(o, port);
  d.url = advertised.url;
  d.server_address = d.url.substr(std::string_view("https://").size());

  // The state folder, with the real port in every file: what the objects do not decide while they
  // load, then the service account's token (minted for the default ServiceAccount) and its files.
  const StateInputs state_inputs{d.url, advertised.host, advertised.port, ca_pem, d.bundle.admin};
  WriteServerFiles(d.paths, state_inputs);
  world_loaded();

  // serviceaccount/token: re-minted every sa_token_ttl by the server's clock (clock/rotation.h).
  d.rotation = std::make_unique<TokenRotation>(
      *d.clock, o.sa_token_ttl, o.sa_token_grace,
      [self = &d](ServerClock::TimePoint now, std::chrono::seconds lifetime) {
        auto sas = self->registry->Find("", "v1", "serviceaccounts");
        json sa = json::object();
        if (sas) sa = self->store->Find(*sas, "default", "default").value_or(json::object());
        ServiceAccountRef ref{"default", "default",
                              sa.value("metadata", json::object()).value("uid", "")};
        TokenRotation::Minted m;
        m.token = self->issuer->IssueBound(ref, ApiAudiences(), lifetime, now, &m.jti);
        return m;
      },
      [self = &d](const std::string& token) {
        std::lock_guard lock(self->token_mu);
        self->paths.serviceaccount_token = token;
        // Until the state folder is written (below, with this token), there is nothing to swap.
        if (self->state_written) {
          WriteServiceAccountFolder(self->paths.serviceaccount_dir, token, self->ca_pem, "default");
        }
      });
  d.rotation->Start();
  // A deleted pod bound to a node leaves when its grace period ends by the server's clock.
  d.grace_periods = std::make_unique<ClockTicker>(*d.clock, std::chrono::milliseconds(200),
                                                  [store = d.store.get()] { store->Tick(); });
  // The earlier generations of serviceaccount/ (a restart's) go on another thread: nothing reads
  // them, and removing a folder can wait for the file system.
  std::vector<fs::path> earlier = WriteServiceAccountFiles(d.paths, state_inputs);
  if (!earlier.empty()) {
    d.tidy_up = std::thread([earlier = std::move(earlier)] { RemoveFolders(earlier); });
  }
  {
    std::lock_guard lock(d.token_mu);
    d.state_written = true;
  }

  d.http->Start();
}

void Server::Stop() {
  Impl& d = *impl_;
  {
    std::lock_guard lock(d.mu);
    if (!d.started || d.stopped) {
      d.stopped = true;
      d.cv.notify_all();
      return;
    }
    d.stopped = true;
  }
  d.stopping = true;
  if (d.http) d.http->Stop();  // idle connections at once, answers in flight finished
  if (d.rotation) d.rotation->Stop();
  if (d.tidy_up.joinable()) d.tidy_up.join();
  d.grace_periods.reset();
  d.state_lock.reset();  // last: nothing writes to the folder after it
  d.cv.notify_all();
}

void Server::Wait() {
  std::unique_lock lock(impl_->mu);
  impl_->cv.wait(lock, [&] { return impl_->stopped; });
}

bool Server::running() const {
  std::lock_guard lock(impl_->mu);
  return impl_->started && !impl_->stopped;
}

std::string Server::url() const { return impl_->url; }
int Server::port() const { return impl_->port; }
const StatePaths& Server::paths() const { return impl_->paths; }
const certs::Bundle& Server::bundle() const { return impl_->bundle; }
const ServerOptions& Server::options() const { return impl_->options; }
Journal& Server::journal() { return *impl_->journal; }
Store& Server::store() { return *impl_->store; }
ServerClock& Server::clock() { return *impl_->clock; }
FaultSet& Server::faults() { return *impl_->faults; }

void Server::Impl::LoadWorld(const std::function<std::vector<json>()>& bootstrap_rbac) {
  if (options.default_fixtures) {
    LoadDefaultFixtures(*store, *issuer, ca_pem);
  } else {
    auto namespaces = registry->Find("", "v1", "namespaces");
    if (namespaces) {
      store->PutOwn(*namespaces, {{"apiVersion", "v1"},
                                  {"kind", "Namespace"},
                                  {"metadata", {{"name", "default"}}},
                                  {"status", {{"phase", "Active"}}}});
    }
    EnsureNamespaceDefaults(*store, "default", ca_pem);
  }
  if (authz->mode() == "RBAC") {
    PutOwnObjects(*store, bootstrap_rbac ? bootstrap_rbac() : BootstrapRbacObjects(),
                  "the bootstrap policy");
  }
  for (const auto& p : options.policy) PutFixture(*store, p.object, p.source);
  for (const auto& f : options.fixtures) PutFixture(*store, f.object, f.source);
  authz->SyncAggregation(*store);
}

void Server::SetPortRules(PortRulesFor rules) { impl_->port_rules.Set(std::move(rules)); }

void Server::RotateServiceAccountToken() {
  if (!impl_->rotation) throw std::runtime_error("the server is not started");
  impl_->rotation->Rotate();
}

}  // namespace kubedouble::fake
