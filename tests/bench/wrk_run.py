"""What the serve benchmarks share: one load run (wrk over HTTP/1.1, h2load over HTTP/2) against a
server, with that server's CPU time."""
import os, re, subprocess, sys


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def process_tree(pid):
    """pid and its descendants (nginx's master and its workers)."""
    pids, i = [pid], 0
    while i < len(pids):
        try:
            for task in os.listdir(f"/proc/{pids[i]}/task"):
                with open(f"/proc/{pids[i]}/task/{task}/children") as f:
                    pids += [int(c) for c in f.read().split()]
        except OSError:
            pass
        i += 1
    return pids


def tree_cpu_seconds(pid):
    total = 0.0
    for p in process_tree(pid):
        try:
            total += cpu_seconds(p)
        except OSError:
            pass  # a worker that ended between the listing and the read
    return total


def wrk(url, header, server_pid, seconds="4"):
    """Requests/s, and the CPU time per request in microseconds of the server's processes."""
    cpu0 = tree_cpu_seconds(server_pid)
    out = subprocess.run(["wrk", "-t2", "-c16", f"-d{seconds}s", "--timeout", "5s", "-H", header,
                          url], capture_output=True, text=True, timeout=60).stdout
    cpu = tree_cpu_seconds(server_pid) - cpu0
    if "Non-2xx" in out or "Socket errors" in out:
        sys.exit(f"{url}: not every answer was a 200, so the figure would not count lists:\n{out}")
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    n = re.search(r"(\d+) requests in", out)
    per_request = cpu * 1e6 / int(n.group(1)) if n and int(n.group(1)) else 0.0
    return (float(rps.group(1)) if rps else 0.0), per_request


def h2load(url, header, server_pid, seconds="4"):
    """As wrk, over HTTP/2 (h2load, ALPN "h2"): 16 connections of 10 streams each, 2 threads."""
    cpu0 = tree_cpu_seconds(server_pid)
    out = subprocess.run(["h2load", "-t2", "-c16", "-m10", "-D", seconds, "-H", header, url],
                         capture_output=True, text=True, timeout=60).stdout
    cpu = tree_cpu_seconds(server_pid) - cpu0
    codes = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", out)
    if "Application protocol: h2" not in out or not codes or int(codes.group(1)) == 0 or any(
            int(codes.group(i)) for i in (2, 3, 4)):
        sys.exit(f"{url}: not every answer was an HTTP/2 200, so the figure would not count "
                 f"lists:\n{out}")
    rps = re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", out)
    n = int(codes.group(1))
    return (float(rps.group(1)) if rps else 0.0), cpu * 1e6 / n
