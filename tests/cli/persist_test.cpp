// `kubedouble serve --persist` and `kubedouble snapshot`: objects across restarts, kill -9
// included, and kwok-style snapshots from and into running and stopped servers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/script.h"

namespace kubedouble::cli_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Every write a client was answered for is there after kill -9, with its resourceVersion; the
// counter continues; a deleted fixture stays deleted; the fixtures are not loaded twice.
// No control plane: its namespace controller would publish kube-root-ca.crt again, as upstream's
// does.
TEST(Persist, KillNineLosesNoAcknowledgedWriteAndResourceVersionsContinue) {
  auto r = Bash(Script(R"SH(
start st --persist --controllers none || exit 1
T=$(head -1 st/tokens.csv | cut -d, -f1)
api() { curl -sS --cacert st/pki/ca.crt -H "Authorization: Bearer $T" -H 'Content-Type: application/json' "$@"; }
acked=0
for i in $(seq 1 40); do
  code=$(api -o /dev/null -w '%{http_code}' -X POST "$URL/api/v1/namespaces/default/configmaps" \
    -d "{\"metadata\":{\"name\":\"cm-$i\"},\"data\":{\"i\":\"$i\"}}")
  [ "$code" = 201 ] && acked=$((acked + 1))
done
api -o /dev/null -X DELETE "$URL/api/v1/namespaces/kube-system/configmaps/kube-root-ca.crt"
last=$(api "$URL/api/v1/namespaces/default/configmaps/cm-40" | python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"]["resourceVersion"])')
before=$(api "$URL/api/v1/configmaps" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')
kill -9 "$PID"; wait "$PID" 2>/dev/null
echo "acked=$acked before=$before"
start st --persist --controllers none || exit 1
after=$(api "$URL/api/v1/configmaps" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')
echo "after=$after"
again=$(api "$URL/api/v1/namespaces/default/configmaps/cm-40" | python3 -c 'import json,sys; o=json.load(sys.stdin); print(o["metadata"]["resourceVersion"], o["data"]["i"])')
[ "$again" = "$last 40" ] && echo "cm-40 kept its resourceVersion"
api -o /dev/null -w 'deleted fixture: %{http_code}\n' "$URL/api/v1/namespaces/kube-system/configmaps/kube-root-ca.crt"
next=$(api -X POST "$URL/api/v1/namespaces/default/configmaps" -d '{"metadata":{"name":"next"}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"]["resourceVersion"])')
[ "$next" -gt "$last" ] && echo "the counter continues"
)SH"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("acked=40 "));
  auto at = r.output.find("before=");
  ASSERT_NE(at, std::string::npos) << r.output;
  std::string before = r.output.substr(at + 7, r.output.find('\n', at) - at - 7);
  EXPECT_THAT(r.output, HasSubstr("after=" + before + "\n"));
  EXPECT_THAT(r.output, HasSubstr("cm-40 kept its resourceVersion\n"));
  EXPECT_THAT(r.output, HasSubstr("deleted fixture: 404\n"));
  EXPECT_THAT(r.output, HasSubstr("the counter continues\n"));
}

// A write cut short by a crash (no new line: it was never answered) is dropped; a damaged record
// before the end stops the start, naming the file and the line.
TEST(Persist, ATornLastLineIsDroppedAndADamagedOneIsNamed) {
  auto r = Bash(Script(R"SH(
start st --persist || exit 1
kill "$PID"; wait "$PID"
printf '{"rv":999,"put":"/configmaps","key":"default/torn","object":{"apiVers' >> st/store.wal
start st --persist && echo "started past the torn line"
kill "$PID"; wait "$PID"
sed -i '2s/.*/garbage/' st/store.wal
"$K" serve --dir st --port 0 --persist; echo "exit=$?"
)SH"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("started past the torn line\n"));
  EXPECT_THAT(r.output, HasSubstr("the store log st/store.wal: line 2 is not a store record"));
  EXPECT_THAT(r.output, HasSubstr("exit=1\n"));
}

TEST(Persist, WithoutPersistARestartStartsFromTheFixtures) {
  auto r = Bash(Script(R"SH(
start st || exit 1
kubectl --kubeconfig st/kubeconfig create configmap gone -o name
kill "$PID"; wait "$PID"
start st || exit 1
kubectl --kubeconfig st/kubeconfig get configmap gone -o name 2>&1
[ -e st/store.wal ] || echo "no store.wal"
)SH"));
  EXPECT_THAT(r.output, HasSubstr("configmaps \"gone\" not found"));
  EXPECT_THAT(r.output, HasSubstr("no store.wal"));
}

// save from a running server, change it, restore: the objects as they were; the file is what
// kubectl accepts; a stopped server's folder is read and written through its store.wal.
TEST(Snapshot, SaveAndRestoreARunningServerAndAStoppedOne) {
  auto r = Bash(Script(R"SH(
export KUBECONFIG=$D/st/kubeconfig
start st --persist || exit 1
kubectl create configmap tricky --from-literal=flag=true --from-literal=version=1.0 \
  --from-literal=mode=0755 --from-literal=hex=0x10 --from-literal=none=null -o name
"$K" snapshot save snap.yaml --dir st || exit 1
kubectl create --dry-run=client -f snap.yaml -o name | grep -c . | sed 's/^/kubectl reads objects: /'
kubectl delete configmap tricky
kubectl create configmap extra -o name
"$K" snapshot restore snap.yaml --dir st || exit 1
kubectl get configmap tricky -o jsonpath='tricky: {.data}{"\n"}'
kubectl get configmap extra 2>&1 | tail -1
kill "$PID"; wait "$PID"
"$K" snapshot save stopped.json --dir st || exit 1
python3 -c 'import json; l=json.load(open("stopped.json")); print("json list:", l["kind"], len(l["items"]) > 10)'
"$K" snapshot restore snap.yaml --dir other || exit 1
start other --persist || exit 1
KUBECONFIG=other/kubeconfig kubectl get configmap tricky -o jsonpath='other: {.data.version}{"\n"}'
"$K" snapshot save x.yaml --dir nowhere; echo "exit=$?"
)SH"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("kubedouble snapshot: saved "));
  EXPECT_THAT(r.output, HasSubstr("from the running server to snap.yaml\n"));
  EXPECT_THAT(r.output, Not(HasSubstr("kubectl reads objects: 0\n")));
  EXPECT_THAT(r.output, HasSubstr("into the running server\n"));
  EXPECT_THAT(
      r.output,
      HasSubstr(
          R"(tricky: {"flag":"true","hex":"0x10","mode":"0755","none":"null","version":"1.0"})"));
  EXPECT_THAT(r.output, HasSubstr("configmaps \"extra\" not found"));
  EXPECT_THAT(r.output, HasSubstr("from st/store.wal to stopped.json\n"));
  EXPECT_THAT(r.output, HasSubstr("json list: List True\n"));
  EXPECT_THAT(r.output, HasSubstr("to other/store.wal; `kubedouble serve --persist --dir other`"));
  EXPECT_THAT(r.output, HasSubstr("other: 1.0\n"));
  EXPECT_THAT(r.output, HasSubstr("no server runs on nowhere and it has no nowhere/store.wal"));
  EXPECT_THAT(r.output, HasSubstr("exit=1\n"));
}

}  // namespace
}  // namespace kubedouble::cli_test
