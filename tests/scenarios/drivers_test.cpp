// Drivers against a real fake server: each client's result normalized the same way.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "kubedouble/fakeserver/server.h"
#include "kubedouble/scenarios/driver.h"
#include "kubedouble/scenarios/process.h"

namespace kubedouble::scenarios {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class DriversTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    driver_ = MakeDriver(GetParam(), fs::path(KUBEDOUBLE_SOURCE_DIR) / "scenarios/clients");
    ASSERT_TRUE(driver_);
    if (std::string why = driver_->Unavailable(); !why.empty()) GTEST_SKIP() << why;
    work_ = fs::temp_directory_path() /
            ("kd-driver-test-" + GetParam() + "-" + std::to_string(getpid()));
    fs::create_directories(work_ / "home");
    scenario_.suite = "t";
    scenario_.name = "n";
  }
  void TearDown() override { fs::remove_all(work_); }

  Target TokenTarget(const std::string& ca) {
    Target t;
    t.path = AccessPath::kToken;
    t.server = server_.url();
    t.host = "127.0.0.1";
    t.port = server_.port();
    t.ca_file = ca;
    t.token = server_.paths().admin_token;
    t.via_flags = true;
    t.work = work_;
    return t;
  }

  Outcome RunWith(const Target& t) {
    Job job;
    job.scenario = &scenario_;
    job.target = t;
    job.env = CleanEnvironment();
    job.env["HOME"] = (work_ / "home").string();
    job.env["KUBECACHEDIR"] = (work_ / "cache").string();
    return driver_->Run(job);
  }

  fake::TestServer server_;
  std::unique_ptr<Driver> driver_;
  fs::path work_;
  Scenario scenario_;
};

TEST_P(DriversTest, ListsPodsWithTokenAndCa) {
  scenario_.request.verb = Verb::kList;
  scenario_.request.all_namespaces = true;
  scenario_.request.ns.clear();
  Outcome o = RunWith(TokenTarget(server_.paths().ca_crt.string()));
  EXPECT_EQ(o.kind, OutcomeKind::kOk) << o.Summary() << " " << o.message;
  ASSERT_TRUE(o.items.has_value());
  EXPECT_GT(*o.items, 0);
}

TEST_P(DriversTest, TheRogueCaIsAnUnknownAuthority) {
  scenario_.request.verb = Verb::kList;
  Outcome o = RunWith(TokenTarget((server_.paths().pki_dir / "rogue-ca.crt").string()));
  EXPECT_EQ(o.kind, OutcomeKind::kTlsError) << o.Summary() << " " << o.message;
  EXPECT_EQ(o.tls, "unknown_authority") << o.message;
}

TEST_P(DriversTest, ABadTokenIs401) {
  scenario_.request.verb = Verb::kList;
  Target t = TokenTarget(server_.paths().ca_crt.string());
  t.token = "not-a-token";
  Outcome o = RunWith(t);
  EXPECT_EQ(o.kind, OutcomeKind::kHttpError) << o.Summary() << " " << o.message;
  EXPECT_EQ(o.code, 401);
}

TEST_P(DriversTest, ARefusedConnectionIsAConnectError) {
  scenario_.request.verb = Verb::kList;
  Target t = TokenTarget(server_.paths().ca_crt.string());
  t.server = "https://127.0.0.1:1";
  t.port = 1;
  Outcome o = RunWith(t);
  EXPECT_EQ(o.kind, OutcomeKind::kConnectError) << o.Summary() << " " << o.message;
}

TEST_P(DriversTest, ARawPathWithAQueryReportsItsCode) {
  scenario_.request.verb = Verb::kRaw;
  scenario_.request.method = "GET";
  scenario_.request.path = "/api/v1/pods?limit=1";
  Outcome o = RunWith(TokenTarget(server_.paths().ca_crt.string()));
  EXPECT_EQ(o.kind, OutcomeKind::kOk) << o.Summary() << " " << o.message;
  EXPECT_EQ(o.code, 200) << o.Summary();
}

// A server-side apply of ConfigMap "applied" setting data.a to `value` as `manager`.
Request Apply(const std::string& manager, const std::string& value, bool force = false) {
  Request r;
  r.verb = Verb::kPatch;
  r.resource = "configmaps";
  r.name = "applied";
  r.patch_type = "apply";
  r.field_manager = manager;
  r.force = force;
  r.body = json{{"apiVersion", "v1"},
                {"kind", "ConfigMap"},
                {"metadata", {{"name", "applied"}}},
                {"data", {{"a", value}}}};
  return r;
}

TEST_P(DriversTest, ServerSideApplyCreatesConflictsAndForces) {
  // accesslib's calls return the object, not the status: the runner takes a success's code
  // from the server's journal, so its driver reports none.
  auto ok_code = [&](int code) { return GetParam() == "accesslib" ? 0 : code; };
  Target t = TokenTarget(server_.paths().ca_crt.string());
  scenario_.request = Apply("manager-a", "1");
  Outcome created = RunWith(t);
  EXPECT_EQ(created.kind, OutcomeKind::kOk) << created.Summary() << " " << created.message;
  EXPECT_EQ(created.code, ok_code(201)) << created.Summary();

  scenario_.request = Apply("manager-b", "2");
  Outcome conflict = RunWith(t);
  EXPECT_EQ(conflict.kind, OutcomeKind::kHttpError)
      << conflict.Summary() << " " << conflict.message;
  EXPECT_EQ(conflict.code, 409);
  EXPECT_EQ(conflict.reason, "Conflict");
  EXPECT_THAT(conflict.message,
              HasSubstr(R"(Apply failed with 1 conflict: conflict with "manager-a": .data.a)"));

  scenario_.request = Apply("manager-b", "2", /*force=*/true);
  Outcome forced = RunWith(t);
  EXPECT_EQ(forced.kind, OutcomeKind::kOk) << forced.Summary() << " " << forced.message;
  EXPECT_EQ(forced.code, ok_code(200)) << forced.Summary();
}

