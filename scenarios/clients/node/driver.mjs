// The scenario driver for the official JavaScript client, @kubernetes/client-node.
//
// Reads a job as JSON on stdin: {"target": {...}, "request": {...}} (see scenarios/README.md),
// configures a KubeConfig the way a program would for the access path, makes the request and
// prints the normalized outcome as one JSON line on stdout.
//
// With --worker it stays up and takes one job after another, one JSON line each on stdin:
//   {"id": 7, "env": {...}, "cwd": "/run/folder", "target": {...}, "request": {...}}
// and answers each with one line {"id": 7, "outcome": ...}. Every job gets the environment and
// working folder of its run and builds its KubeConfig afresh, as a program started for that run
// would; only node's start and the import of the client are paid once. (The runner starts a
// process of its own for a job that needs a private mount namespace.)
import * as k8s from '@kubernetes/client-node';
import fetch from 'node-fetch';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { PassThrough, Writable } from 'node:stream';

function firstLine(text) {
  const s = String(text ?? '').trim();
  return s ? s.split('\n')[0].slice(0, 300) : '';
}

// The job's outcome is known: unwinds to runJob with it.
class Emitted extends Error {
  constructor(fields) { super(fields.outcome ?? 'skip'); this.fields = fields; }
}

function emit(outcome, fields = {}) {
  throw new Emitted({ outcome, ...fields });
}

const TLS_CODES = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unknown_authority',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unknown_authority',
  UNABLE_TO_GET_ISSUER_CERT: 'unknown_authority',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'unknown_authority',
  SELF_SIGNED_CERT_IN_CHAIN: 'unknown_authority',
  CERT_SIGNATURE_FAILURE: 'unknown_authority',
  CERT_HAS_EXPIRED: 'expired',
  CERT_NOT_YET_VALID: 'not_yet_valid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'hostname_mismatch',
};
const CONNECT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE',
  'EHOSTUNREACH', 'ENETUNREACH', 'ERR_STREAM_PREMATURE_CLOSE']);

function errorCode(err) {
  for (let e = err, depth = 0; e && depth < 5; e = e.cause, depth++) {
    if (e.code && typeof e.code === 'string') return e.code;
    if (e.errno && typeof e.errno === 'string') return e.errno;
  }
  return '';
}

function classify(err) {
  // A refused WebSocket upgrade (exec, port-forward): ws says "Unexpected server response: 403".
  const refused = /Unexpected server response: (\d+)/.exec(err?.message ?? '');
  if (refused) emit('http_error', { code: Number(refused[1]), message: firstLine(err.message) });
  if (err instanceof k8s.ApiException || (typeof err?.code === 'number' && err.code >= 100)) {
    let body = err.body;
    if (typeof body === 'string') { try { body = JSON.parse(body); } catch { /* text */ } }
    // The generated client keeps the body of some errors only (not of a 401): then the message
    // is its own description of the code ("Message: Unauthorized").
    const described = /\nMessage: ([^\n]*)/.exec(err.message ?? '');
    const fields = { code: err.code, message: firstLine(body?.message ?? described?.[1] ?? err.message) };
    if (body && body.reason) fields.reason = body.reason;
    emit('http_error', fields);
  }
  const code = errorCode(err);
  const message = firstLine(`${code ? code + ': ' : ''}${err?.message ?? err}`);
  // The client refusing its own configuration before sending anything.
  if (/is not allowed when|invalid configuration|no active cluster/i.test(message)) {
    emit('config_error', { message });
  }
  if (TLS_CODES[code]) emit('tls_error', { tls: TLS_CODES[code], message });
  if (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /certificate/i.test(message)) {
    emit('tls_error', { message });
  }
  if (CONNECT_CODES.has(code) || err?.type === 'system') emit('connect_error', { message });
  if (code === 'ETIMEDOUT' || err?.name === 'AbortError' || err?.type === 'request-timeout') {
    emit('timeout', { message });
  }
  emit('connect_error', { message });
}

// The outcome of one job: {outcome, ...fields} or {skip}.
async function runJob({ target, request }) {
  let timer;
  const timeout = request.timeout > 0
    ? new Promise((resolve) => {
      timer = setTimeout(() => resolve({ outcome: 'timeout', message: `no answer in ${request.timeout}s` }),
        request.timeout * 1000);
    })
    : null;
  const run = runRequest(target, request).then(
    () => ({ outcome: 'connect_error', message: 'the driver reached no outcome' }),
    (err) => {
      if (err instanceof Emitted) return err.fields;
      try { classify(err); } catch (e) { if (e instanceof Emitted) return e.fields; throw e; }
      return { outcome: 'connect_error', message: firstLine(err?.stack ?? err) };
    });
  try {
    return await (timeout ? Promise.race([run, timeout]) : run);
  } finally {
    clearTimeout(timer);
  }
}

