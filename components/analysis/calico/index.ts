/**
 * Layer 3/4 reachability under Calico policy: Calico GlobalNetworkPolicy and NetworkPolicy
 * (`projectcalico.org/v3`, `crd.projectcalico.org/v1`) together with Kubernetes
 * NetworkPolicies (order 1000), all in Calico's `default` tier.
 */
import { KubeObject } from "../manifests";
import type { Connection } from "../netpol/connections";
import { parseNetworkPolicy } from "../netpol/policy";
import { clusterFromObjects, workloadId } from "../netpol/workloads";
import { podDetailsByWorkload } from "../podDetails";
import { tieredConnections } from "./evaluate";
import { kubernetesTierPolicy } from "./kubernetesPolicies";
import { TierPolicy } from "./model";
import { isCalicoPolicy, parseCalicoPolicy } from "./policy";

export { isCalicoPolicy } from "./policy";

/** Kubernetes NetworkPolicies: kind NetworkPolicy of any API group but Calico's. */
export function isKubernetesPolicy(object: KubeObject): boolean {
    return object.kind === "NetworkPolicy" && !isCalicoPolicy(object);
}

/** Every policy in `objects`, Calico's and Kubernetes', in the tier model. */
export function tierPolicies(objects: readonly KubeObject[]): TierPolicy[] {
    return [
        ...objects.filter(isCalicoPolicy).map(parseCalicoPolicy),
        ...objects.filter(isKubernetesPolicy).map(parseNetworkPolicy).map(kubernetesTierPolicy),
    ];
}

/** Every allowed connection under all Calico and Kubernetes policies in `objects`, ordered by source, then destination. */
export function calicoConnectivity(objects: readonly KubeObject[]): Connection[] {
    const details = podDetailsByWorkload(objects);
    return tieredConnections(clusterFromObjects(objects), (workload) => details.get(workloadId(workload))?.serviceAccount ?? "default", tierPolicies(objects));
}
