// An @kubernetes/client-node informer (makeInformer over a ListWatch) on pods in `ns`: prints
// "EVENT name" for every add, update and delete it sees, "ready" once the first list is in.
// Usage: node informer.mjs CLIENT_NODE_DIR KUBECONFIG NAMESPACE
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const [dir, kubeconfig, ns] = process.argv.slice(2);
const k8s = await import(pathToFileURL(path.join(dir, 'dist', 'index.js')).href);
const kc = new k8s.KubeConfig();
kc.loadFromFile(kubeconfig);
const api = kc.makeApiClient(k8s.CoreV1Api);
const informer = k8s.makeInformer(kc, `/api/v1/namespaces/${ns}/pods`,
                                  () => api.listNamespacedPod({ namespace: ns }));
informer.on('add', (o) => console.log(`ADDED ${o.metadata.name}`));
informer.on('update', (o) => console.log(`MODIFIED ${o.metadata.name} ${o.metadata.labels?.step ?? ''}`));
informer.on('delete', (o) => { console.log(`DELETED ${o.metadata.name}`); process.exit(0); });
informer.on('error', (e) => { console.error(`error: ${e}`); process.exit(1); });
await informer.start();
console.log('ready');
setTimeout(() => { console.error('timed out'); process.exit(2); }, 30000);
