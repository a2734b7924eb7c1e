#!/usr/bin/env bash
# Port-forward throughput: MB (default 100) megabytes sent and echoed back through
# `kubectl port-forward` to an echo port of a kubedouble pod (a PodStage `echo: true` rule),
# against the same bytes through a plain TLS echo (Python's ssl module) on the same machine, in
# one run; prints both rates and the ratio. Loopback only, one connection each, bounded by
# timeouts. Usage: tests/bench/port_forward_throughput.sh [path/to/kubedouble]
set -euo pipefail
bin=${1:-build/cli/kubedouble}
mb=${MB:-100}
dir=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$dir"; }
trap cleanup EXIT

cat > "$dir/stages.yaml" <<'YAML'
kind: PodStage
metadata: {name: echo}
spec:
  ports:
  - {port: 9000, echo: true}
YAML
"$bin" serve --port 0 --dir "$dir/state" --no-default-fixtures --stages "$dir/stages.yaml" \
  > "$dir/serve.log" 2>&1 & pids+=($!)
for _ in $(seq 100); do [ -s "$dir/state/kubeconfig" ] && break; sleep 0.1; done
export KUBECONFIG=$dir/state/kubeconfig
kubectl run echo --image=busybox --port=9000 > /dev/null
kubectl wait --for=condition=Ready pod/echo --timeout=20s > /dev/null
kubectl port-forward pod/echo 0:9000 > "$dir/pf.out" 2>&1 & pids+=($!)
port=
for _ in $(seq 100); do
  port=$(grep -om1 'Forwarding from 127.0.0.1:[0-9]*' "$dir/pf.out" | grep -o '[0-9]*$' || true)
  [ -n "$port" ] && break
  sleep 0.1
done

# The pump: sends MB megabytes on one connection while reading the echo back; prints seconds.
cat > "$dir/pump.py" <<'PY'
import socket, ssl, sys, threading, time
port, mb, tls = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "tls"
sock = socket.create_connection(("127.0.0.1", port), timeout=60)
if tls:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    sock = ctx.wrap_socket(sock)
total = mb << 20
chunk = b"k" * (64 << 10)
start = time.monotonic()
def send():
    for _ in range(total // len(chunk)):
        sock.sendall(chunk)
threading.Thread(target=send, daemon=True).start()
got = 0
while got < total:
    data = sock.recv(1 << 20)
    if not data:
        sys.exit(f"the echo ended after {got} bytes")
    got += len(data)
print(f"{time.monotonic() - start:.3f}")
PY

# The plain TLS echo.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
  -keyout "$dir/key.pem" -out "$dir/cert.pem" -days 1 2> /dev/null
cat > "$dir/echo.py" <<'PY'
import socket, ssl, sys
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
srv = socket.create_server(("127.0.0.1", 0))
print(srv.getsockname()[1], flush=True)
conn = ctx.wrap_socket(srv.accept()[0], server_side=True)
while data := conn.recv(1 << 20):
    conn.sendall(data)
PY
python3 "$dir/echo.py" "$dir/cert.pem" "$dir/key.pem" > "$dir/echo.port" & pids+=($!)
for _ in $(seq 100); do [ -s "$dir/echo.port" ] && break; sleep 0.1; done

pf=$(timeout 120 python3 "$dir/pump.py" "$port" "$mb" plain)
tls=$(timeout 120 python3 "$dir/pump.py" "$(cat "$dir/echo.port")" "$mb" tls)
python3 - "$mb" "$pf" "$tls" <<'PY'
import sys
mb, pf, tls = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
print(f"kubectl port-forward → kubedouble echo: {mb} MB in {pf:.2f} s ({mb / pf:.0f} MB/s)")
print(f"plain TLS echo (Python ssl):          {mb} MB in {tls:.2f} s ({mb / tls:.0f} MB/s)")
print(f"ratio (port-forward time / TLS echo time): {pf / tls:.1f}")
PY
