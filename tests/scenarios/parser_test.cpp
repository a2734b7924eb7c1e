// The suite parser: the schema, and an error with file:line:column for every mistake.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "kubedouble/scenarios/parser.h"

namespace kubedouble::scenarios {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

std::string ErrorOf(const std::string& text) {
  try {
    ParseSuite(text, "suite.yaml");
  } catch (const ParseError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Parser, ReadsAFullScenario) {
  Suite suite = ParseSuite(R"(
suite: tls
description: TLS pitfalls
scenarios:
  - name: insecure-ca
    description: insecure together with a CA
    server: {serve_cert: expired, anonymous: true, mitm: true, sans: [a.example]}
    access: {path: token, ca: cluster, insecure: true, host: localhost, via: flags}
    request: {verb: list, namespace: all, timeout: 2.5}
    expect: {outcome: ok, items: 3, user: kubedouble-admin, evidence: {token_leaked: true}}
    clients:
      kubectl: {outcome: config_error, why: client-go refuses insecure together with a CA}
      node: {skip: not relevant here}
)",
                           "tls.yaml");
  EXPECT_EQ(suite.name, "tls");
  ASSERT_EQ(suite.scenarios.size(), 1u);
  const Scenario& s = suite.scenarios[0];
  EXPECT_EQ(s.id(), "tls/insecure-ca");
  EXPECT_EQ(s.server.serve_cert, "expired");
  EXPECT_TRUE(s.server.anonymous);
  EXPECT_TRUE(s.server.mitm);
  EXPECT_EQ(s.server.sans, std::vector<std::string>{"a.example"});
  EXPECT_EQ(s.access.path, AccessPath::kToken);
  EXPECT_EQ(s.access.host, "localhost");
  EXPECT_EQ(s.access.via, "flags");
  EXPECT_TRUE(s.access.insecure.value());
  EXPECT_TRUE(s.request.all_namespaces);
  EXPECT_DOUBLE_EQ(s.request.timeout_seconds, 2.5);
  EXPECT_EQ(s.expect.kind, OutcomeKind::kOk);
  EXPECT_EQ(s.expect.items, 3);
  EXPECT_EQ(s.expect.user, "kubedouble-admin");
  EXPECT_TRUE(s.expect.evidence.at("token_leaked"));
  Expectation k = s.ExpectationFor("kubectl");
  EXPECT_EQ(k.kind, OutcomeKind::kConfigError);
  EXPECT_EQ(k.why, "client-go refuses insecure together with a CA");
  EXPECT_EQ(s.ExpectationFor("curl").kind, OutcomeKind::kOk);
  EXPECT_EQ(s.Override("node")->skip, "not relevant here");
  EXPECT_EQ(s.where.ToString(), "tls.yaml:5:5");
}

TEST(Parser, DefaultsTheSuiteNameToTheFileStem) {
  Suite suite = ParseSuite("scenarios:\n  - name: a\n    expect: {outcome: ok}\n", "dir/seed.yaml");
  EXPECT_EQ(suite.name, "seed");
  EXPECT_EQ(suite.scenarios[0].access.path, AccessPath::kToken);
  EXPECT_EQ(suite.scenarios[0].request.verb, Verb::kList);
}

TEST(Parser, UnknownKeyIsAnErrorAtItsPosition) {
  std::string e = ErrorOf("scenarios:\n  - name: a\n    expect: {outcome: ok}\n    acess: {}\n");
  EXPECT_THAT(e, StartsWith("suite.yaml:4:5: "));
  EXPECT_THAT(e, HasSubstr("unknown key \"acess\" in a scenario"));
}

// Found by fuzz_scenario: a complex key (`? ...`) escaped as yaml-cpp's BadConversion.
TEST(Parser, AComplexKeyIsAnErrorNotACrash) {
  std::string e = ErrorOf(
      "scenarios:\n  - name: a\n    expect: {outcome: ok}\n    clients:\n"
      "?     kubectl:\n        outcome: ok\n");
  EXPECT_THAT(e, StartsWith("suite.yaml:"));
  EXPECT_THAT(e, HasSubstr("a key must be plain text, not a mapping"));
  EXPECT_THAT(ErrorOf("? [a]\n: b\nscenarios: []\n"), HasSubstr("a key must be plain text"));
}

TEST(Parser, UnknownKeyInANestedMapping) {
  std::string e = ErrorOf(
      "scenarios:\n  - name: a\n    request:\n      verb: list\n      namespce: x\n"
      "    expect: {outcome: ok}\n");
  EXPECT_THAT(e, StartsWith("suite.yaml:5:7: "));
  EXPECT_THAT(e, HasSubstr("\"namespce\" in request"));
}

TEST(Parser, SyntaxErrorsCarryTheirPosition) {
  std::string e = ErrorOf("scenarios:\n  - name: a\n    expect: {outcome: ok\n");
  EXPECT_THAT(e, StartsWith("suite.yaml:"));
  EXPECT_THAT(e, Not(StartsWith("suite.yaml: ")));
}

// yaml-cpp builds a cyclic graph for an alias inside its own anchor, which the parser's walk
// followed until the stack overflowed; a fan-out of aliases expands beyond any real suite.
TEST(Parser, AliasLoopsAndFanOutsAreErrorsNotCrashes) {
  std::string e = ErrorOf("scenarios: &s\n  - *s\n");
  EXPECT_THAT(e, StartsWith("suite.yaml:2:5: "));
  EXPECT_THAT(e, HasSubstr("anchor 's' value contains itself"));
  std::string laughs = "x: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i <= 6; ++i) {
    laughs += "x" + std::to_string(i) + ": &x" + std::to_string(i) + " [";
    for (int j = 0; j < 9; ++j) laughs += (j ? ", *x" : "*x") + std::to_string(i - 1);
    laughs += "]\n";
  }
  EXPECT_THAT(ErrorOf(laughs + "scenarios: []\n"),
              HasSubstr("document contains excessive aliasing"));
}

