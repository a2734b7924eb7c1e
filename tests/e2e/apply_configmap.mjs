// Server-side apply of a ConfigMap with @kubernetes/client-node, as a controller would: the
// apply content type, a field manager, and force when asked.
// Usage: node apply_configmap.mjs CLIENT_NODE_DIR KUBECONFIG MANAGER VALUE [force]
// Prints the ConfigMap's data.color and its managers ("manager/operation" per entry).
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const [dir, kubeconfig, manager, value, force] = process.argv.slice(2);
const k8s = await import(pathToFileURL(path.join(dir, 'dist', 'index.js')).href);
const kc = new k8s.KubeConfig();
kc.loadFromFile(kubeconfig);
const api = kc.makeApiClient(k8s.CoreV1Api);
const body = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'node-applied', namespace: 'default' },
  data: { color: value },
};
try {
  const cm = await api.patchNamespacedConfigMap(
    { name: 'node-applied', namespace: 'default', body, fieldManager: manager,
      force: force === 'force' ? true : undefined },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply));
  const managers = (cm.metadata.managedFields ?? []).map((e) => `${e.manager}/${e.operation}`);
  console.log(`color=${cm.data.color} managers=${managers.join(',')}`);
} catch (err) {
  console.error(`error: ${err.code ?? ''} ${err.body ?? err.message}`);
  process.exit(1);
}
