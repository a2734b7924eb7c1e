#!/usr/bin/env bash
# Times the built-in scenario suites: every client with --jobs 2, and accesslib alone.
# Prints `name value unit` lines like the other benchmarks (run by ci/bench).
set -uo pipefail
cd "$(dirname "$0")/../.."
bin=${KUBEDOUBLE:-build/cli/kubedouble}
[[ -x $bin ]] || { echo "scenarios.sh: $bin not built" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
time_run() {  # name, then kubedouble run arguments
  local name=$1
  shift
  local start end
  start=$(date +%s.%N)
  "$bin" run "$@" --json "$out/$name.json" >"$out/$name.txt" 2>&1
  local code=$?
  end=$(date +%s.%N)
  local runs
  runs=$(python3 -c "import json,sys; s=json.load(open(sys.argv[1]))['summary']; print(f\"{s['runs']} runs, {s['passed']} passed, {s['failed']} failed, {s['skipped']} skipped\")" "$out/$name.json" 2>/dev/null)
  printf '%s %.2f s (exit %d; %s)\n' "$name" "$(echo "$end - $start" | bc)" "$code" "$runs"
}
time_run scenarios_all_clients_jobs2 --jobs 2
time_run scenarios_accesslib_only --jobs 2 --clients accesslib
