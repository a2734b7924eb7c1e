"""What the serve benchmarks share: one wrk run against a server, with that server's CPU time."""
import os, re, subprocess


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def wrk(url, header, server_pid, seconds="4"):
    """Requests/s, and the server's CPU time per request in microseconds."""
    cpu0 = cpu_seconds(server_pid)
    out = subprocess.run(["wrk", "-t2", "-c16", f"-d{seconds}s", "--timeout", "5s", "-H", header,
                          url], capture_output=True, text=True, timeout=60).stdout
    cpu = cpu_seconds(server_pid) - cpu0
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    n = re.search(r"(\d+) requests in", out)
    per_request = cpu * 1e6 / int(n.group(1)) if n and int(n.group(1)) else 0.0
    return (float(rps.group(1)) if rps else 0.0), per_request
