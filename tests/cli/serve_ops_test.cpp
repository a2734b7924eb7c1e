// `kubedouble serve` where users run it: the advertised address, one server per state folder,
// a PKI that keeps its cluster CA, the request log and the ready line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/script.h"

namespace kubedouble::cli_test {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

// The URL clients are told to use follows --advertise-url: every kubeconfig, incluster.env and
// the serving certificate (a client that resolves the name to this machine verifies it).
TEST(ServeAdvertise, AdvertiseUrlGoesIntoEveryKubeconfigInclusterEnvAndTheCertificate) {
  auto r = Bash(Script(R"SH(
P=$(free_port)
start st --port "$P" --advertise-url "https://kubedouble.example:$P" || exit 1
echo "URL=$URL"
grep -h "server:" st/kubeconfig st/kubeconfigs/*.yaml | sort | uniq -c
cat st/incluster.env
curl -sS --resolve "kubedouble.example:$P:127.0.0.1" --cacert st/pki/ca.crt \
  -H "Authorization: Bearer $(head -1 st/tokens.csv | cut -d, -f1)" "https://kubedouble.example:$P/version" |
  python3 -c 'import json,sys; print("gitVersion=" + json.load(sys.stdin)["gitVersion"])'
)SH"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, MatchesRegex("(.|\n)*URL=https://kubedouble.example:[0-9]+\n(.|\n)*"));
  // kubeconfig + 5 in kubeconfigs/, all with the advertised URL.
  EXPECT_THAT(r.output,
              MatchesRegex("(.|\n)* +6 +server: https://kubedouble.example:[0-9]+\n(.|\n)*"));
  EXPECT_THAT(r.output, HasSubstr("export KUBERNETES_SERVICE_HOST=kubedouble.example\n"));
  EXPECT_THAT(r.output, HasSubstr("gitVersion=v1.32.0\n"));
}

// --address 127.0.0.2 (a loopback alias): the certificate names it, so kubectl verifies it; then
// --advertise-address localhost on the same folder: a new serving certificate, the same CA.
TEST(ServeAdvertise, ListeningAddressAndAdvertiseAddressAreVerifiedWithTheSameClusterCa) {
  auto r = Bash(Script(R"SH(
start st --address 127.0.0.2 || exit 1
echo "URL=$URL"
ca1=$(fingerprint st/pki/ca.crt)
kubectl --kubeconfig st/kubeconfig get namespace default -o name || exit 1
kill "$PID"; wait "$PID"
start st --advertise-address localhost || exit 1
echo "URL=$URL"
grep "KUBERNETES_SERVICE_HOST" st/incluster.env
kubectl --kubeconfig st/kubeconfigs/token.yaml get namespace kube-system -o name || exit 1
[ "$ca1" = "$(fingerprint st/pki/ca.crt)" ] && echo "same CA"
)SH"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, MatchesRegex("(.|\n)*URL=https://127.0.0.2:[0-9]+\n(.|\n)*"));
  EXPECT_THAT(r.output, HasSubstr("namespace/default\n"));
  EXPECT_THAT(r.output, MatchesRegex("(.|\n)*URL=https://localhost:[0-9]+\n(.|\n)*"));
  EXPECT_THAT(r.output, HasSubstr("export KUBERNETES_SERVICE_HOST=localhost\n"));
  EXPECT_THAT(r.output, HasSubstr("namespace/kube-system\n"));
  EXPECT_THAT(r.output, HasSubstr("same CA\n"));
}

TEST(ServeAdvertise, BadAdvertiseUrlIsAClearError) {
  auto r = Bash(Script(R"SH(
"$K" serve --dir st --port 0 --advertise-url http://x:1; echo "exit=$?"
"$K" serve --dir st --port 0 --advertise-address 'no such host!'; echo "exit=$?"
)SH"));
  EXPECT_THAT(r.output, HasSubstr("--advertise-url \"http://x:1\": expected https://HOST[:PORT]"));
  EXPECT_THAT(r.output, HasSubstr("--advertise-address \"no such host!\": not a DNS name"));
  EXPECT_THAT(r.output, Not(HasSubstr("exit=0")));
}

TEST(StateFolderLock, ASecondServeOnTheSameFolderRefusesNamingTheFirstOnesPid) {
  auto r = Bash(Script(R"SH(
start st || exit 1
echo "first=$PID"
timeout 20 "$K" serve --dir st --port 0; echo "exit=$?"
kubectl --kubeconfig st/kubeconfig get namespace default -o name
kill -9 "$PID"; wait "$PID" 2>/dev/null
start st && echo "after kill -9: started again"
)SH"));
  ASSERT_EQ(r.code, 0) << r.output;
  auto at = r.output.find("first=");
  ASSERT_NE(at, std::string::npos) << r.output;
  std::string pid = r.output.substr(at + 6, r.output.find('\n', at) - at - 6);
  EXPECT_THAT(r.output,
              HasSubstr("the state folder st is in use by another kubedouble serve (pid " + pid +
                        "): stop it first, or give another --dir"));
  EXPECT_THAT(r.output, HasSubstr("exit=1\n"));
  EXPECT_THAT(r.output, HasSubstr("namespace/default\n"));  // the first one still serves
  EXPECT_THAT(r.output, HasSubstr("after kill -9: started again\n"));
}

// A pitfall file deleted by hand is minted again, alone: the cluster CA, the serving
// certificate and the tokens stay, so every client configured before keeps working.
TEST(StateFolderPki, AMissingPitfallFileIsMintedAgainAloneAndTheCaStays) {
  auto r = Bash(Script(R"SH(
start st || exit 1
kill "$PID"; wait "$PID"
ca=$(fingerprint st/pki/ca.crt); server=$(fingerprint st/pki/server.crt); tokens=$(md5sum < st/tokens.csv)
rm st/pki/expired-server.crt st/pki/expired-server.key st/pki/rogue-ca.crt
start st || exit 1
[ "$ca" = "$(fingerprint st/pki/ca.crt)" ] && echo "same CA"
[ "$server" = "$(fingerprint st/pki/server.crt)" ] && echo "same serving certificate"
[ "$tokens" = "$(md5sum < st/tokens.csv)" ] && echo "same tokens"
openssl verify -CAfile st/pki/ca.crt -no_check_time st/pki/expired-server.crt
openssl x509 -in st/pki/expired-server.crt -noout -checkend 0 >/dev/null || echo "expired as before"
[ -f st/pki/rogue-ca.crt ] && [ -f st/pki/rogue-server.crt ] && echo "rogue pair back"
openssl verify -CAfile st/pki/rogue-ca.crt st/pki/rogue-server.crt
kubectl --kubeconfig st/kubeconfig get namespace default -o name
kill "$PID"; wait "$PID"
start st --key-type rsa-2048 || exit 1
cat st.err
[ "$ca" = "$(fingerprint st/pki/ca.crt)" ] && echo "same CA with another --key-type"
)SH"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("WARNING: kept the ecdsa-p256 PKI in st/pki: --key-type "
                                  "rsa-2048 applies to a new one (--fresh-pki mints it"));
  EXPECT_THAT(r.output, HasSubstr("same CA with another --key-type\n"));
  for (const char* want :
       {"same CA\n", "same serving certificate\n", "same tokens\n",
        "st/pki/expired-server.crt: OK\n", "expired as before\n", "rogue pair back\n",
        "st/pki/rogue-server.crt: OK\n", "namespace/default\n"}) {
    EXPECT_THAT(r.output, HasSubstr(want));
  }
}

TEST(ServeReadyLine, GivesTheAbsoluteKubeconfigAndAnExportHint) {
  auto r = Bash(Script(R"SH(
start st || exit 1
cat st.out
echo "D=$(pwd -P)"
)SH"));
  ASSERT_EQ(r.code, 0) << r.output;
  auto at = r.output.find("D=");
  ASSERT_NE(at, std::string::npos);
  std::string dir = r.output.substr(at + 2, r.output.find('\n', at) - at - 2);
  EXPECT_THAT(r.output, HasSubstr("(kubeconfig: " + dir + "/st/kubeconfig)\n"));
  EXPECT_THAT(r.output, HasSubstr("export KUBECONFIG=" + dir + "/st/kubeconfig\n"));
}

// One httplog-like line per request on stderr, with the Audit-Id the client got.
TEST(ServeLogRequests, OneLinePerRequestWithVerbUriLatencyAgentAuditIdSourceAndCode) {
  auto r = Bash(Script(R"SH(
start st --log-requests || exit 1
T=$(head -1 st/tokens.csv | cut -d, -f1)
curl -sS -D headers -o /dev/null -A "probe/1.0" --cacert st/pki/ca.crt -H "Authorization: Bearer $T" \
  "$URL/api/v1/namespaces/default/pods?limit=2"
curl -sS -o /dev/null -A "probe/1.0" --cacert st/pki/ca.crt "$URL/api/v1/namespaces/nope"
echo "audit=$(grep -i '^audit-id:' headers | cut -d' ' -f2 | tr -d '\r')"
sleep 0.2
cat st.err
start st2 || exit 1
curl -sS -o /dev/null --cacert st2/pki/ca.crt "$URL/version"
echo "quiet=$(grep -c httplog st2.err)"
)SH"));
  ASSERT_EQ(r.code, 0) << r.output;
  auto at = r.output.find("audit=");
  ASSERT_NE(at, std::string::npos);
  std::string audit = r.output.substr(at + 6, r.output.find('\n', at) - at - 6);
  EXPECT_EQ(audit.size(), 36u) << r.output;
  EXPECT_THAT(
      r.output,
      MatchesRegex("(.|\n)*I[0-9]{4} [0-9:.]+ [0-9]+ httplog\\] \"HTTP\" verb=\"LIST\" "
                   "URI=\"/api/v1/namespaces/default/pods\\?limit=2\" latency=\"[0-9.]+(µs|ms|s)\" "
                   "userAgent=\"probe/1.0\" audit-ID=\"" +
                   audit + "\" srcIP=\"127.0.0.1:[0-9]+\" resp=200\n(.|\n)*"));
  EXPECT_THAT(r.output, MatchesRegex("(.|\n)*verb=\"GET\" URI=\"/api/v1/namespaces/nope\" "
                                     "(.|\n)* resp=401\n(.|\n)*"));
  EXPECT_THAT(r.output, HasSubstr("quiet=0\n"));  // off by default
}

}  // namespace
}  // namespace kubedouble::cli_test
