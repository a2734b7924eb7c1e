#!/usr/bin/python3
"""Peak RSS of `kubedouble serve` under the pre-authentication attacks of the hardening issue.

Usage: preauth_rss.py KUBEDOUBLE_BINARY
Each attack runs against a fresh server on 127.0.0.1, without credentials, for at most 30 s;
the server's VmHWM (peak resident memory) is read from /proc when the attack ends.
"""
import os
import re
import socket
import ssl
import subprocess
import sys
import tempfile
import time

MIB = 1 << 20


def start(binary, folder):
    p = subprocess.Popen([binary, "serve", "--port", "0", "--dir", folder],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline()
    port = int(re.search(r"https://127\.0\.0\.1:(\d+)", line).group(1))
    return p, port


def peak_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def attack(port, ca, head, body_chunks):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.check_hostname = False
    deadline = time.monotonic() + 30
    try:
        with socket.create_connection(("127.0.0.1", port)) as raw:
            with ctx.wrap_socket(raw) as s:
                s.settimeout(30)
                s.sendall(head)
                for chunk in body_chunks:
                    if time.monotonic() > deadline:
                        break
                    s.sendall(chunk)
                s.settimeout(5)
                answer = s.recv(200)
                return answer.split(b"\r\n", 1)[0].decode(errors="replace")
    except (OSError, ssl.SSLError) as e:
        return f"closed ({type(e).__name__})"


def repeat(data, total):
    sent = 0
    while sent < total:
        yield data
        sent += len(data)


def main():
    binary = sys.argv[1]
    target = b"POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\n"
    chunk = b"%x\r\n" % MIB + b"x" * MIB + b"\r\n"
    attacks = {
        "256 MiB chunked body": (target + b"Transfer-Encoding: chunked\r\n\r\n",
                                 repeat(chunk, 256 * MIB)),
        "270 MB body without a length": (target + b"\r\n", repeat(b"x" * MIB, 270 * MIB)),
        "2 million headers": (target, repeat(b"a:b\r\n" * 100000, 2000000 * 5)),
        "200 MB line without a line break": (b"GET /api HTTP/1.1\r\nX: ", repeat(b"a" * MIB, 200 * MIB)),
    }
    for name, (head, body) in attacks.items():
        with tempfile.TemporaryDirectory() as folder:
            p, port = start(binary, folder)
            before = peak_kb(p.pid)
            answer = attack(port, os.path.join(folder, "pki", "ca.crt"), head, body)
            time.sleep(0.5)
            after = peak_kb(p.pid)
            p.terminate()
            p.wait(timeout=15)
            print(f"{name:34s} peak RSS {after / 1024:7.1f} MB (idle {before / 1024:5.1f} MB): {answer}")


main()
