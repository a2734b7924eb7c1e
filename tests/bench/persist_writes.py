#!/usr/bin/env python3
"""The cost of `serve --persist` on writes: N sequential creates (one keep-alive connection,
admin token) against a server started with and without --persist, on loopback.

usage: tests/bench/persist_writes.py KUBEDOUBLE_BINARY [N=1000]
"""
import http.client
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time


def run(binary, n, persist):
    with tempfile.TemporaryDirectory() as d:
        state = os.path.join(d, "st")
        args = [binary, "serve", "--dir", state, "--port", "0"] + (["--persist"] if persist else [])
        server = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            line = server.stdout.readline()
            port = int(line.split("serving on ")[1].split(" ")[0].rsplit(":", 1)[1])
            token = open(os.path.join(state, "tokens.csv")).readline().split(",")[0]
            ctx = ssl.create_default_context(cafile=os.path.join(state, "pki", "ca.crt"))
            conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
            headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
            start = time.perf_counter()
            for i in range(n):
                body = json.dumps({"metadata": {"name": f"cm-{i}"}, "data": {"i": str(i)}})
                conn.request("POST", "/api/v1/namespaces/default/configmaps", body, headers)
                r = conn.getresponse()
                r.read()
                assert r.status == 201, r.status
            return (time.perf_counter() - start) / n
        finally:
            server.terminate()
            server.wait()


def main():
    binary = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    plain = run(binary, n, False)
    persisted = run(binary, n, True)
    print(f"{n} creates: {plain * 1e6:.0f} us each in memory, {persisted * 1e6:.0f} us each with "
          f"--persist (+{(persisted - plain) * 1e6:.0f} us: an append and an fdatasync per write)")


if __name__ == "__main__":
    main()
