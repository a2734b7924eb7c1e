#!/usr/bin/env bash
# The CI-matrix recipe, worked on one machine: what `kubedouble run --shard I/N` gives each of N
# machines, and a check that the N shards together ran every scenario exactly once.
#   recipes/ci-matrix/shards.sh [N] [kubedouble run options...]
#   recipes/ci-matrix/shards.sh 4 --clients accesslib        # about 5 s
# A CI system runs one shard per machine (its own matrix: GitHub's strategy.matrix, GitLab's
# parallel) and collects the JUnit files; this script runs them one after another instead.
set -euo pipefail
kd=${KUBEDOUBLE:-kubedouble}
n=${1:-4}
shift || true
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# `run --list` prints "SUITE/SCENARIO  description" lines, then a count.
ids() { grep -E '^[^ ]+/[^ ]+  ' | awk '{print $1}'; }
"$kd" run --list "$@" | ids | sort > "$out/all"
echo "shards.sh: $(wc -l < "$out/all") scenarios over $n shards"
status=0
for ((i = 1; i <= n; i++)); do
  "$kd" run --list --shard "$i/$n" "$@" | ids > "$out/list-$i"
  echo "shards.sh: shard $i/$n: $(wc -l < "$out/list-$i") scenarios"
  # What machine i of the matrix runs:
  "$kd" run --no-color --shard "$i/$n" --junit "$out/shard-$i.xml" "$@" > "$out/matrix-$i" || status=1
done
sort "$out"/list-* > "$out/union"
if ! diff -q "$out/all" "$out/union" >/dev/null; then
  echo "shards.sh: the shards do not cover every scenario exactly once:" >&2
  diff "$out/all" "$out/union" >&2 || true
  exit 1
fi
cases=$(cat "$out"/shard-*.xml | grep -c "<testcase " || true)
echo "shards.sh: every scenario in exactly one shard; $cases test cases in the $n JUnit files"
exit $status
