// An @kubernetes/client-node informer on pods in `ns` that counts its lists: prints
// "ADDED name" and "DELETED name" as it sees them, "ready" once the first list is in, and
// "lists N" before it exits on the first delete. A 410 on its watch must make it list again.
// Usage: node informer_relist.mjs CLIENT_NODE_DIR KUBECONFIG NAMESPACE
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const [dir, kubeconfig, ns] = process.argv.slice(2);
const k8s = await import(pathToFileURL(path.join(dir, 'dist', 'index.js')).href);
const kc = new k8s.KubeConfig();
kc.loadFromFile(kubeconfig);
const api = kc.makeApiClient(k8s.CoreV1Api);
let lists = 0;
const informer = k8s.makeInformer(kc, `/api/v1/namespaces/${ns}/pods`, () => {
  lists += 1;
  return api.listNamespacedPod({ namespace: ns });
});
informer.on('add', (o) => console.log(`ADDED ${o.metadata.name}`));
informer.on('delete', (o) => {
  console.log(`DELETED ${o.metadata.name}`);
  console.log(`lists ${lists}`);
  process.exit(0);
});
informer.on('error', (e) => { console.error(`error: ${e}`); process.exit(1); });
await informer.start();
console.log('ready');
setTimeout(() => { console.error('timed out'); process.exit(2); }, 60000);
