#!/usr/bin/env bash
# Instructions per answered pods list, counted by callgrind: `kubedouble serve` (no control plane,
# so that only the requests are counted) against nginx serving the same bytes from a file on the
# same certificate (one process, so that one count holds all its work), over HTTP/2 and HTTP/1.1
# (h2load, 2,000 requests after 500). Counts do not move with the machine's speed or load, as
# requests/s do. User-space instructions only: the kernel's share (socket writes) is not in them.
# Prints `name value unit [ratio]` lines; a ratio below 1 is fewer instructions than nginx.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${KUBEDOUBLE:-$here/../../build/cli/kubedouble}"
exec /usr/bin/python3 "$here/requests_counted.py" "$bin"
