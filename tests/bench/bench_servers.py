"""The servers the serve benchmarks compare: `kubedouble serve` started on a state folder, and nginx
serving the bytes of kubedouble's pods list from a file on kubedouble's certificate and key
(nginx_reference.conf). Loopback only; the callers stop what they start."""
import os, re, signal, socket, ssl, subprocess, time
import http.client

PODS = "/api/v1/namespaces/default/pods"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_kubedouble(binary, state, fresh, extra=(), prefix=(), timeout=10.0):
    """`binary serve` on `state` and a free port, run under `prefix` (e.g. valgrind) when given;
    returns (process, port, milliseconds until /readyz answered 200)."""
    args = [*prefix, binary, "serve", "--dir", state, "--port", "0", "--anonymous", *extra]
    if fresh:
        args.append("--fresh-pki")
    t0 = time.perf_counter()
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline()
    found = re.search(r":(\d+) \(", line)
    if not found:
        p.kill()
        raise RuntimeError(f"{binary} serve printed no ready line (got {line!r})")
    port = int(found.group(1))
    ctx = ssl.create_default_context(cafile=os.path.join(state, "pki", "ca.crt"))
    while True:
        try:
            c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=5)
            c.request("GET", "/readyz")
            if c.getresponse().status == 200:
                break
        except OSError:
            if time.perf_counter() - t0 > timeout:
                p.kill()
                raise
            time.sleep(0.0005)
    return p, port, (time.perf_counter() - t0) * 1000


def stop(p):
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=60)


def admin_token(state):
    with open(os.path.join(state, "tokens.csv")) as f:
        return f.readline().split(",")[0]


def pods_body(port, state, token):
    """The pods list as a client that asks for nothing in particular gets it (compact JSON)."""
    ctx = ssl.create_default_context(cafile=os.path.join(state, "pki", "ca.crt"))
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
    c.request("GET", PODS, headers={"Authorization": "Bearer " + token})
    return c.getresponse().read()


def nginx_config(tmp, pki, port, body, connections=1024, files=2048, one_process=False):
    """Writes `body` where nginx serves PODS from and nginx's configuration (nginx_reference.conf)
    under `tmp`; returns the configuration's path. `one_process`: no master, one worker, for a
    tool that follows one process."""
    www = os.path.join(tmp, "www", "api", "v1", "namespaces", "default")
    os.makedirs(www, exist_ok=True)
    # nginx's workers run as an unprivileged user when it is started as root: let them read.
    d = www
    while True:
        os.chmod(d, 0o755)
        if d == tmp or d == os.path.dirname(d):
            break
        d = os.path.dirname(d)
    with open(os.path.join(www, "pods"), "wb") as f:
        f.write(body)
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "nginx_reference.conf")) as f:
        text = f.read()
    for key, value in (("@DIR@", tmp), ("@PKI@", pki), ("@PORT@", str(port)),
                       ("@CONNECTIONS@", str(connections)), ("@FILES@", str(files))):
        text = text.replace(key, value)
    if one_process:
        text = text.replace("worker_processes auto;", "worker_processes 1; master_process off;")
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write(text)
    return conf


def wait_listening(port, tries=400):
    for _ in range(tries):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")
