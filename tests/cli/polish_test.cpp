// The CLI's small things users notice: a mistyped command, the version, `get -o yaml` that
// kubectl reads back, admin POSTs without a body, what `mitm` reports, a busy proxy port.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/script.h"

namespace kubedouble::cli_test {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

TEST(CliPolish, AMistypedCommandSuggestsTheNearestOne) {
  auto r = Bash(Script(R"SH(
"$K" serv --port 0; echo "exit=$?"
"$K" snapshto; echo "exit=$?"
"$K" frobnicate; echo "exit=$?"
)SH"));
  EXPECT_THAT(r.output, HasSubstr("kubedouble: unknown command \"serv\" — did you mean \"serve\"?\n"
                                  "exit=2\n"));
  EXPECT_THAT(r.output, HasSubstr("unknown command \"snapshto\" — did you mean \"snapshot\"?\n"));
  EXPECT_THAT(r.output, HasSubstr("kubedouble: unknown command \"frobnicate\"; run 'kubedouble "
                                  "--help' for the commands\nexit=2\n"));
}

// Each subcommand's refusals end the process with their own code and words: 2 for usage and
// configuration, 1 for a failure (the codes the subcommands return, cli/command.h).
TEST(CliPolish, RefusalsExitWithTheirCodeAndSayWhy) {
  auto r = Bash(Script(R"SH(
"$K" serve --address 10.1.2.3 --port 0; echo "exit=$?"
"$K" serve --head-timeout 0s --port 0; echo "exit=$?"
"$K" mitm --listen nocolon --upstream https://127.0.0.1:1; echo "exit=$?"
"$K" run --jobs 0; echo "exit=$?"
"$K" get; echo "exit=$?"
"$K" get pods --server https://127.0.0.1:1 --request-timeout soon; echo "exit=$?"
"$K" create-token default --duration 0s; echo "exit=$?"
"$K" snapshot restore missing.yaml --dir st; echo "exit=$?"
"$K" snapshot save out.yaml --dir st; echo "exit=$?"
"$K" certs issue server --ca-dir . --name x; echo "exit=$?"
)SH"));
  EXPECT_THAT(r.output, HasSubstr("kubedouble serve: --address 10.1.2.3: not a loopback address; "
                                  "the fake server accepts well-known test credentials, so "
                                  "listening beyond this machine needs --allow-non-loopback\n"
                                  "exit=2\n"));
  EXPECT_THAT(r.output,
              HasSubstr("kubedouble serve: --head-timeout: must be at least 1ms\nexit=2\n"));
  EXPECT_THAT(r.output, HasSubstr("kubedouble mitm: --listen \"nocolon\": expected ADDRESS:PORT\n"
                                  "exit=2\n"));
  EXPECT_THAT(r.output, HasSubstr("kubedouble run: --jobs must be at least 1\nexit=2\n"));
  EXPECT_THAT(r.output, HasSubstr("error: You must specify the type of resource to get."));
  EXPECT_THAT(r.output, HasSubstr("error: invalid argument \"soon\" for \"--request-timeout\" "
                                  "flag: invalid duration\nexit=2\n"));
  EXPECT_THAT(r.output, HasSubstr("error: --duration must be at least one second, not \"0s\"\n"
                                  "exit=2\n"));
  EXPECT_THAT(r.output, HasSubstr("kubedouble snapshot: cannot read missing.yaml\nexit=2\n"));
  EXPECT_THAT(r.output, MatchesRegex("(.|\n)*kubedouble snapshot: no server runs on st and it has "
                                     "no [^\n]*store.wal[^\n]*\nexit=1\n(.|\n)*"));
  EXPECT_THAT(r.output,
              HasSubstr("error: certs issue server needs at least one --san NAME\nexit=2\n"));
  EXPECT_THAT(r.output, Not(HasSubstr("exit=0\n")));
}

// The emulated Kubernetes version, the one GET /version answers.
TEST(CliPolish, VersionNamesTheEmulatedKubernetesVersion) {
  auto r = Bash(Script(R"SH(
"$K" version
start st || exit 1
kubectl --kubeconfig st/kubeconfig version -o json | python3 -c 'import json,sys; print("server:", json.load(sys.stdin)["serverVersion"]["gitVersion"])'
)SH"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, MatchesRegex("kubedouble [0-9.]+\nKubernetes v1\\.32\\.0 \\(the API "
                                     "version the server emulates\\)\n(.|\n)*"));
  EXPECT_THAT(r.output, HasSubstr("server: v1.32.0\n"));
}

// Strings YAML would read as something else are quoted, so kubectl reads the object back as
// it was ("true", "1.0", "null", "0x10", "0755", "yes", "~", "", "a: b", a date).
TEST(CliPolish, GetOutputYamlIsReadBackByKubectlAsTheSameObject) {
  auto r = Bash(Script(R"SH(
export KUBECONFIG=$D/st/kubeconfig
start st || exit 1
cat > cm.json <<'JSON'
{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"tricky","labels":{"on":"yes"}},
 "data":{"bool":"true","float":"1.0","null":"null","hex":"0x10","octal":"0755","yes":"yes",
         "tilde":"~","empty":"","colon":"a: b","date":"2024-01-01","multi":"one\ntwo","n":"N",
         "exp":"1e3","plain":"nginx"}}
JSON
kubectl create -f cm.json -o name
"$K" get configmaps tricky -n default -o yaml > out.yaml || exit 1
cat out.yaml
kubectl create --dry-run=client -f out.yaml -o json |
  python3 -c 'import json,sys; o=json.load(sys.stdin); w=json.load(open("cm.json")); print("same data:", o["data"] == w["data"], "same labels:", o["metadata"]["labels"] == w["metadata"]["labels"])'
)SH"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("same data: True same labels: True\n"));
  EXPECT_THAT(r.output, HasSubstr("  plain: nginx\n"));  // safe strings stay plain
  EXPECT_THAT(r.output, HasSubstr("  octal: \"0755\"\n"));
}

// The admin endpoints that take no input accept a POST without a body (curl -X POST, kubectl
// create --raw -f /dev/null).
TEST(CliPolish, AdminPostsWithoutABodyAreAccepted) {
  auto r = Bash(Script(R"SH(
start st || exit 1
T=$(head -1 st/tokens.csv | cut -d, -f1)
for p in reset rotate-token; do
  curl -sS -o /dev/null -w "$p: %{http_code}\n" -X POST --cacert st/pki/ca.crt -H "Authorization: Bearer $T" "$URL/__kubedouble/$p"
  curl -sS -o /dev/null -w "$p empty: %{http_code}\n" -X POST -H 'Content-Length: 0' --cacert st/pki/ca.crt -H "Authorization: Bearer $T" "$URL/__kubedouble/$p"
done
kubectl --kubeconfig st/kubeconfig create --raw /__kubedouble/reset -f /dev/null && echo " kubectl ok"
)SH"));
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* want : {"reset: 200\n", "reset empty: 200\n", "rotate-token: 200\n",
                           "rotate-token empty: 200\n", "\"reset\":true", " kubectl ok\n"}) {
    EXPECT_THAT(r.output, HasSubstr(want));
  }
}

// A verifying client's refused handshake is reported (with its alert), and each capture names
// the client's user agent.
TEST(CliPolish, MitmReportsRefusedHandshakesAndEachClientsUserAgent) {
  auto r = Bash(Script(R"SH(
start st || exit 1
"$K" mitm --upstream "$URL" --pki st/pki > mitm.out 2>&1 &
for _ in $(seq 100); do grep -q listening mitm.out && break; sleep 0.05; done
M=$(sed -nE 's/.*listening on ([^,]+),.*/\1/p' mitm.out)
curl -s --cacert st/pki/ca.crt "$M/version"; echo "curl exit=$?"
kubectl --kubeconfig st/kubeconfigs/token.yaml -s "$M" get --raw /version >/dev/null 2>&1; echo "kubectl exit=$?"
curl -sk -A "careless/2.0" -H "Authorization: Bearer leaked" "$M/version" >/dev/null
sleep 0.3
cat mitm.out
)SH"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, MatchesRegex("(.|\n)*refused: the client at 127\\.0\\.0\\.1:[0-9]+ ended "
                                     "the handshake with \"unknown CA\" \\(it does not trust the "
                                     "certificate: nothing captured\\)\n(.|\n)*"));
  EXPECT_THAT(r.output, HasSubstr("ended the handshake with \"bad certificate\""));  // Go's alert
  EXPECT_THAT(r.output, HasSubstr("captured: GET /version -> 401 authorization=\"Bearer leaked\" "
                                  "client-cert=none user-agent=\"careless/2.0\"\n"));
}

// As kubectl proxy: a second proxy on a busy port refuses ("bind: address already in use"),
// rather than sharing it.
TEST(CliPolish, ASecondProxyOnABusyPortRefusesAsKubectlProxyDoes) {
  auto r = Bash(Script(R"SH(
start st || exit 1
P=$(free_port)
"$K" proxy --kubeconfig st/kubeconfig -p "$P" > proxy.out 2>&1 &
for _ in $(seq 100); do grep -q "Starting to serve" proxy.out && break; sleep 0.05; done
cat proxy.out
timeout 20 "$K" proxy --kubeconfig st/kubeconfig -p "$P"; echo "exit=$?"
echo "P=$P"
curl -sS "http://127.0.0.1:$P/version" | python3 -c 'import json,sys; print("gitVersion=" + json.load(sys.stdin)["gitVersion"])'
)SH"));
  ASSERT_EQ(r.code, 0) << r.output;
  auto at = r.output.find("P=");
  ASSERT_NE(at, std::string::npos) << r.output;
  std::string port = r.output.substr(at + 2, r.output.find('\n', at) - at - 2);
  EXPECT_THAT(r.output, HasSubstr("error: listen tcp 127.0.0.1:" + port +
                                  ": bind: address already in use\nexit=2\n"));
  EXPECT_THAT(r.output, HasSubstr("gitVersion=v1.32.0\n"));  // the first one still serves
}

}  // namespace
}  // namespace kubedouble::cli_test
