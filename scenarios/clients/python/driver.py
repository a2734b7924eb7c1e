#!/usr/bin/python3
"""The scenario driver for the official Python client (Debian's python3-kubernetes).

Reads a job as JSON on stdin: {"target": {...}, "request": {...}} (see scenarios/README.md),
configures the client the way a program would for the access path, makes the request and prints
the normalized outcome as one JSON line on stdout:
  {"outcome": "ok", "code": 200, "items": 3}
  {"outcome": "tls_error", "message": "..."}
  {"outcome": "http_error", "code": 403, "reason": "Forbidden", "message": "..."}
  {"outcome": "connect_error" | "config_error" | "timeout", "message": "..."}

With --worker it stays up and takes one job after another, one JSON line each on stdin:
  {"id": 7, "env": {...}, "cwd": "/run/folder", "target": {...}, "request": {...}}
and answers each with one line {"id": 7, "outcome": ...}. Every job gets the environment and
working folder of its run and builds its client configuration afresh, as a program started for
that run would; only the interpreter start and the import of the client are paid once. (The
runner starts a process of its own for a job whose client reads its environment at import time
— KUBECONFIG — or that needs a private mount namespace.)
"""
import json
import os
import socket
import ssl
import sys

import urllib3


class Emitted(Exception):
    """The job's outcome is known: unwinds to the job loop with it."""

    def __init__(self, fields):
        super().__init__(fields.get("outcome"))
        self.fields = fields


def emit(outcome, **fields):
    fields["outcome"] = outcome
    raise Emitted(fields)


def first_line(text):
    text = str(text).strip()
    return text.splitlines()[0][:300] if text else ""


def run_job(job):
    """The outcome of one job, as a dict."""
    try:
        from kubernetes import client
    except ImportError as e:  # the runner checks this first; keep the message honest anyway
        return {"skip": "the Python client cannot be imported: %s" % e}
    client.Configuration.set_default(None)  # nothing carried over from an earlier job
    api_clients = []
    try:
        run_request(job["target"], job["request"], api_clients)
    except Emitted as e:
        return e.fields
    finally:
        for api_client in api_clients:  # close this job's connections
            try:
                api_client.rest_client.pool_manager.clear()
            except Exception:  # noqa: BLE001 - closing is best effort
                pass
    return {"outcome": "connect_error", "message": "the driver reached no outcome"}


