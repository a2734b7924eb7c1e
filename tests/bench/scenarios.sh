#!/usr/bin/env bash
# Times the built-in scenario suites: every client with --jobs 2 (goal: under 60 s), and
# accesslib alone (goal: under 5 s). Prints `name value unit ratio` lines like the other
# benchmarks (run by ci/bench); the ratio is the time over the goal (below 1.00 meets it). Also
# the runs that failed or errored in each (0 expected), and the slowest runs on stderr.
set -uo pipefail
cd "$(dirname "$0")/../.."
bin=${KUBEDOUBLE:-build/cli/kubedouble}
[[ -x $bin ]] || { echo "scenarios.sh: $bin not built" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
time_run() {  # name, goal in seconds, then kubedouble run arguments
  local name=$1 goal=$2
  shift 2
  local start end
  start=$(date +%s.%N)
  "$bin" run "$@" --no-color --json "$out/$name.json" >"$out/$name.txt" 2>&1
  local code=$?
  end=$(date +%s.%N)
  /usr/bin/python3 - "$name" "$goal" "$start" "$end" "$code" "$out/$name.json" <<'PY'
import json, sys
name, goal, start, end, code, report = sys.argv[1:]
seconds = float(end) - float(start)
print(f"{name} {seconds:.2f} s {seconds / float(goal):.2f}")
try:
    r = json.load(open(report))
except (OSError, ValueError):
    print(f"{name}_failed_runs -1 runs (no report; exit {code})")
    sys.exit(0)
s = r["summary"]
print(f"{name}_failed_runs {s['failed'] + s.get('errors', 0)} runs")
slow = sorted(r["results"], key=lambda x: -x.get("seconds", 0))[:5]
print(f"{name}: {s['runs']} runs, {s['passed']} passed, {s['skipped']} skipped; slowest: " +
      ", ".join(f"{x['suite']}/{x['scenario']} [{x['client']}] {x['seconds']:.1f} s" for x in slow),
      file=sys.stderr)
PY
}
time_run scenarios_all_clients_jobs2 60 --jobs 2
time_run scenarios_accesslib_only 5 --jobs 2 --clients accesslib
