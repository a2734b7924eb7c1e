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
hyperfine -N --warmup 5 --runs 50 --export-json "$STATE/h.json" \
  "$BIN get --raw /api --kubeconfig $KUBECONFIG_FILE" \
  "curl -sf --cacert $CA -H 'Authorization: Bearer $TOKEN' $URL/api" \
  "$BIN get --raw /api --kubeconfig $STATE/state/kubeconfigs/mtls.yaml" \
  "curl -sf --cacert $CA --cert $PKI/admin.crt --key $PKI/admin.key $URL/api" >/dev/null 2>&1
python3 - "$STATE/h.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
ours, curl = r[0]["median"] * 1000, r[1]["median"] * 1000
print(f"access_cli_get_raw_api {ours:.2f} ms {ours / curl:.2f}")
print(f"access_curl_get_api {curl:.2f} ms 1.00")
ours, curl = r[2]["median"] * 1000, r[3]["median"] * 1000
print(f"access_cli_get_raw_api_client_cert {ours:.2f} ms {ours / curl:.2f}")
print(f"access_curl_get_api_client_cert {curl:.2f} ms 1.00")
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
