"""Benchmarks of `kubedouble serve` (see fakeserver_bench.sh). Start-up: bench_startup.cpp."""
import json, os, re, shutil, signal, socket, ssl, statistics, subprocess, sys, tempfile, time
import http.client

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wrk_run import h2load, wrk  # noqa: E402

BIN = sys.argv[1]
WRK_ROUNDS = int(os.environ.get("KD_BENCH_WRK_ROUNDS", "5"))


def start(state, fresh, extra=()):
    args = [BIN, "serve", "--dir", state, "--port", "0", "--anonymous", *extra]
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


def main():
    tmp = tempfile.mkdtemp(prefix="kd-bench-")
    state = os.path.join(tmp, "state")
    try:
        p, port, _ = start(state, True)  # mint once
        stop(p)
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
        # nginx's workers run as an unprivileged user when it is started as root: let them read.
        for d in (tmp, os.path.join(tmp, "www"), os.path.join(tmp, "www", "api"),
                  os.path.join(tmp, "www", "api", "v1"), os.path.dirname(www), www):
            os.chmod(d, 0o755)
        with open(os.path.join(www, "pods"), "wb") as f:
            f.write(body)
        header = "Authorization: Bearer " + token
        nginx_port = free_port()
        conf = os.path.join(tmp, "nginx.conf")
        pki = os.path.join(state, "pki")
        # The configuration nginx_reference.h starts nginx from too.
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                               "nginx_reference.conf")) as f:
            text = f.read()
        for key, value in (("@DIR@", tmp), ("@PKI@", pki), ("@PORT@", str(nginx_port)),
                           ("@CONNECTIONS@", "1024"), ("@FILES@", "2048")):
            text = text.replace(key, value)
        with open(conf, "w") as f:
            f.write(text)
        n = subprocess.Popen(["nginx", "-c", conf, "-p", tmp], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        bare = None
        try:
            # The same server without its simulated control plane, for the cost of the
            # controllers (their watches and writes) on the pods list.
            bare_state = os.path.join(tmp, "bare")
            bare, bare_port, _ = start(bare_state, True, ("--controllers", "none"))
            bare_token = open(os.path.join(bare_state, "tokens.csv")).readline().split(",")[0]
            for _ in range(200):
                try:
                    socket.create_connection(("127.0.0.1", nginx_port), timeout=0.1).close()
                    break
                except OSError:
                    time.sleep(0.02)
            # Rounds alternate between the two servers, both running, so that a busy moment of
            # the machine does not fall on one of them only; the figures are medians.
            # nginx gets a worker per core, as kubedouble uses every core; its CPU time is that of
            # the master and its workers together.
            ours_runs, theirs_runs, ours_cpu, theirs_cpu, bare_runs = [], [], [], [], []
            ours_h2, theirs_h2 = [], []
            for _ in range(WRK_ROUNDS):
                rps, _ = wrk(f"https://127.0.0.1:{bare_port}/api/v1/namespaces/default/pods",
                             "Authorization: Bearer " + bare_token, bare.pid)
                bare_runs.append(rps)
                rps, cpu = wrk(f"https://127.0.0.1:{port}/api/v1/namespaces/default/pods",
                               header, p.pid)
                ours_runs.append(rps)
                ours_cpu.append(cpu)
                rps, cpu = wrk(f"https://127.0.0.1:{nginx_port}/api/v1/namespaces/default/pods",
                               header, n.pid)
                theirs_runs.append(rps)
                theirs_cpu.append(cpu)
                # The same list over HTTP/2 (ALPN "h2"; nginx: `listen ... ssl http2`).
                ours_h2.append(h2load(f"https://127.0.0.1:{port}/api/v1/namespaces/default/pods",
                                      header, p.pid)[0])
                theirs_h2.append(h2load(
                    f"https://127.0.0.1:{nginx_port}/api/v1/namespaces/default/pods", header,
                    n.pid)[0])
        finally:
            n.terminate()
            n.wait(timeout=10)
            if bare:
                stop(bare)
            stop(p)
        ours, theirs = statistics.median(ours_runs), statistics.median(theirs_runs)
        ratios = [o / t for o, t in zip(ours_runs, theirs_runs) if t]
        ratio = statistics.median(ratios) if ratios else 0
        print(f"fakeserver/wrk_pods_rps {ours:.0f} req/s")
        print(f"nginx/wrk_same_bytes_rps {theirs:.0f} req/s")
        print(f"fakeserver/wrk_vs_nginx {ratio:.2f} ratio {ratio:.2f}")
        h2_ratios = [o / t for o, t in zip(ours_h2, theirs_h2) if t]
        print(f"fakeserver/h2load_pods_rps {statistics.median(ours_h2):.0f} req/s")
        print(f"nginx/h2load_same_bytes_rps {statistics.median(theirs_h2):.0f} req/s")
        if h2_ratios:
            r = statistics.median(h2_ratios)
            print(f"fakeserver/h2load_vs_nginx {r:.2f} ratio {r:.2f}")
        # With the control plane running vs without it (issue 18: within 10 %).
        bare_ratios = [o / b for o, b in zip(ours_runs, bare_runs) if b]
        if bare_ratios:
            r = statistics.median(bare_ratios)
            print(f"fakeserver/wrk_controllers_vs_none {r:.2f} ratio {r:.2f}")
        # CPU per request moves less than requests/s when the machine's speed does.
        ours_us, theirs_us = statistics.median(ours_cpu), statistics.median(theirs_cpu)
        print(f"fakeserver/cpu_per_request {ours_us:.1f} us")
        print(f"nginx/cpu_per_request {theirs_us:.1f} us")
        if ours_us:
            print(f"fakeserver/cpu_per_request_vs_nginx {theirs_us / ours_us:.2f} ratio "
                  f"{theirs_us / ours_us:.2f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


main()