async function runRequest(target, request) {
  // --- configuration, the way a program would do it for this access path ---
  const kc = new k8s.KubeConfig();
  try {
    if (target.path === 'kubeconfig') {
      if (target.kubeconfig_env) kc.loadFromDefault();  // KUBECONFIG, merged
      else kc.loadFromFile(target.kubeconfigs[0]);
      if (target.context) kc.setCurrentContext(target.context);
    } else if (target.path === 'in-cluster') {
      if (target.private_mounts) kc.loadFromCluster();
      else {
        // Fallback: the folder is not at the real place; give the client a root prefix where it is.
        const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kubedouble-pod-'));
        fs.mkdirSync(path.join(root, 'var/run/secrets/kubernetes.io'), { recursive: true });
        fs.symlinkSync(target.sa_dir, path.join(root, 'var/run/secrets/kubernetes.io/serviceaccount'));
        kc.loadFromCluster(root);
      }
    } else if (target.via_flags || target.path === 'proxy' || target.path === 'sidecar') {
      const cluster = { name: 'c', server: target.server, skipTLSVerify: !!target.insecure };
      if (target.ca_file) cluster.caFile = target.ca_file;
      if (target.tls_server_name) cluster.tlsServerName = target.tls_server_name;
      const user = { name: 'u' };
      if (target.token) user.token = target.token;
      if (target.cert_file) { user.certFile = target.cert_file; user.keyFile = target.key_file; }
      kc.loadFromOptions({ clusters: [cluster], users: [user],
        contexts: [{ name: 'x', cluster: 'c', user: 'u', namespace: 'default' }], currentContext: 'x' });
    } else {
      kc.loadFromFile(target.kubeconfig);
    }
    if (!kc.getCurrentCluster()) throw new Error('no active cluster');
    if (request.impersonate) {
      // client-node's impersonation setting: the user's `as` (impersonateUser), a user only.
      const me = kc.getCurrentUser();
      kc.users = kc.users.map((u) => (u === me ? { ...u, impersonateUser: request.impersonate.user } : u));
    }
  } catch (err) {
    emit('config_error', { message: firstLine(err?.message ?? err) });
  }

  // --- the request ---
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const kind = { pods: 'Pod', secrets: 'Secret', serviceaccounts: 'ServiceAccount',
    configmaps: 'ConfigMap', namespaces: 'Namespace', events: 'Event' }[request.resource];
  // inferred: the namespace of the configuration's context (loadFromCluster fills it from the
  // pod's namespace file), as a program would take it.
  const ns = request.inferred_namespace
    ? (kc.getContextObject(kc.getCurrentContext())?.namespace || 'default')
    : request.namespace;
  const name = request.name;
  let result;
  try {
    switch (request.verb) {
      case 'list':
        if (request.resource === 'namespaces') result = await core.listNamespace();
        else if (request.all_namespaces) result = await core[`list${kind}ForAllNamespaces`]();
        else result = await core[`listNamespaced${kind}`]({ namespace: ns });
        emit('ok', { code: 200, items: result.items.length });
        break;
      case 'get':
        result = await core[`readNamespaced${kind}`]({ name, namespace: ns });
        emit('ok', { code: 200 });
        break;
      case 'create':
        result = await core[`createNamespaced${kind}`]({ namespace: ns, body: request.body });
        emit('ok', { code: 201 });
        break;
      case 'patch': {
        const params = { name, namespace: ns, body: request.body };
        if (request.patch_type === 'apply') {  // PatchStrategy.ServerSideApply's content type
          params.fieldManager = request.field_manager;
          if (request.force) params.force = true;
        }
        // WithHttpInfo: the status, as an apply that creates answers 201.
        const info = await core[`patchNamespaced${kind}WithHttpInfo`](params,
          k8s.setHeaderOptions('Content-Type', request.content_type));
        emit('ok', { code: info.httpStatusCode });
        break;
      }
      case 'delete':
        result = await core[`deleteNamespaced${kind}`]({ name, namespace: ns });
        emit('ok', { code: 200 });
        break;
      case 'whoami': {
        const auth = kc.makeApiClient(k8s.AuthenticationV1Api);
        result = await auth.createSelfSubjectReview({
          body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
        emit('ok', { code: 201, user: result?.status?.userInfo?.username ?? '' });
        break;
      }
      case 'version':
        result = await kc.makeApiClient(k8s.VersionApi).getCode();
        emit('ok', { code: 200 });
        break;
      case 'watch': {
        const watch = new k8s.Watch(kc);
        let n = 0;
        let controller;
        await new Promise((resolve, reject) => {
          watch.watch(request.path, {}, () => {
            n += 1;
            if (n >= request.events) { controller?.abort(); resolve(); }
          }, (err) => (err && n < request.events ? reject(err) : resolve()))
            .then((c) => { controller = c; if (n >= request.events) c.abort(); }, reject);
        });
        emit('ok', { code: 200, events: n });
        break;
      }
      case 'raw': {
        const opts = await kc.applyToFetchOptions({ method: request.method,
          headers: { Accept: 'application/json', ...(request.headers || {}) } });
        if (request.body !== undefined) {
          opts.body = JSON.stringify(request.body);
          opts.headers.set('Content-Type', 'application/json');  // a Headers object
        }
        const url = kc.getCurrentCluster().server.replace(/\/$/, '') + request.path;
        const res = await fetch(url, opts);
        const text = await res.text();
        let doc = {};
        try { doc = JSON.parse(text); } catch { /* not JSON */ }
        if (res.status >= 400) {
          emit('http_error', { code: res.status, reason: doc.reason ?? '',
            message: firstLine(doc.message ?? text) });
        }
        const fields = { code: res.status };
        if (Array.isArray(doc.items)) fields.items = doc.items.length;
        if (doc.kind === 'TokenReview') {
          fields.authenticated = !!doc.status?.authenticated;
          fields.user = doc.status?.user?.username ?? '';
        }
        emit('ok', fields);
        break;
      }
      case 'exec': {  // Exec over WebSocket (v5); the command's stdout, the Status at the end
        let out = '';
        const stdout = new Writable({ write(chunk, _enc, done) { out += chunk; done(); } });
        await new Promise((resolve, reject) => {
          new k8s.Exec(kc).exec(ns, name, '', request.command, stdout, null, null, false, resolve)
            .catch(reject);
        });
        emit('ok', { message: firstLine(out) });
        break;
      }
      case 'port-forward': {  // PortForward (the channel protocol): one line out, one back
        let back = '';
        let ws;
        const input = new PassThrough();
        await new Promise((resolve, reject) => {
          const output = new Writable({ write(chunk, _enc, done) {
            back += chunk;
            if (back.includes('\n')) resolve();
            done();
          } });
          new k8s.PortForward(kc).portForward(ns, name, [request.port], output, null, input)
            .then((socket) => { ws = socket; input.write(`${request.send}\n`); }, reject);
        });
        ws?.close();
        emit('ok', { message: firstLine(back) });
        break;
      }
      default:
        throw new Emitted({ skip: `verb ${request.verb} is not in the node driver` });
    }
  } catch (err) {
    if (err instanceof Emitted) throw err;
    classify(err);
  }
}

// One job per stdin line, one outcome line each, until stdin closes. A line with "probe" asks
// whether the client is there: {"ready": true}.
async function worker() {
  // A request a job gave up on (its timeout) may still fail later: not this job's business.
  process.on('unhandledRejection', () => {});
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    const job = JSON.parse(line);
    if (job.probe) {  // the client was imported, or this process would not be running
      process.stdout.write(JSON.stringify({ ready: true, id: job.id }) + '\n');
      continue;
    }
    for (const k of Object.keys(process.env)) delete process.env[k];
    Object.assign(process.env, job.env ?? {});
    if (job.cwd) process.chdir(job.cwd);
    let fields;
    try {
      fields = await runJob(job);
    } catch (err) {
      fields = { error: firstLine(err?.stack ?? err) };
    }
    process.stdout.write(JSON.stringify({ ...fields, id: job.id }) + '\n');
  }
}

async function main() {
  if (process.argv.includes('--worker')) {
    await worker();
    process.exit(0);  // stdin closed: no more runs (a request given up on must not keep it alive)
  }
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  process.stdout.write(JSON.stringify(await runJob(JSON.parse(input))) + '\n');
  process.exit(0);  // a request given up on (timeout) must not keep the process alive
}

main().catch((err) => {
  process.stdout.write(JSON.stringify({ outcome: 'connect_error', message: firstLine(err?.stack ?? err) }) + '\n');
  process.exit(0);
});
