#!/usr/bin/env bash
# Fake API server figures: idle RSS, and wrk (HTTP/1.1) and h2load (HTTP/2) throughput against
# nginx serving the same bytes over TLS with the same certificate (start-up is bench_startup.cpp's). Prints `name value unit
# [ratio]` lines. Loopback only; everything is stopped.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${KUBEDOUBLE:-$here/../../build/cli/kubedouble}"
exec /usr/bin/python3 "$here/fakeserver_bench.py" "$bin"