TEST(Parser, RejectsUnknownValues) {
  EXPECT_THAT(
      ErrorOf("scenarios:\n  - name: a\n    access: {path: teleport}\n    expect: {outcome: ok}\n"),
      HasSubstr("suite.yaml:3:20: unknown access path \"teleport\""));
  EXPECT_THAT(ErrorOf("scenarios:\n  - name: a\n    expect: {outcome: maybe}\n"),
              HasSubstr("unknown outcome \"maybe\""));
  EXPECT_THAT(
      ErrorOf("scenarios:\n  - name: a\n    request: {verb: ssh}\n    expect: {outcome: ok}\n"),
      HasSubstr("unknown verb \"ssh\""));
  EXPECT_THAT(
      ErrorOf(
          "scenarios:\n  - name: a\n    server: {serve_cert: shiny}\n    expect: {outcome: ok}\n"),
      HasSubstr("\"serve_cert\" must be one of good, expired"));
  EXPECT_THAT(ErrorOf("scenarios:\n  - name: a\n    expect: {outcome: tls_error, tls: weird}\n"),
              HasSubstr("\"tls\" must be one of"));
}

TEST(Parser, AClientThatDiffersMustSayWhy) {
  std::string e = ErrorOf(
      "scenarios:\n  - name: a\n    expect: {outcome: ok}\n    clients:\n"
      "      curl: {outcome: tls_error}\n");
  EXPECT_THAT(e, StartsWith("suite.yaml:5:13: "));
  EXPECT_THAT(e, HasSubstr("add \"why\""));
  EXPECT_THAT(ErrorOf("scenarios:\n  - name: a\n    expect: {outcome: ok}\n    clients:\n"
                      "      curlx: {outcome: ok, why: x}\n"),
              HasSubstr("unknown client \"curlx\""));
}

