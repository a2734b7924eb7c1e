"""Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it:
take the Lease when it is free or expired, renew it while leading, and let the API server's
resourceVersion check decide every race. Usage: leader_election.py KUBECONFIG IDENTITY SECONDS.
Prints "LEADER IDENTITY" once this candidate has led, and "RENEWED N" with its renewals."""
import datetime
import sys
import time

from kubernetes import client, config
from kubernetes.client.rest import ApiException

kubeconfig, me, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
config.load_kube_config(config_file=kubeconfig)
api = client.CoordinationV1Api()
DURATION = 2


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def lease_body(rv=None, transitions=0):
    meta = client.V1ObjectMeta(name="demo-leader", resource_version=rv)
    spec = client.V1LeaseSpec(holder_identity=me, lease_duration_seconds=DURATION,
                              acquire_time=now(), renew_time=now(),
                              lease_transitions=transitions)
    return client.V1Lease(metadata=meta, spec=spec)


led, renewed, end = False, 0, time.time() + seconds
while time.time() < end:
    try:
        lease = api.read_namespaced_lease("demo-leader", "default")
    except ApiException as e:
        if e.status != 404:
            raise
        try:
            api.create_namespaced_lease("default", lease_body())
            led = True
        except ApiException as e2:
            if e2.status != 409:
                raise
        time.sleep(0.1)
        continue
    spec = lease.spec
    expired = spec.renew_time + datetime.timedelta(seconds=spec.lease_duration_seconds) < now()
    if spec.holder_identity == me or expired:
        transitions = (spec.lease_transitions or 0) + (0 if spec.holder_identity == me else 1)
        try:
            api.replace_namespaced_lease("demo-leader", "default",
                                        lease_body(lease.metadata.resource_version, transitions))
            if spec.holder_identity == me:
                renewed += 1
            led = True
        except ApiException as e:
            if e.status != 409:  # another candidate won this round
                raise
    time.sleep(0.1)
if led:
    print("LEADER", me)
print("RENEWED", renewed)
