"""Benchmarks of `kubedouble serve` (see fakeserver_bench.sh). Start-up: bench_startup.cpp."""
import os, shutil, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_servers import (PODS, admin_token, free_port, nginx_config, pods_body,  # noqa: E402
                           start_kubedouble, stop, wait_listening)
from wrk_run import h2load, wrk  # noqa: E402

BIN = sys.argv[1]
WRK_ROUNDS = int(os.environ.get("KD_BENCH_WRK_ROUNDS", "5"))


def start(state, fresh, extra=()):
    return start_kubedouble(BIN, state, fresh, extra)


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

        token = admin_token(state)
        body = pods_body(port, state, token)
        header = "Authorization: Bearer " + token
        nginx_port = free_port()
        conf = nginx_config(tmp, os.path.join(state, "pki"), nginx_port, body)
        n = subprocess.Popen(["nginx", "-c", conf, "-p", tmp], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        bare = None
        try:
            # The same server without its simulated control plane, for the cost of the
            # controllers (their watches and writes) on the pods list.
            bare_state = os.path.join(tmp, "bare")
            bare, bare_port, _ = start(bare_state, True, ("--controllers", "none"))
            bare_token = admin_token(bare_state)
            wait_listening(nginx_port)
            # Rounds alternate between the two servers, both running, so that a busy moment of
            # the machine does not fall on one of them only; the figures are medians.
            # nginx gets a worker per core, as kubedouble uses every core; its CPU time is that of
            # the master and its workers together.
            ours_runs, theirs_runs, ours_cpu, theirs_cpu, bare_runs = [], [], [], [], []
            ours_h2, theirs_h2 = [], []
            for _ in range(WRK_ROUNDS):
                rps, _ = wrk(f"https://127.0.0.1:{bare_port}" + PODS,
                             "Authorization: Bearer " + bare_token, bare.pid)
                bare_runs.append(rps)
                rps, cpu = wrk(f"https://127.0.0.1:{port}" + PODS,
                               header, p.pid)
                ours_runs.append(rps)
                ours_cpu.append(cpu)
                rps, cpu = wrk(f"https://127.0.0.1:{nginx_port}" + PODS,
                               header, n.pid)
                theirs_runs.append(rps)
                theirs_cpu.append(cpu)
                # The same list over HTTP/2 (ALPN "h2"; nginx: `listen ... ssl http2`).
                ours_h2.append(h2load(f"https://127.0.0.1:{port}" + PODS,
                                      header, p.pid)[0])
                theirs_h2.append(h2load(
                    f"https://127.0.0.1:{nginx_port}" + PODS, header,
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


main()
