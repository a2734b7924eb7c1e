#!/usr/bin/env bash
# Authorization cost: pods-list throughput (wrk) as a user bound to `view`, with the bootstrap
# policy only and with 1,000 RoleBindings and 200 ClusterRoles more in the store, two servers in
# the same run, rounds alternating. Prints `name value unit [ratio]` lines. Loopback only;
# everything is stopped.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${KUBEDOUBLE:-$here/../../build/cli/kubedouble}"
exec /usr/bin/python3 "$here/rbac_bench.py" "$bin"
