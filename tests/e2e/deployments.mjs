// Creates and lists Deployments with @kubernetes/client-node's AppsV1Api, as an application would.
// Usage: node deployments.mjs CLIENT_NODE_DIR KUBECONFIG
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const [dir, kubeconfig] = process.argv.slice(2);
const k8s = await import(pathToFileURL(path.join(dir, 'dist', 'index.js')).href);
const kc = new k8s.KubeConfig();
kc.loadFromFile(kubeconfig);
const apps = kc.makeApiClient(k8s.AppsV1Api);
try {
  await apps.createNamespacedDeployment({
    namespace: 'default',
    body: {
      metadata: { name: 'web' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
        },
      },
    },
  });
  const list = await apps.listNamespacedDeployment({ namespace: 'default' });
  for (const d of list.items) {
    console.log(`${d.metadata.name}\t${d.spec.replicas}\t${d.spec.template.spec.containers[0].image}`);
  }
} catch (err) {
  console.error(`error: ${err.code ?? ''} ${err.message}`);
  process.exit(1);
}
