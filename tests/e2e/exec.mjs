// Runs a command in a pod with @kubernetes/client-node's Exec, as an application would: stdin in,
// stdout collected, the Status of the end through the callback.
// Usage: node exec.mjs CLIENT_NODE_DIR KUBECONFIG NAMESPACE POD CONTAINER
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';

const [dir, kubeconfig, namespace, pod, container] = process.argv.slice(2);
const k8s = await import(pathToFileURL(path.join(dir, 'dist', 'index.js')).href);
const kc = new k8s.KubeConfig();
kc.loadFromFile(kubeconfig);
const exec = new k8s.Exec(kc);

let out = '';
const stdout = new Writable({ write(chunk, _enc, done) { out += chunk; done(); } });
const stdin = new PassThrough();
const status = await new Promise((resolve, reject) => {
  exec.exec(namespace, pod, container, ['sh', '-c', 'cat; exit 4'], stdout, process.stderr, stdin,
            false, resolve).catch(reject);
  stdin.end('abc\n');  // v5's close signal tells the server stdin ended
});
process.stdout.write(`stdout: ${out}`);
const cause = status.details?.causes?.[0]?.message ?? '';
console.log(`status: ${status.status} ${status.reason ?? ''} ${cause}`);
