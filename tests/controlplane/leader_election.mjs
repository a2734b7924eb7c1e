// Leader election on a coordination.k8s.io/v1 Lease with @kubernetes/client-node, as client-go's
// leaderelection does it: take the Lease when it is free or expired, renew it while leading, and
// let the API server's resourceVersion check decide every race (a 409 means another candidate
// won the round). Usage: node leader_election.mjs CLIENT_NODE_DIR KUBECONFIG IDENTITY SECONDS.
// Prints "LEADER IDENTITY" once this candidate has led, and "RENEWED N" with its renewals.
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const [dir, kubeconfig, me, seconds] = process.argv.slice(2);
const k8s = await import(pathToFileURL(path.join(dir, 'dist', 'index.js')).href);
const kc = new k8s.KubeConfig();
kc.loadFromFile(kubeconfig);
const api = kc.makeApiClient(k8s.CoordinationV1Api);
const DURATION = 2;
const name = 'demo-leader-js';
const namespace = 'default';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const status = (e) => e?.code ?? e?.statusCode ?? e?.response?.statusCode;

function lease(resourceVersion, transitions) {
  const now = new Date();
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, resourceVersion },
    spec: {
      holderIdentity: me,
      leaseDurationSeconds: DURATION,
      acquireTime: now,
      renewTime: now,
      leaseTransitions: transitions,
    },
  };
}

let led = false;
let renewed = 0;
const end = Date.now() + Number(seconds) * 1000;
while (Date.now() < end) {
  let current;
  try {
    current = await api.readNamespacedLease({ name, namespace });
  } catch (e) {
    if (status(e) !== 404) throw e;
    try {
      await api.createNamespacedLease({ namespace, body: lease(undefined, 0) });
      led = true;
    } catch (e2) {
      if (status(e2) !== 409) throw e2;
    }
    await sleep(100);
    continue;
  }
  const spec = current.spec;
  const renewedAt = new Date(spec.renewTime).getTime();
  const expired = renewedAt + spec.leaseDurationSeconds * 1000 < Date.now();
  if (spec.holderIdentity === me || expired) {
    const transitions = (spec.leaseTransitions ?? 0) + (spec.holderIdentity === me ? 0 : 1);
    try {
      await api.replaceNamespacedLease({
        name, namespace, body: lease(current.metadata.resourceVersion, transitions),
      });
      if (spec.holderIdentity === me) renewed += 1;
      led = true;
    } catch (e) {
      if (status(e) !== 409) throw e;
    }
  }
  await sleep(100);
}
if (led) console.log('LEADER', me);
console.log('RENEWED', renewed);
