/**
 * Layer 3/4 reachability under Calico: Calico GlobalNetworkPolicy and NetworkPolicy
 * (`projectcalico.org/v3`, `crd.projectcalico.org/v1`) in their tiers, together with
 * Kubernetes NetworkPolicies (default tier, order 1000), then each endpoint's Profiles; over
 * the workloads, Calico's HostEndpoints and WorkloadEndpoints, and External addresses, named
 * by the NetworkSets and GlobalNetworkSets that hold them.
 */
import { KubeObject } from "../manifests";
import type { ExternalOptions } from "../netpol/connections";
import { parseNetworkPolicy } from "../netpol/policy";
import { clusterFromObjects, workloadId } from "../netpol/workloads";
import { podDetailsByWorkload } from "../podDetails";
import { isClusterNetworkPolicy, parseClusterNetworkPolicy } from "../clusterPolicy/clusterNetworkPolicy";
import { clusterTierPolicy } from "./clusterPolicies";
import { calicoEndpoints, networkSets, serviceAccountLabels } from "./endpoints";
import { PairExplanation, TieredConnection, tieredConnections, tieredExplainer, TierInputs } from "./evaluate";
import { kubernetesTierPolicy } from "./kubernetesPolicies";
import { calicoKinds, isCalicoKind } from "./objects";
import { isCalicoPolicy, parseCalicoPolicy } from "./policy";
import { Profiles } from "./profiles";
import { tiersOf } from "./tiers";

export { isCalicoPolicy } from "./policy";
export type { Decision, DirectionExplanation, PairExplanation, TieredConnection } from "./evaluate";

/** Kubernetes NetworkPolicies: kind NetworkPolicy of any API group but Calico's. */
export function isKubernetesPolicy(object: KubeObject): boolean {
    return object.kind === "NetworkPolicy" && !isCalicoPolicy(object);
}

/** Whether the objects hold anything only the Calico engine evaluates: a Calico policy, tier, profile, endpoint or network set. */
export function hasCalicoObjects(objects: readonly KubeObject[]): boolean {
    return objects.some((object) => isCalicoPolicy(object) || calicoKinds.some((kind) => isCalicoKind(object, kind)));
}

/** Every allowed connection under all Calico and Kubernetes policies (ClusterNetworkPolicies included) in `objects`, ordered by source, then destination. */
export function calicoConnectivity(objects: readonly KubeObject[], options: ExternalOptions = {}): TieredConnection[] {
    return tieredConnections({ ...tierInputs(objects), ...options });
}

/**
 * Explains pairs by endpoint name under the same policies: the rules that decided the
 * traffic. Kubernetes NetworkPolicies alone are explained the same way, as Calico runs them
 * (default tier, order 1000, Allow rules), which gives the same outcome as the NetworkPolicy engine.
 */
export function calicoExplainer(objects: readonly KubeObject[]): (src: string, dst: string) => PairExplanation | undefined {
    return tieredExplainer(tierInputs(objects));
}

/** Everything the tier evaluation takes, from the objects. */
export function tierInputs(objects: readonly KubeObject[]): TierInputs {
    const details = podDetailsByWorkload(objects);
    const cluster = clusterFromObjects(objects);
    const tiers = tiersOf(objects);
    const calicoObjects = objects.filter((object) => isCalicoKind(object, "WorkloadEndpoint") || isCalicoKind(object, "HostEndpoint"));
    const endpointAddresses = calicoObjects.some((object) => {
        const spec = (object.spec ?? {}) as { ipNetworks?: unknown[]; expectedIPs?: unknown[] };
        return (spec.ipNetworks ?? spec.expectedIPs ?? []).length > 0;
    });
    const profiles = new Profiles(objects, { endpointAddresses });
    const { endpoints, pods } = calicoEndpoints(calicoObjects, profiles, objects);
    return {
        cluster,
        serviceAccountOf: (workload) => details.get(workloadId(workload))?.serviceAccount ?? "default",
        serviceAccountLabels: serviceAccountLabels(objects),
        policies: [
            ...objects.filter(isCalicoPolicy).map((object) => parseCalicoPolicy(object, tiers, endpointAddresses)),
            ...objects.filter(isKubernetesPolicy).map(parseNetworkPolicy).map(kubernetesTierPolicy),
            ...objects.filter(isClusterNetworkPolicy).map(parseClusterNetworkPolicy).map((policy) => clusterTierPolicy(policy, endpointAddresses)),
        ],
        tiers,
        podProfiles: (namespace, serviceAccount) => profiles.ofPod(namespace, serviceAccount),
        podDetails: pods,
        endpoints,
        networkSets: networkSets(objects, cluster.namespaces),
        profiles: profiles.all(),
    };
}