def run_request(target, request, api_clients):
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    # --- configuration, the way a program would do it for this access path ---
    try:
        path = target["path"]
        if path == "kubeconfig":
            context = target.get("context") or None
            if target.get("kubeconfig_env", True):
                config.load_kube_config(context=context)  # KUBECONFIG, merged
            else:
                config.load_kube_config(config_file=target["kubeconfigs"][0], context=context)
            api_client = client.ApiClient()
        elif path == "in-cluster":
            if target.get("private_mounts"):
                config.load_incluster_config()
            else:  # fallback: the folder is not at the real place
                sa = target["sa_dir"]
                # load_incluster_config() takes no file names in python3-kubernetes 22.6
                # (Debian 12); its loader does, in every version.
                from kubernetes.config.incluster_config import InClusterConfigLoader
                InClusterConfigLoader(token_filename=os.path.join(sa, "token"),
                                      cert_filename=os.path.join(sa, "ca.crt")).load_and_set()
            api_client = client.ApiClient()
        elif target.get("via_flags") or path in ("proxy", "sidecar"):
            c = client.Configuration()
            c.host = target["server"]
            if target.get("ca_file"):
                c.ssl_ca_cert = target["ca_file"]
            if target.get("insecure"):
                c.verify_ssl = False
            if target.get("token"):
                c.api_key = {"authorization": target["token"]}
                c.api_key_prefix = {"authorization": "Bearer"}
            if target.get("cert_file"):
                c.cert_file, c.key_file = target["cert_file"], target["key_file"]
            if target.get("tls_server_name"):
                c.tls_server_name = target["tls_server_name"]
            api_client = client.ApiClient(c)
        else:
            config.load_kube_config(config_file=target["kubeconfig"])
            api_client = client.ApiClient()
    except ConfigException as e:
        emit("config_error", message=first_line(e))
    except (OSError, ValueError, TypeError, KeyError) as e:
        emit("config_error", message=first_line("%s: %s" % (type(e).__name__, e)))
    api_clients.append(api_client)
    # python3-kubernetes has no impersonation setting: a program sets the headers itself.
    impersonate = request.get("impersonate")
    if impersonate:
        api_client.set_default_header("Impersonate-User", impersonate["user"])
        for group in impersonate.get("groups") or []:
            api_client.set_default_header("Impersonate-Group", group)
        if impersonate.get("uid"):
            api_client.set_default_header("Impersonate-Uid", impersonate["uid"])

    # --- the request ---
    verb = request["verb"]
    ns = request["namespace"]
    if request.get("inferred_namespace"):
        ns = inferred_namespace(target)
    timeout = request.get("timeout") or None
    kw = {"_preload_content": False}
    if timeout:
        kw["_request_timeout"] = timeout
    core = client.CoreV1Api(api_client)
    resource = request["resource"]
    singular = {"pods": "pod", "secrets": "secret", "serviceaccounts": "service_account",
                "configmaps": "config_map", "namespaces": "namespace", "events": "event"}[resource]
    try:
        if verb == "list":
            if resource == "namespaces":
                resp = core.list_namespace(**kw)
            elif request["all_namespaces"]:
                resp = getattr(core, "list_%s_for_all_namespaces" % singular)(**kw)
            else:
                resp = getattr(core, "list_namespaced_%s" % singular)(ns, **kw)
        elif verb == "get":
            resp = getattr(core, "read_namespaced_%s" % singular)(request["name"], ns, **kw)
        elif verb == "create":
            resp = getattr(core, "create_namespaced_%s" % singular)(ns, request["body"], **kw)
        elif verb == "patch":
            api_client.select_header_content_type = lambda types, *a, **k: request["content_type"]
            body = request["body"]
            if request["patch_type"] == "apply":
                # The typed patch takes the apply type (YAML) only as text: JSON is YAML.
                body = json.dumps(body)
                kw["field_manager"] = request["field_manager"]
                if request["force"]:
                    kw["force"] = True
            resp = getattr(core, "patch_namespaced_%s" % singular)(request["name"], ns, body, **kw)
        elif verb == "delete":
            resp = getattr(core, "delete_namespaced_%s" % singular)(request["name"], ns, **kw)
        elif verb == "whoami":
            body = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
            api = client.AuthenticationV1Api(api_client)
            if hasattr(api, "create_self_subject_review"):
                resp = api.create_self_subject_review(body, **kw)
            else:  # python3-kubernetes before v28 has no typed SelfSubjectReview: post it raw
                resp = api_client.call_api(
                    "/apis/authentication.k8s.io/v1/selfsubjectreviews", "POST",
                    header_params={"Accept": "application/json",
                                   "Content-Type": "application/json"},
                    body=body, auth_settings=["BearerToken"], _preload_content=False,
                    _request_timeout=timeout, _return_http_data_only=True)
        elif verb == "version":
            resp = client.VersionApi(api_client).get_code(**kw)
        elif verb == "watch":
            from kubernetes import watch
            w = watch.Watch()
            fn = (getattr(core, "list_%s_for_all_namespaces" % singular)
                  if request["all_namespaces"] else getattr(core, "list_namespaced_%s" % singular))
            args = [] if request["all_namespaces"] else [ns]
            n = 0
            for _ in w.stream(fn, *args, timeout_seconds=10):
                n += 1
                if n >= request["events"]:
                    w.stop()
            emit("ok", code=200, events=n)
        elif verb == "raw":
            headers = dict(request.get("headers") or {})
            headers.setdefault("Accept", "application/json")
            body = request.get("body")
            resp = api_client.call_api(
                request["path"], request["method"], header_params=headers, body=body,
                auth_settings=["BearerToken"], _preload_content=False,
                _request_timeout=timeout, _return_http_data_only=True)
        elif verb == "exec":
            from kubernetes.stream import stream
            try:
                out = stream(core.connect_get_namespaced_pod_exec, request["name"], ns,
                             command=request["command"], stderr=True, stdin=False, stdout=True,
                             tty=False)
            except client.exceptions.ApiException as e:
                refused_upgrade(e)
            emit("ok", message=first_line(out))
        elif verb == "port-forward":
            from kubernetes.stream import portforward
            port = request["port"]
            try:
                pf = portforward(core.connect_get_namespaced_pod_portforward, request["name"],
                                 ns, ports=str(port))
            except client.exceptions.ApiException as e:
                refused_upgrade(e)
            conn = pf.socket(port)
            conn.settimeout(10)
            conn.sendall((request["send"] + "\n").encode())
            back = b""
            while b"\n" not in back:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                back += chunk
            conn.close()
            pf.close()
            emit("ok", message=first_line(back.decode(errors="replace")))
        else:
            raise Emitted({"skip": "verb %s is not in the python driver" % verb})
    except client.exceptions.ApiException as e:
        fields = {"code": e.status, "message": first_line(e.reason)}
        try:
            status = json.loads(e.body)
            fields["reason"] = status.get("reason", "")
            fields["message"] = first_line(status.get("message", ""))
        except (TypeError, ValueError):
            pass
        emit("http_error", **fields)
    except urllib3.exceptions.MaxRetryError as e:
        classify(e.reason)
    except (urllib3.exceptions.HTTPError, OSError) as e:
        classify(e)
    except ConfigException as e:
        emit("config_error", message=first_line(e))

    # 2xx: read the body like the client does (a connection can still break off here)
    status = getattr(resp, "status", 200)
    try:
        data = resp.data if hasattr(resp, "data") else b""
    except (urllib3.exceptions.HTTPError, OSError) as e:
        classify(e)
    fields = {"code": status}
    try:
        doc = json.loads(data) if data else {}
        if isinstance(doc.get("items"), list):
            fields["items"] = len(doc["items"])
        if doc.get("kind") == "SelfSubjectReview":
            fields["user"] = doc.get("status", {}).get("userInfo", {}).get("username", "")
        if doc.get("kind") == "TokenReview":
            fields["authenticated"] = bool(doc.get("status", {}).get("authenticated"))
            fields["user"] = doc.get("status", {}).get("user", {}).get("username", "")
    except ValueError:
        pass
    if status >= 400:
        emit("http_error", **fields)
    emit("ok", **fields)