INSTANTIATE_TEST_SUITE_P(Clients, DriversTest,
                         ::testing::Values("curl", "kubectl", "python", "node", "accesslib"));

TEST(Drivers, AMissingClientIsUnavailableWithTheReason) {
  auto python = MakeDriver("python", "/nonexistent/clients");
  EXPECT_THAT(python->Unavailable(),
              HasSubstr("driver script /nonexistent/clients/python/driver.py is missing"));
  auto node = MakeDriver("node", "/nonexistent/clients");
  EXPECT_THAT(node->Unavailable(), HasSubstr("is missing"));
  EXPECT_EQ(MakeDriver("telnet"), nullptr);
}

// A stand-in for clients/python/driver.py in --worker mode: says who answered (its pid, the
// run's HOME and folder), dies on a get and hangs on a watch.
constexpr const char* kFakeWorker = R"(
import json, os, sys, time
for line in sys.stdin:
    job = json.loads(line)
    if job.get("probe"):
        print(json.dumps({"id": job["id"], "ready": True}), flush=True)
        continue
    os.environ.clear()
    os.environ.update(job["env"])
    os.chdir(job["cwd"])
    verb = job["request"]["verb"]
    if verb == "get":
        sys.stderr.write("RuntimeError: the worker crashed\n")
        sys.stderr.flush()
        os._exit(3)
    if verb == "watch":
        time.sleep(60)
    who = "%d %s %s" % (os.getpid(), os.environ["HOME"], os.getcwd())
    print(json.dumps({"id": job["id"], "outcome": "ok", "code": 200, "message": who}), flush=True)
)";

class ScriptWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!FindProgram("/usr/bin/python3")) GTEST_SKIP() << "no /usr/bin/python3";
    dir_ = fs::temp_directory_path() / ("kd-worker-test-" + std::to_string(getpid()));
    fs::create_directories(dir_ / "clients/python");
    fs::create_directories(dir_ / "work");
    std::ofstream(dir_ / "clients/python/driver.py") << kFakeWorker;
    driver_ = MakeDriver("python", dir_ / "clients");
    ASSERT_EQ(driver_->Unavailable(), "");
    scenario_.suite = "t";
    scenario_.name = "n";
  }
  void TearDown() override { fs::remove_all(dir_); }

  // The answer's message: "PID HOME CWD".
  std::vector<std::string> Run(Verb verb, const std::string& home,
                               std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    scenario_.request.verb = verb;
    Job job;
    job.scenario = &scenario_;
    job.target.path = AccessPath::kToken;
    job.target.work = dir_ / "work";
    job.env = {{"HOME", home}};
    job.timeout = timeout;
    Outcome o = driver_->Run(job);
    EXPECT_EQ(o.kind, OutcomeKind::kOk);
    std::vector<std::string> words;
    std::stringstream in(o.message);
    for (std::string w; in >> w;) words.push_back(w);
    return words;
  }

  fs::path dir_;
  std::unique_ptr<Driver> driver_;
  Scenario scenario_;
};

TEST_F(ScriptWorkerTest, OneWorkerTakesRunAfterRunEachWithItsOwnEnvironment) {
  auto first = Run(Verb::kList, "/home/a");
  auto second = Run(Verb::kList, "/home/b");
  ASSERT_EQ(first.size(), 3u);
  ASSERT_EQ(second.size(), 3u);
  EXPECT_EQ(first[0], second[0]);  // the same process
  EXPECT_EQ(first[1], "/home/a");
  EXPECT_EQ(second[1], "/home/b");
  EXPECT_EQ(fs::path(second[2]), fs::canonical(dir_ / "work"));
}

TEST_F(ScriptWorkerTest, AWorkerThatDiesFailsItsRunWithTheReasonAndIsReplaced) {
  auto before = Run(Verb::kList, "/h");
  try {
    Run(Verb::kGet, "/h");
    ADD_FAILURE() << "a run whose worker died did not fail";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("exited with status 3"));
    EXPECT_THAT(e.what(), HasSubstr("RuntimeError: the worker crashed"));
  }
  auto after = Run(Verb::kList, "/h");
  ASSERT_EQ(after.size(), 3u);
  EXPECT_NE(before[0], after[0]);
}

TEST_F(ScriptWorkerTest, AWorkerThatHangsFailsItsRunAndIsReplaced) {
  auto before = Run(Verb::kList, "/h");
  try {
    Run(Verb::kWatch, "/h", std::chrono::milliseconds(500));
    ADD_FAILURE() << "a run whose worker hung did not fail";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("no answer within 0.5 s"));
  }
  auto after = Run(Verb::kList, "/h");
  ASSERT_EQ(after.size(), 3u);
  EXPECT_NE(before[0], after[0]);
}

TEST(Drivers, RequestPaths) {
  Request r;
  EXPECT_EQ(RequestPath(r), "/api/v1/namespaces/default/pods");
  r.all_namespaces = true;
  EXPECT_EQ(RequestPath(r), "/api/v1/pods");
  r.verb = Verb::kWhoami;
  EXPECT_EQ(RequestPath(r), "/apis/authentication.k8s.io/v1/selfsubjectreviews");
  EXPECT_EQ(RequestMethod(r), "POST");
}

}  // namespace
}  // namespace kubedouble::scenarios
