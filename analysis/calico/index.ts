/**
 * Layer 3/4 reachability under Calico: Calico GlobalNetworkPolicy and NetworkPolicy
 * (`projectcalico.org/v3`, `crd.projectcalico.org/v1`) in their tiers, together with
 * Kubernetes NetworkPolicies (default tier, order 1000), then each endpoint's Profiles; over
 * the workloads, Calico's HostEndpoints and WorkloadEndpoints, and External addresses, named
 * by the NetworkSets and GlobalNetworkSets that hold them.
 */
import { KubeObject } from "../manifests";
import { asClusterModel, ClusterModel } from "../model/cluster";
import type { ExternalOptions } from "../netpol/connections";
import { clusterTierPolicy } from "./clusterPolicies";
import { calicoEndpoints, networkSets, serviceAccountLabels } from "./endpoints";
import { PairExplanation, TieredConnection, tieredConnections, tieredExplainer, TierInputs } from "./evaluate";
import { kubernetesTierPolicy } from "./kubernetesPolicies";
import { isCalicoKind } from "./objects";
import { isCalicoPolicy, parseCalicoPolicy } from "./policy";
import { Profiles } from "./profiles";
import { tiersOf } from "./tiers";

export { isCalicoPolicy } from "./policy";
export type { Decision, DirectionExplanation, PairExplanation, TieredConnection } from "./evaluate";

/** Every allowed connection under all Calico and Kubernetes policies (ClusterNetworkPolicies included) of `input` (the objects, or their model), ordered by source, then destination. */
export function calicoConnectivity(input: readonly KubeObject[] | ClusterModel, options: ExternalOptions = {}): TieredConnection[] {
    return tieredConnections({ ...tierInputs(input), ...options });
}

/**
 * Explains pairs by endpoint name under the same policies: the rules that decided the
 * traffic. Kubernetes NetworkPolicies alone are explained the same way, as Calico runs them
 * (default tier, order 1000, Allow rules), which gives the same outcome as the NetworkPolicy engine.
 */
export function calicoExplainer(input: readonly KubeObject[] | ClusterModel): (src: string, dst: string) => PairExplanation | undefined {
    return tieredExplainer(tierInputs(input));
}

/** Everything the tier evaluation takes, from the objects or their model. */
export function tierInputs(input: readonly KubeObject[] | ClusterModel): TierInputs {
    const model = asClusterModel(input);
    const { objects, cluster } = model;
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
        serviceAccountOf: (workload) => model.serviceAccountOf(workload),
        serviceAccountLabels: serviceAccountLabels(objects),
        policies: [
            ...objects.filter(isCalicoPolicy).map((object) => parseCalicoPolicy(object, tiers, endpointAddresses)),
            ...model.kubernetesPolicies.map(kubernetesTierPolicy),
            ...model.clusterNetworkPolicies.map((policy) => clusterTierPolicy(policy, endpointAddresses)),
        ],
        tiers,
        podProfiles: (namespace, serviceAccount) => profiles.ofPod(namespace, serviceAccount),
        podDetails: pods,
        endpoints,
        networkSets: networkSets(objects, cluster.namespaces),
        profiles: profiles.all(),
    };
}
