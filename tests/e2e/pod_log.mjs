// Reads a pod's log with @kubernetes/client-node, as an application would: the whole log, the
// last line with its timestamp, and the refusal for a previous instance that does not exist.
// Usage: node pod_log.mjs CLIENT_NODE_DIR KUBECONFIG NAMESPACE POD
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const [dir, kubeconfig, namespace, name] = process.argv.slice(2);
const k8s = await import(pathToFileURL(path.join(dir, 'dist', 'index.js')).href);
const kc = new k8s.KubeConfig();
kc.loadFromFile(kubeconfig);
const api = kc.makeApiClient(k8s.CoreV1Api);
try {
  process.stdout.write(`log: ${await api.readNamespacedPodLog({ name, namespace })}`);
  const last = await api.readNamespacedPodLog({ name, namespace, tailLines: 1, timestamps: true });
  process.stdout.write(`tail: ${last}`);
} catch (err) {
  console.error(`error: ${err.code ?? ''} ${err.message}`);
  process.exit(1);
}
try {
  await api.readNamespacedPodLog({ name, namespace, previous: true });
  console.log('previous: no error');
} catch (err) {
  console.log(`previous: ${err.code} ${JSON.parse(err.body).message}`);
}