TEST(Parser, RequiredFieldsAndConsistency) {
  EXPECT_THAT(ErrorOf("scenarios:\n  - expect: {outcome: ok}\n"), HasSubstr("needs \"name\""));
  EXPECT_THAT(ErrorOf("scenarios:\n  - name: a\n"), HasSubstr("needs \"expect\""));
  EXPECT_THAT(
      ErrorOf("scenarios:\n  - name: a\n    request: {verb: get}\n    expect: {outcome: ok}\n"),
      HasSubstr("verb \"get\" needs \"name\""));
  EXPECT_THAT(
      ErrorOf("scenarios:\n  - name: a\n    request: {verb: watch}\n    expect: {outcome: ok}\n"),
      HasSubstr("needs \"events\""));
  EXPECT_THAT(ErrorOf("scenarios:\n  - name: a\n    request: {verb: exec, name: web}\n"
                      "    expect: {outcome: ok}\n"),
              HasSubstr("verb \"exec\" needs \"command\""));
  EXPECT_THAT(ErrorOf("scenarios:\n  - name: a\n    request: {verb: port-forward, name: web, "
                      "port: 0}\n    expect: {outcome: ok}\n"),
              HasSubstr("verb \"port-forward\" needs \"port\" (1-65535)"));
  EXPECT_THAT(ErrorOf("scenarios:\n  - name: a\n    request: {verb: get, name: web, port: 80}\n"
                      "    expect: {outcome: ok}\n"),
              HasSubstr("\"port\" is only meaningful with verb port-forward"));
  EXPECT_THAT(ErrorOf("scenarios:\n  - name: a\n    access: {path: sidecar, proxy: {program: "
                      "kubedouble}}\n    expect: {outcome: ok}\n"),
              HasSubstr("program kubedouble is for the proxy path"));
  EXPECT_THAT(ErrorOf("scenarios:\n  - name: a\n    expect: {outcome: ok, tls: expired}\n"),
              HasSubstr("only meaningful with outcome tls_error"));
  EXPECT_THAT(ErrorOf("scenarios:\n  - name: a\n    expect: {outcome: ok}\n  - name: a\n    "
                      "expect: {outcome: ok}\n"),
              HasSubstr("suite.yaml:4:5: scenario \"a\" is defined twice"));
  EXPECT_THAT(
      ErrorOf(
          "scenarios:\n  - name: a\n    access: {path: kubeconfig}\n    expect: {outcome: ok}\n"),
      HasSubstr("needs \"kubeconfigs\""));
  EXPECT_THAT(
      ErrorOf("scenarios:\n  - name: a\n    access: {path: kubeconfig, kubeconfigs: [a.yaml]}\n"
              "    expect: {outcome: ok}\n"),
      HasSubstr("kubeconfig \"a.yaml\" is not one of the \"files\""));
  EXPECT_THAT(ErrorOf("scenarios:\n  - name: a\n    access:\n      files:\n        - {path: "
                      "/etc/x, content: y}\n"
                      "    expect: {outcome: ok}\n"),
              HasSubstr("must be relative"));
  EXPECT_THAT(ErrorOf("scenarios: {}\n"), HasSubstr("must be a list of scenarios"));
  EXPECT_THAT(ErrorOf("- 1\n"), HasSubstr("suite.yaml:1:1: a suite file must be a mapping"));
}

TEST(Parser, WrongTypes) {
  EXPECT_THAT(
      ErrorOf(
          "scenarios:\n  - name: a\n    server: {anonymous: maybe}\n    expect: {outcome: ok}\n"),
      HasSubstr("suite.yaml:3:25: \"anonymous\" must be true or false"));
  EXPECT_THAT(ErrorOf("scenarios:\n  - name: a\n    expect: {outcome: ok, items: many}\n"),
              HasSubstr("\"items\" must be an integer"));
}

// A suite's booleans read as a --faults file's do (YAML 1.2): `yes` and `on` are text, `TRUE`
// and `True` are true.
TEST(Parser, BooleansReadAsEveryYamlFileReadsThem) {
  for (const char* word : {"yes", "on", "y", "Yes"}) {
    EXPECT_THAT(ErrorOf(std::string("scenarios:\n  - name: a\n    server: {anonymous: ") + word +
                        "}\n    expect: {outcome: ok}\n"),
                HasSubstr("suite.yaml:3:25: \"anonymous\" must be true or false"))
        << word;
  }
  for (const char* word : {"TRUE", "True", "true"}) {
    Suite s = ParseSuite(std::string("scenarios:\n  - name: a\n    server: {anonymous: ") + word +
                             "}\n    expect: {outcome: ok}\n",
                         "suite.yaml");
    EXPECT_TRUE(s.scenarios.at(0).server.anonymous) << word;
  }
}

