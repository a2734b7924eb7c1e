#!/usr/bin/env bash
# `kubedouble proxy` throughput: wrk (2 threads, 16 connections, SECONDS, default 10) through the
# proxy (plain HTTP on 127.0.0.1) to `kubedouble serve` (TLS, a configmap list), against the
# same request sent to the server directly with the proxy's token, in one run; prints both rates
# and the ratio. With BASELINE=path/to/another/kubedouble, that binary's proxy is measured too
# (before/after a change). Loopback only, bounded by wrk's duration and timeouts.
# Usage: tests/bench/proxy_throughput.sh [path/to/kubedouble]
set -euo pipefail
bin=$(realpath "${1:-build/cli/kubedouble}")
seconds=${SECONDS_PER_RUN:-10}
dir=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$dir"; }
trap cleanup EXIT
path=/api/v1/namespaces/default/configmaps

"$bin" serve --port 0 --dir "$dir/state" > "$dir/serve.log" 2>&1 & pids+=($!)
kubeconfig=$dir/state/kubeconfigs/token.yaml  # a bearer token: the proxy adds it to each request
for _ in $(seq 100); do [ -s "$kubeconfig" ] && break; sleep 0.1; done

# Requests/s of wrk against URL (extra wrk arguments after it).
rate() {
  timeout $((seconds + 30)) wrk -t2 -c16 -d"${seconds}s" --timeout 5s "$@" |
    awk '/^Requests\/sec:/ {printf "%.0f", $2}'
}
# Starts BIN's proxy in front of the server; prints its port.
proxy() {
  "$1" proxy --port 0 --kubeconfig "$kubeconfig" > "$dir/proxy.$2.out" 2>&1 & pids+=($!)
  for _ in $(seq 100); do
    port=$(grep -om1 '127.0.0.1:[0-9]*' "$dir/proxy.$2.out" | grep -o '[0-9]*$' || true)
    [ -n "$port" ] && break
    sleep 0.1
  done
  echo "$port"
}

server=$(grep -om1 'https://[^ ]*' "$kubeconfig")
token=$(sed -n 's/.*token: "\([^"]*\)".*/\1/p' "$kubeconfig" | head -1)
ours=$(rate "http://127.0.0.1:$(proxy "$bin" ours)$path")
direct=$(rate -H "Authorization: Bearer $token" "$server$path")
echo "kubedouble proxy → serve (wrk -t2 -c16 -d${seconds}s GET $path): $ours requests/s"
if [ -n "${BASELINE:-}" ]; then
  before=$(rate "http://127.0.0.1:$(proxy "$(realpath "$BASELINE")" baseline)$path")
  echo "the same through $BASELINE's proxy: $before requests/s"
fi
echo "serve directly over TLS (the same request and token): $direct requests/s"
python3 -c "import sys; print(f'ratio (through the proxy / direct): {int(sys.argv[1]) / int(sys.argv[2]):.2f}')" "$ours" "$direct"
