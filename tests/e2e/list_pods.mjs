// Lists pods across namespaces with @kubernetes/client-node, as an application would.
// Usage: node list_pods.mjs CLIENT_NODE_DIR KUBECONFIG
// CLIENT_NODE_DIR is the folder of the installed @kubernetes/client-node package (ESM).
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const [dir, kubeconfig] = process.argv.slice(2);
const k8s = await import(pathToFileURL(path.join(dir, 'dist', 'index.js')).href);
const kc = new k8s.KubeConfig();
kc.loadFromFile(kubeconfig);
const api = kc.makeApiClient(k8s.CoreV1Api);
try {
  const list = await api.listPodForAllNamespaces();
  for (const pod of list.items) {
    console.log(`${pod.status?.podIP ?? ''}\t${pod.metadata.namespace}\t${pod.metadata.name}`);
  }
} catch (err) {
  console.error(`error: ${err.code ?? ''} ${err.message}`);
  process.exit(1);
}