TEST(Parser, FaultsAreTheServersOwnRules) {
  Suite suite = ParseSuite(R"(
scenarios:
  - name: a
    server:
      clock: fake
      faults:
        - {match: {verb: list, resource: pods}, status: 429, retryAfterSeconds: 1, times: 1}
        - {match: {method: GET, path: "/api/v1/pods"}, delay: 3s}
    expect: {outcome: ok}
)",
                           "suite.yaml");
  const ServerSetup& s = suite.scenarios[0].server;
  EXPECT_EQ(s.clock, "fake");
  ASSERT_TRUE(s.faults.has_value());
  ASSERT_EQ(s.faults->size(), 2u);
  EXPECT_EQ((*s.faults)[0]["status"], 429);
  EXPECT_EQ((*s.faults)[1]["delay"], "3s");
}

TEST(Parser, ABadFaultRuleNamesItsPlaceAndWhatIsWrong) {
  std::string e = ErrorOf(
      "scenarios:\n  - name: a\n    server:\n      faults:\n        - {match: {verb: list}, "
      "action: explode}\n    expect: {outcome: ok}\n");
  EXPECT_THAT(e, StartsWith("suite.yaml:5:11: fault rule: "));
  EXPECT_THAT(e, HasSubstr("unknown action \"explode\""));
  // The interceptor's old short form is not the server's format.
  e = ErrorOf(
      "scenarios:\n  - name: a\n    server:\n      faults:\n        - {path: x, close: "
      "true}\n    expect: {outcome: ok}\n");
  EXPECT_THAT(e, HasSubstr("suite.yaml:5:11: fault rule: unknown field \"close\""));
  EXPECT_THAT(ErrorOf("scenarios:\n  - name: a\n    server: {faults: [1]}\n    expect: {outcome: "
                      "ok}\n"),
              HasSubstr("a fault rule must be a mapping"));
}

TEST(Parser, AControlPlaneWithStages) {
  Suite suite = ParseSuite(R"(
scenarios:
  - name: a
    server:
      nodes: 2
      stages:
        - kind: PodStage
          metadata: {name: crash}
          spec: {exit: {code: 1, after: 2s}}
    expect: {outcome: ok}
  - name: b
    server: {controllers: "node,scheduler,kubelet"}
    expect: {outcome: ok}
  - name: c
    expect: {outcome: ok}
)",
                           "suite.yaml");
  const ServerSetup& a = suite.scenarios[0].server;
  EXPECT_EQ(a.controllers, "all");  // stages need a kubelet
  EXPECT_EQ(a.nodes, 2);
  ASSERT_EQ(a.stages.size(), 1u);
  EXPECT_EQ(a.stages[0]["spec"]["exit"]["after"], "2s");
  EXPECT_EQ(suite.scenarios[1].server.controllers, "node,scheduler,kubelet");
  EXPECT_FALSE(suite.scenarios[2].server.controllers.has_value());  // a bare API server
}

TEST(Parser, ABadStageOrControllerNamesItsPlace) {
  EXPECT_THAT(ErrorOf("scenarios:\n  - name: a\n    server:\n      stages:\n        - {kind: "
                      "PodStage, metadata: {name: x}, spec: {exit: {code: 999}}}\n"
                      "    expect: {outcome: ok}\n"),
              HasSubstr("suite.yaml:5:11: stage: spec.exit.code must be a whole number from 0 "
                        "to 255"));
  EXPECT_THAT(ErrorOf("scenarios:\n  - name: a\n    server: {controllers: kubelett}\n"
                      "    expect: {outcome: ok}\n"),
              HasSubstr("unknown controller \"kubelett\""));
}

