"""Instructions per answered pods list, kubedouble against nginx, counted (see
requests_counted.sh)."""
import os, shutil, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_servers import (PODS, admin_token, free_port, nginx_config, pods_body,  # noqa: E402
                           start_kubedouble, stop, wait_listening)

BIN = sys.argv[1]
WARM_UP, COUNTED = 500, 2000
# h2load's load per protocol: HTTP/2 with ten streams on each of four connections, HTTP/1.1 one
# request at a time on each.
LOADS = {"h2": ["-c4", "-m10"], "h1": ["--h1", "-c4", "-m1"]}


def callgrind(out):
    return ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--dump-instr=no"]


def total_instructions(path):
    """The `totals:` (or `summary:`) line of a callgrind dump."""
    with open(path) as f:
        for line in f:
            if line.startswith(("totals:", "summary:")):
                return int(line.split()[1])
    raise RuntimeError(f"{path}: no totals line")


def h2load(url, token, n, load):
    out = subprocess.run(["h2load", *load, "-n", str(n), "-H", "Authorization: Bearer " + token,
                          url], capture_output=True, text=True, timeout=600).stdout
    if f"status codes: {n} 2xx" not in out:
        raise RuntimeError(f"{url}: not every answer was a 200:\n{out}")


def count(pid, dump_dir, url, token, load):
    """Instructions per request of the process `pid` (run under callgrind, dumping into
    `dump_dir`) for COUNTED requests after WARM_UP of them."""
    h2load(url, token, WARM_UP, load)
    subprocess.run(["callgrind_control", "--zero", str(pid)], check=True, capture_output=True)
    h2load(url, token, COUNTED, load)
    before = set(os.listdir(dump_dir))
    subprocess.run(["callgrind_control", "--dump", str(pid)], check=True, capture_output=True)
    for _ in range(200):
        new = [f for f in set(os.listdir(dump_dir)) - before if f.startswith("cg.out.")]
        if new:
            time.sleep(0.2)  # written whole
            return sum(total_instructions(os.path.join(dump_dir, f)) for f in new) / COUNTED
        time.sleep(0.05)
    raise RuntimeError(f"callgrind wrote no dump for {pid}")


def main():
    tmp = tempfile.mkdtemp(prefix="kd-counted-")
    state = os.path.join(tmp, "state")
    procs = []
    try:
        p, port, _ = start_kubedouble(BIN, state, True)  # mint
        token = admin_token(state)
        stop(p)
        results = {}
        for proto, load in LOADS.items():
            dumps = os.path.join(tmp, "kd-" + proto)
            os.makedirs(dumps)
            p, port, _ = start_kubedouble(BIN, state, False, ("--controllers", "none"),
                                          callgrind(os.path.join(dumps, "cg.out")), timeout=120)
            procs.append(p)
            body = pods_body(port, state, token)  # what nginx serves: the same list
            results[("fakeserver", proto)] = count(p.pid, dumps, f"https://127.0.0.1:{port}" + PODS,
                                                   token, load)
            stop(p)
            procs.remove(p)

            dumps = os.path.join(tmp, "nginx-" + proto)
            os.makedirs(dumps)
            nginx_port = free_port()
            conf = nginx_config(os.path.join(tmp, "nginx-" + proto + "-root"),
                                os.path.join(state, "pki"), nginx_port, body, one_process=True)
            n = subprocess.Popen([*callgrind(os.path.join(dumps, "cg.out")), "nginx", "-c", conf,
                                  "-p", os.path.dirname(conf)], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            procs.append(n)
            wait_listening(nginx_port)
            results[("nginx", proto)] = count(n.pid, dumps,
                                              f"https://127.0.0.1:{nginx_port}" + PODS, token,
                                              load)
            n.terminate()
            n.wait(timeout=60)
            procs.remove(n)
        for proto in LOADS:
            ours, theirs = results[("fakeserver", proto)], results[("nginx", proto)]
            print(f"fakeserver/instructions_per_request_{proto} {ours:.0f} instructions")
            print(f"nginx/instructions_per_request_{proto} {theirs:.0f} instructions")
            print(f"fakeserver/instructions_per_request_{proto}_vs_nginx {ours / theirs:.2f} "
                  f"ratio {ours / theirs:.2f}")
    finally:
        for p in procs:
            p.kill()
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


main()
