#!/usr/bin/env bash
# Resident memory of the object store with 10,000 pods loaded (run by ci/bench from the root).
set -euo pipefail
bin=build/tests/bench/bench_store
[[ -x $bin ]] && "$bin" --rss-report
