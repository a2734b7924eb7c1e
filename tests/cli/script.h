// Bash scripts that drive the kubedouble binary for tests/cli: a temporary folder ($D), the
// binary ($K), kubectl kept away from the user's configuration, and `start`, which runs
// `kubedouble serve` in the background on a fresh port and waits for its ready line. Every
// process a script starts in the background is ended (by its pid) when the script exits.
#pragma once

#include <string>

#include "common/shell.h"

namespace kubedouble::cli_test {

using test::Bash;
using test::ShellQuote;

inline std::string Script(const std::string& body) {
  return std::string(R"(
set -u
K=)") + ShellQuote(KUBEDOUBLE_BINARY) +
         R"(
D=$(mktemp -d)
export HOME=$D KUBECACHEDIR=$D/kubecache
cleanup() { for p in $(jobs -p); do kill -9 "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$D"; }
trap cleanup EXIT
# start DIR [serve flags...] (--port 0 unless given): PID, PORT and URL of the new server; its output in DIR.out/DIR.err
start() {
  local dir=$1; shift
  local port=(--port 0)
  [[ " $* " == *" --port "* ]] && port=()
  "$K" serve --dir "$dir" "${port[@]}" "$@" >"$dir.out" 2>"$dir.err" &
  PID=$!
  for _ in $(seq 400); do
    if grep -q "serving on" "$dir.out" 2>/dev/null; then
      URL=$(sed -nE 's/.*serving on ([^ ]+) .*/\1/p' "$dir.out" | head -1)
      PORT=${URL##*:}
      return 0
    fi
    kill -0 "$PID" 2>/dev/null || { cat "$dir.err"; return 1; }
    sleep 0.05
  done
  return 1
}
# A free loopback port (bound, read, released).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
fingerprint() { openssl x509 -in "$1" -noout -fingerprint -sha256; }
cd "$D"
)" + body;
}

}  // namespace kubedouble::cli_test
