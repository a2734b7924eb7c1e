"""RBAC benchmark (see rbac_bench.sh): the same pods list, authorized through a RoleBinding to
`view`, against a server with the bootstrap policy only and one with 1,000 RoleBindings and 200
ClusterRoles more (10 of them aggregated into view). The issue's bound: within 10 %."""
import json, os, re, shutil, signal, ssl, statistics, subprocess, sys, tempfile, time
import http.client

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wrk_run import wrk  # noqa: E402

BIN = sys.argv[1]
ROUNDS = int(os.environ.get("KD_BENCH_RBAC_ROUNDS", "4"))
SECONDS = os.environ.get("KD_BENCH_RBAC_SECONDS", "3")
RBAC = "rbac.authorization.k8s.io"


def rbac_objects(bindings, roles):
    """ClusterRoles with a few rules each (every 20th aggregated into view) and RoleBindings of
    distinct users and service accounts over ten namespaces."""
    out = []
    for i in range(roles):
        meta = {"name": f"bench-role-{i}"}
        if i % 20 == 0:
            meta["labels"] = {f"{RBAC}/aggregate-to-view": "true"}
        out.append({"apiVersion": f"{RBAC}/v1", "kind": "ClusterRole", "metadata": meta,
                    "rules": [{"apiGroups": [f"g{i}.example.com"], "resources": [f"things{j}"],
                               "verbs": ["get", "list", "watch"]} for j in range(5)]})
    namespaces = ["default"] + [f"team-{n}" for n in range(9)]
    for ns in namespaces[1:]:
        out.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    for i in range(bindings):
        out.append({"apiVersion": f"{RBAC}/v1", "kind": "RoleBinding",
                    "metadata": {"name": f"bench-binding-{i}",
                                 "namespace": namespaces[i % len(namespaces)]},
                    "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole",
                                "name": f"bench-role-{i % roles}"},
                    "subjects": [{"apiGroup": RBAC, "kind": "User", "name": f"user-{i}"},
                                 {"kind": "ServiceAccount", "name": f"sa-{i}",
                                  "namespace": namespaces[i % len(namespaces)]}]})
    return out


def start(tmp, name, objects):
    state = os.path.join(tmp, name)
    fixtures = os.path.join(tmp, name + ".json")
    user_view = {"apiVersion": f"{RBAC}/v1", "kind": "RoleBinding",
                 "metadata": {"name": "user-view", "namespace": "default"},
                 "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": "view"},
                 "subjects": [{"apiGroup": RBAC, "kind": "User", "name": "kubedouble-user"}]}
    with open(fixtures, "w") as f:
        json.dump({"apiVersion": "v1", "kind": "List", "items": objects + [user_view]}, f)
    p = subprocess.Popen([BIN, "serve", "--dir", state, "--port", "0", "--fixtures", fixtures],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = int(re.search(r":(\d+) \(", p.stdout.readline()).group(1))
    token = open(os.path.join(state, "tokens.csv")).read().splitlines()[1].split(",")[0]
    ctx = ssl.create_default_context(cafile=os.path.join(state, "pki", "ca.crt"))
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=5)
    c.request("GET", "/api/v1/namespaces/default/pods", headers={"Authorization": "Bearer " + token})
    status = c.getresponse().status
    if status != 200:
        raise SystemExit(f"rbac_bench: the bound user got {status} from {name}")
    return p, port, token


def pods(port, token, pid):
    return wrk(f"https://127.0.0.1:{port}/api/v1/namespaces/default/pods",
               "Authorization: Bearer " + token, pid, SECONDS)


def main():
    tmp = tempfile.mkdtemp(prefix="kd-rbac-bench-")
    servers = []
    try:
        servers.append(start(tmp, "bootstrap", []))
        servers.append(start(tmp, "loaded", rbac_objects(1000, 200)))
        base, loaded = [], []
        for _ in range(ROUNDS):
            base.append(pods(servers[0][1], servers[0][2], servers[0][0].pid))
            loaded.append(pods(servers[1][1], servers[1][2], servers[1][0].pid))
        ratios = [l[0] / b[0] for l, b in zip(loaded, base) if b[0]]
        ratio = statistics.median(ratios) if ratios else 0
        print(f"rbac/pods_rps_bootstrap_only {statistics.median(r for r, _ in base):.0f} req/s")
        print(f"rbac/pods_rps_1000_bindings_200_roles "
              f"{statistics.median(r for r, _ in loaded):.0f} req/s")
        print(f"rbac/pods_rps_loaded_vs_bootstrap {ratio:.2f} ratio {ratio:.2f}")
        # CPU per request moves less than requests/s when the machine is shared.
        base_us = statistics.median(c for _, c in base)
        loaded_us = statistics.median(c for _, c in loaded)
        print(f"rbac/cpu_per_request_bootstrap_only {base_us:.1f} us")
        print(f"rbac/cpu_per_request_1000_bindings_200_roles {loaded_us:.1f} us")
        if loaded_us:
            print(f"rbac/cpu_per_request_bootstrap_vs_loaded {base_us / loaded_us:.2f} ratio "
                  f"{base_us / loaded_us:.2f}")
    finally:
        for p, _, _ in servers:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


main()
