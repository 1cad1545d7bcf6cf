/**
 * A Kubernetes NetworkPolicy reachability engine that lists allowed connections between
 * workloads, and between workloads and outside addresses, as np-guard/netpol-analyzer's
 * `list` command does (checked against its test outputs in test/conformance/netpol.test.ts),
 * with ClusterNetworkPolicies (policy.networking.k8s.io/v1alpha2) in Kubernetes' tier order
 * (test/conformance/cnp.test.ts).
 *
 *   const objects = loadManifests("cluster/");          // ../manifests
 *   process.stdout.write(formatConnections(connectivity(objects)));
 */
import { KubeObject } from "../manifests";
import { ClusterPolicies } from "../clusterPolicy/kubernetesOrder";
import { isClusterNetworkPolicy, parseClusterNetworkPolicy } from "../clusterPolicy/clusterNetworkPolicy";
import { allowedConnections, ExternalOptions } from "./connections";
import { Connection } from "./connection";
import { isKubernetesNetworkPolicy, parseNetworkPolicy } from "./policy";
import { clusterFromObjects } from "./workloads";

export type { Connection, Endpoint } from "./connection";
export { formatConnections, formatConnectionSet } from "./format";
export type { ConnectionSet, Protocol } from "./ports";
export type { Workload } from "./workloads";

/**
 * Every allowed connection among the workloads, NetworkPolicies and ClusterNetworkPolicies in `objects` (other kinds
 * are ignored), ordered by source name, then destination name. Throws on a malformed policy.
 * `withIpv6` lists the IPv6 External space even where no policy names an IPv6 block.
 */
export function connectivity(objects: readonly KubeObject[], options: ExternalOptions = {}): Connection[] {
    // Calico's namespaced policies share the kind; they are reach.ts's concern, not this engine's.
    const policies = objects.filter(isKubernetesNetworkPolicy).map(parseNetworkPolicy);
    const clusterPolicies = new ClusterPolicies(objects.filter(isClusterNetworkPolicy).map(parseClusterNetworkPolicy));
    return allowedConnections(clusterFromObjects(objects), policies, options, clusterPolicies);
}
