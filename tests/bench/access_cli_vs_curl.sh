#!/usr/bin/env bash
# `kubedouble get --raw /api` as a whole process against curl doing the same request (same CA,
# same bearer token; then the same client certificate), and the in-process keep-alive figures of
# bench_access.
# Prints `name value unit ratio` lines.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${KUBEDOUBLE_BUILD_DIR:-build}
BIN=$BUILD/cli/kubedouble
[[ -x $BIN ]] || { echo "access_cli_vs_curl: $BIN not built" >&2; exit 1; }
STATE=$(mktemp -d)
LOG=$STATE/serve.log
"$BIN" serve --dir "$STATE/state" --port 0 >"$LOG" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$STATE"' EXIT
for _ in $(seq 100); do grep -q "serving on" "$LOG" && break; sleep 0.05; done
URL=$(grep -o 'https://[^ ]*' "$LOG" | head -1)
KUBECONFIG_FILE=$STATE/state/kubeconfigs/token.yaml
TOKEN=$(head -1 "$STATE/state/tokens.csv" | cut -d, -f1)
CA=$STATE/state/pki/ca.crt
# Both must succeed before they are timed.
"$BIN" get --raw /api --kubeconfig "$KUBECONFIG_FILE" >/dev/null
curl -sf --cacert "$CA" -H "Authorization: Bearer $TOKEN" "$URL/api" >/dev/null
PKI=$STATE/state/pki
"$BIN" get --raw /api --kubeconfig "$STATE/state/kubeconfigs/mtls.yaml" >/dev/null
curl -sf --cacert "$CA" --cert "$PKI/admin.crt" --key "$PKI/admin.key" "$URL/api" >/dev/null
# The four commands take turns, 200 rounds after 10 for warm-up, and the medians are compared:
# run one after the other (as hyperfine does), a busy minute of the machine fell on one side.
python3 - "$BIN" "$URL" "$TOKEN" "$CA" "$PKI" "$KUBECONFIG_FILE" "$STATE/state/kubeconfigs/mtls.yaml" <<'PY'
import statistics, subprocess, sys, time
bin_, url, token, ca, pki, token_kc, mtls_kc = sys.argv[1:8]
cmds = [
    [bin_, "get", "--raw", "/api", "--kubeconfig", token_kc],
    ["curl", "-sf", "--cacert", ca, "-H", "Authorization: Bearer " + token, url + "/api"],
    [bin_, "get", "--raw", "/api", "--kubeconfig", mtls_kc],
    ["curl", "-sf", "--cacert", ca, "--cert", pki + "/admin.crt", "--key", pki + "/admin.key",
     url + "/api"],
]
times = [[] for _ in cmds]
for i in range(210):
    for c, t in zip(cmds, times):
        t0 = time.perf_counter()
        subprocess.run(c, stdout=subprocess.DEVNULL, check=True)
        if i >= 10:
            t.append((time.perf_counter() - t0) * 1000)
m = [statistics.median(t) for t in times]
print(f"access_cli_get_raw_api {m[0]:.2f} ms {m[0] / m[1]:.2f}")
print(f"access_curl_get_api {m[1]:.2f} ms 1.00")
print(f"access_cli_get_raw_api_client_cert {m[2]:.2f} ms {m[2] / m[3]:.2f}")
print(f"access_curl_get_api_client_cert {m[3]:.2f} ms 1.00")
PY
if [[ -x $BUILD/tests/bench/bench_access ]]; then
  "$BUILD/tests/bench/bench_access" --benchmark_out="$STATE/b.json" --benchmark_out_format=json >/dev/null 2>&1
  python3 - "$STATE/b.json" <<'PY'
import json, sys
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    rps, p50 = b["requests_per_second"], b["p50_us"]
    print(f"access_inprocess_get_api_rps {rps:.0f} req/s")
    print(f"access_inprocess_get_api_p50 {p50:.1f} us")
PY
fi
