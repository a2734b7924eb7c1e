"""Benchmarks of `kubedouble serve` (see fakeserver_bench.sh)."""
import json, os, re, shutil, signal, socket, ssl, statistics, subprocess, sys, tempfile, time
import http.client

BIN = sys.argv[1]
RUNS = int(os.environ.get("KD_BENCH_RUNS", "15"))
WRK_ROUNDS = int(os.environ.get("KD_BENCH_WRK_ROUNDS", "3"))


def start(state, fresh):
    args = [BIN, "serve", "--dir", state, "--port", "0", "--anonymous"]
    if fresh:
        args.append("--fresh-pki")
    t0 = time.perf_counter()
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline()
    port = int(re.search(r":(\d+) \(", line).group(1))
    ctx = ssl.create_default_context(cafile=os.path.join(state, "pki", "ca.crt"))
    while True:
        try:
            c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=5)
            c.request("GET", "/readyz")
            if c.getresponse().status == 200:
                break
        except OSError:
            time.sleep(0.0005)
    return p, port, (time.perf_counter() - t0) * 1000


def stop(p):
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=30)


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for l in f:
            if l.startswith("VmRSS:"):
                return int(l.split()[1]) / 1024
    return 0.0


def wrk(url, header):
    out = subprocess.run(["wrk", "-t2", "-c16", "-d5s", "--timeout", "5s", "-H", header, url],
                         capture_output=True, text=True, timeout=60).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return float(m.group(1)) if m else 0.0


def main():
    tmp = tempfile.mkdtemp(prefix="kd-bench-")
    state = os.path.join(tmp, "state")
    try:
        p, port, _ = start(state, True)  # mint once
        stop(p)
        for fresh, name in ((False, "startup_existing_pki"), (True, "startup_fresh_pki")):
            times = []
            for _ in range(RUNS):
                p, port, ms = start(state, fresh)
                times.append(ms)
                stop(p)
            print(f"fakeserver/{name}_median {statistics.median(times):.2f} ms")

        p, port, _ = start(state, False)
        time.sleep(1.0)
        print(f"fakeserver/idle_rss {rss_mb(p.pid):.1f} MB")

        token = open(os.path.join(state, "tokens.csv")).readline().split(",")[0]
        ctx = ssl.create_default_context(cafile=os.path.join(state, "pki", "ca.crt"))
        c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
        c.request("GET", "/api/v1/namespaces/default/pods", headers={"Authorization": "Bearer " + token})
        body = c.getresponse().read()
        www = os.path.join(tmp, "www", "api", "v1", "namespaces", "default")
        os.makedirs(www)
        with open(os.path.join(www, "pods"), "wb") as f:
            f.write(body)
        header = "Authorization: Bearer " + token
        nginx_port = free_port()
        conf = os.path.join(tmp, "nginx.conf")
        pki = os.path.join(state, "pki")
        with open(conf, "w") as f:
            f.write(f"""
worker_processes 1; daemon off; pid {tmp}/nginx.pid; error_log {tmp}/nginx.err;
events {{ worker_connections 1024; }}
http {{
  access_log off; default_type application/json;
  client_body_temp_path {tmp}/cb; proxy_temp_path {tmp}/pt; fastcgi_temp_path {tmp}/ft;
  uwsgi_temp_path {tmp}/ut; scgi_temp_path {tmp}/st;
  server {{
    listen 127.0.0.1:{nginx_port} ssl; ssl_certificate {pki}/server.crt;
    ssl_certificate_key {pki}/server.key; ssl_protocols TLSv1.2 TLSv1.3;
    keepalive_requests 100000; root {tmp}/www;
  }}
}}
""")
        n = subprocess.Popen(["nginx", "-c", conf, "-p", tmp], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        try:
            for _ in range(200):
                try:
                    socket.create_connection(("127.0.0.1", nginx_port), timeout=0.1).close()
                    break
                except OSError:
                    time.sleep(0.02)
            # Rounds alternate between the two servers, both running, so that a busy moment of
            # the machine does not fall on one of them only; the figures are medians.
            ours_runs, theirs_runs = [], []
            for _ in range(WRK_ROUNDS):
                ours_runs.append(wrk(f"https://127.0.0.1:{port}/api/v1/namespaces/default/pods",
                                     header))
                theirs_runs.append(
                    wrk(f"https://127.0.0.1:{nginx_port}/api/v1/namespaces/default/pods", header))
        finally:
            n.terminate()
            n.wait(timeout=10)
            stop(p)
        ours, theirs = statistics.median(ours_runs), statistics.median(theirs_runs)
        ratios = [o / t for o, t in zip(ours_runs, theirs_runs) if t]
        ratio = statistics.median(ratios) if ratios else 0
        print(f"fakeserver/wrk_pods_rps {ours:.0f} req/s")
        print(f"nginx/wrk_same_bytes_rps {theirs:.0f} req/s")
        print(f"fakeserver/wrk_vs_nginx {ratio:.2f} ratio {ratio:.2f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


main()
