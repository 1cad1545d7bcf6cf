/**
 * Layer 3/4 reachability under Calico policy: Calico GlobalNetworkPolicy and NetworkPolicy
 * (`projectcalico.org/v3`, `crd.projectcalico.org/v1`) together with Kubernetes
 * NetworkPolicies (order 1000), all in Calico's `default` tier.
 */
import { KubeObject } from "../manifests";
import type { Connection } from "../netpol/connection";
import { parseNetworkPolicy } from "../netpol/policy";
import { Cluster, clusterFromObjects, Workload, workloadId } from "../netpol/workloads";
import { podDetailsByWorkload } from "../podDetails";
import { PairExplanation, tieredConnections, tieredExplainer } from "./evaluate";
import { kubernetesTierPolicy } from "./kubernetesPolicies";
import { TierPolicy } from "./model";
import { isCalicoPolicy, parseCalicoPolicy } from "./policy";

export { isCalicoPolicy } from "./policy";
export type { PairExplanation } from "./evaluate";

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
    return tieredConnections(...tierInputs(objects));
}

/**
 * Explains pairs by endpoint name under the same policies: which objects allowed or denied
 * the traffic. Kubernetes NetworkPolicies alone are explained the same way, as Calico runs
 * them (order 1000, Allow rules), which gives the same outcome as the NetworkPolicy engine.
 */
export function calicoExplainer(objects: readonly KubeObject[]): (src: string, dst: string) => PairExplanation | undefined {
    return tieredExplainer(...tierInputs(objects));
}

/** The workloads, each one's service account, and the policies, as the tier evaluation takes them. */
function tierInputs(objects: readonly KubeObject[]): [Cluster, (workload: Workload) => string, TierPolicy[]] {
    const details = podDetailsByWorkload(objects);
    return [clusterFromObjects(objects), (workload) => details.get(workloadId(workload))?.serviceAccount ?? "default", tierPolicies(objects)];
}