def refused_upgrade(e):
    """stream() and portforward() report a refused upgrade as ApiException(status=0) whose
    reason is websocket-client's "Handshake status 403 Forbidden" (it reads no body)."""
    import re
    from http import HTTPStatus
    m = re.search(r"Handshake status (\d+)", str(e.reason))
    if e.status == 0 and m:
        code = int(m.group(1))
        try:
            reason = HTTPStatus(code).phrase.replace(" ", "")
        except ValueError:
            reason = ""
        emit("http_error", code=code, reason=reason, message=first_line(e.reason))
    raise e


def classify(err):
    text = "%s: %s" % (type(err).__name__, err)
    # urllib3 1.x makes NewConnectionError a ConnectTimeoutError: look at it first.
    if isinstance(err, urllib3.exceptions.NewConnectionError) and "timed out" not in text:
        emit("connect_error", message=first_line(text))
    if isinstance(err, (ssl.SSLError, urllib3.exceptions.SSLError)) or "CERTIFICATE_VERIFY" in text \
            or "certificate" in text.lower():
        emit("tls_error", message=first_line(text))
    if isinstance(err, (urllib3.exceptions.ReadTimeoutError, urllib3.exceptions.ConnectTimeoutError,
                        socket.timeout, TimeoutError)) or "timed out" in text:
        emit("timeout", message=first_line(text))
    emit("connect_error", message=first_line(text))


def worker(import_error):
    """One job per stdin line, one outcome line each, until stdin closes. A line with "probe"
    asks whether the client could be imported: {"ready": true} or {"unavailable": why}."""
    out = sys.stdout
    sys.stdout = sys.stderr  # nothing but outcome lines on the real stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        job = json.loads(line)
        if job.get("probe"):
            answer = {"unavailable": import_error} if import_error else {"ready": True}
            answer["id"] = job.get("id")
            out.write(json.dumps(answer) + "\n")
            out.flush()
            continue
        os.environ.clear()
        os.environ.update(job.get("env") or {})
        if job.get("cwd"):
            os.chdir(job["cwd"])
        try:
            fields = run_job(job)
        except Exception as e:  # noqa: BLE001 - a driver bug must not look like a client result
            fields = {"error": first_line("%s: %s" % (type(e).__name__, e))}
        fields["id"] = job.get("id")
        out.write(json.dumps(fields) + "\n")
        out.flush()


def inferred_namespace(target):
    """The namespace a program takes from its configuration: the pod's namespace file in-cluster
    (the Python client leaves reading it to the program), else the kubeconfig's context."""
    from kubernetes import config
    path = target["path"]
    if path == "in-cluster":
        sa = ("/var/run/secrets/kubernetes.io/serviceaccount" if target.get("private_mounts")
              else target["sa_dir"])
        with open(os.path.join(sa, "namespace")) as f:
            return f.read().strip() or "default"
    if target.get("via_flags") or path in ("proxy", "sidecar"):
        return "default"
    if path == "kubeconfig":
        files = target["kubeconfigs"][:1] if not target.get("kubeconfig_env", True) else [None]
        _, active = config.list_kube_config_contexts(config_file=files[0])
        if target.get("context"):
            contexts, _ = config.list_kube_config_contexts(config_file=files[0])
            active = next((c for c in contexts if c["name"] == target["context"]), active)
    else:
        _, active = config.list_kube_config_contexts(config_file=target["kubeconfig"])
    return (active or {}).get("context", {}).get("namespace") or "default"


def main():
    import_error = ""
    try:  # imported once, before the first job, as a program would
        import kubernetes.client  # noqa: F401
        import kubernetes.config  # noqa: F401
    except ImportError as e:  # each job reports it as a skip
        import_error = "%s: %s" % (type(e).__name__, e)
    urllib3.disable_warnings()
    if "--worker" in sys.argv[1:]:
        worker(import_error)
        return
    print(json.dumps(run_job(json.load(sys.stdin))), flush=True)


if __name__ == "__main__":
    main()