// A file nothing reads would let a scenario pass while testing nothing (a namespace file written
// under the run folder, where no client looks): the error names the file and the scenario.
TEST(Parser, AFileNothingReadsIsAnError) {
  EXPECT_THAT(ErrorOf(R"(scenarios:
  - name: namespace-file
    access:
      path: in-cluster
      files: [{path: namespace, content: kube-system}]
    expect: {outcome: ok}
)"),
              StartsWith("suite.yaml:5:15: scenario \"namespace-file\": file \"namespace\" is "
                         "read by nothing"));
  // Read: a kubeconfig in the list; a file it names relative to itself or as ${WORK}/files/...
  EXPECT_EQ(ErrorOf(R"(scenarios:
  - name: used
    access:
      path: kubeconfig
      kubeconfigs: [conf/config]
      files:
        - {path: conf/pki/ca.crt, from: ca}
        - {path: rogue.crt, from: rogue-ca}
        - path: conf/config
          content: "ca: pki/ca.crt, other: ${WORK}/files/rogue.crt"
    expect: {outcome: ok}
)"),
            "no error");
}

TEST(Parser, TheNamespaceCanBeTheConfigurationsAndIsCheckedWhereTheServerSawIt) {
  Suite suite = ParseSuite(R"(scenarios:
  - name: pod-namespace
    access: {path: in-cluster, namespace: kube-system}
    request: {verb: list, namespace: inferred}
    expect: {outcome: ok, path: /api/v1/namespaces/kube-system/pods}
)",
                           "ns.yaml");
  const Scenario& s = suite.scenarios.at(0);
  EXPECT_EQ(s.access.ns, "kube-system");
  EXPECT_TRUE(s.request.inferred_namespace);
  EXPECT_EQ(s.request.ns, "");
  EXPECT_FALSE(s.request.all_namespaces);
  EXPECT_EQ(s.expect.path, "/api/v1/namespaces/kube-system/pods");
}

TEST(Parser, SetupStepsImpersonationAndATokenReviewsAnswer) {
  Suite suite = ParseSuite(R"(scenarios:
  - name: bound
    setup:
      - {method: POST, path: /apis/rbac.authorization.k8s.io/v1/namespaces/default/roles,
         body: {kind: Role, metadata: {name: r}}}
      - {method: DELETE, path: /apis/rbac.authorization.k8s.io/v1/namespaces/default/roles/r}
    request: {verb: whoami, impersonate: {user: jane, groups: [devs, ops], uid: "7"}}
    expect: {outcome: ok, user: jane, authenticated: false}
)",
                           "rbac.yaml");
  const Scenario& s = suite.scenarios.at(0);
  ASSERT_EQ(s.setup.size(), 2u);
  EXPECT_EQ(s.setup[0].method, "POST");
  EXPECT_EQ(s.setup[0].body->at("kind"), "Role");
  EXPECT_EQ(s.setup[1].method, "DELETE");
  EXPECT_FALSE(s.setup[1].body);
  EXPECT_EQ(s.setup[1].where.line, 6);
  EXPECT_EQ(s.request.impersonate.user, "jane");
  EXPECT_EQ(s.request.impersonate.groups, (std::vector<std::string>{"devs", "ops"}));
  EXPECT_EQ(s.request.impersonate.uid, "7");
  EXPECT_EQ(s.expect.authenticated, false);

  auto one = [](const std::string& lines) {
    return ErrorOf("scenarios:\n  - name: x\n" + lines + "    expect: {outcome: ok}\n");
  };
  EXPECT_THAT(one("    setup: {method: POST}\n"), HasSubstr("\"setup\" must be a list"));
  EXPECT_THAT(one("    setup: [{method: GET, path: /api}]\n"),
              HasSubstr("suite.yaml:3:22: \"method\" must be one of POST, PUT, PATCH, DELETE"));
  EXPECT_THAT(one("    setup: [{method: POST, path: /api}]\n"),
              HasSubstr("a POST setup step needs \"body\""));
  EXPECT_THAT(one("    setup: [{method: DELETE, path: api}]\n"),
              HasSubstr("needs \"path\" starting with /"));
  EXPECT_THAT(one("    request: {impersonate: {groups: [devs]}}\n"),
              HasSubstr("impersonate needs \"user\""));
  EXPECT_THAT(one("    request: {impersonate: {user: a, as: b}}\n"),
              HasSubstr("unknown key \"as\" in impersonate"));
}

TEST(Parser, AServerSideApplyNamesItsManagerAndSendsAWholeObject) {
  Suite suite = ParseSuite(R"(scenarios:
  - name: apply
    setup:
      - {method: PATCH, patch_type: apply, path: "/api/v1/namespaces/default/configmaps/c?fieldManager=a",
         body: {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}}
    request:
      verb: patch
      resource: configmaps
      name: c
      patch_type: apply
      field_manager: manager-b
      force: true
      body: {apiVersion: v1, kind: ConfigMap, metadata: {name: c}, data: {a: "2"}}
    expect: {outcome: http_error, code: 409, reason: Conflict, message: 'conflict with "a"'}
)",
                           "lifecycle.yaml");
  const Scenario& s = suite.scenarios.at(0);
  EXPECT_EQ(s.setup.at(0).patch_type, "apply");
  EXPECT_EQ(s.request.patch_type, "apply");
  EXPECT_EQ(s.request.field_manager, "manager-b");
  EXPECT_TRUE(s.request.force);
  EXPECT_EQ(s.expect.message, R"(conflict with "a")");

  auto request = [](const std::string& fields) {
    return ErrorOf(
        "scenarios:\n  - name: x\n    request: {verb: patch, resource: configmaps, name: c, " +
        fields + "}\n    expect: {outcome: ok}\n");
  };
  const std::string object = "body: {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}";
  EXPECT_THAT(request("patch_type: apply, " + object),
              HasSubstr("patch_type apply needs \"field_manager\""));
  EXPECT_THAT(request("patch_type: apply, field_manager: 'a b', " + object),
              HasSubstr("\"field_manager\" must be up to 128 letters"));
  EXPECT_THAT(request("patch_type: apply, field_manager: m, body: {data: {a: b}}"),
              HasSubstr("must be a whole object with \"apiVersion\" and \"kind\""));
  EXPECT_THAT(request("patch_type: apply, field_manager: m, "
                      "body: {apiVersion: v1, kind: ConfigMap, metadata: {name: d}}"),
              HasSubstr("must name the request's object in metadata.name (\"c\")"));
  EXPECT_THAT(request("patch_type: merge, force: true, body: {}"),
              HasSubstr("\"force\" is only meaningful with verb patch and patch_type apply"));
  EXPECT_THAT(request("field_manager: m, body: {}"),
              HasSubstr("\"field_manager\" is only meaningful"));
  EXPECT_THAT(ErrorOf("scenarios:\n  - name: x\n    setup: [{method: POST, patch_type: apply, "
                      "path: /api, body: {}}]\n    expect: {outcome: ok}\n"),
              HasSubstr("\"patch_type\" is only meaningful with PATCH"));
}

TEST(Parser, LoadSuiteNamesAMissingFile) {
  try {
    LoadSuite("/nonexistent/suite.yaml");
    FAIL() << "no error";
  } catch (const ParseError& e) {
    EXPECT_THAT(e.what(), HasSubstr("/nonexistent/suite.yaml: cannot read the file"));
  }
  EXPECT_THROW(FindSuiteFiles({"/nonexistent"}), ParseError);
}

TEST(Parser, TheBuiltinSuitesParse) {
  std::filesystem::path dir = std::filesystem::path(KUBEDOUBLE_SOURCE_DIR) / "scenarios/suites";
  auto files = FindSuiteFiles({dir});
  ASSERT_FALSE(files.empty());
  size_t scenarios = 0;
  for (const auto& f : files) scenarios += LoadSuite(f).scenarios.size();
  EXPECT_GE(scenarios, 40u);
}

}  // namespace
}  // namespace kubedouble::scenarios
