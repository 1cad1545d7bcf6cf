/**
 * A Kubernetes NetworkPolicy reachability engine that lists allowed connections between
 * workloads, and between workloads and outside addresses, as np-guard/netpol-analyzer's
 * `list` command does (checked against its test outputs in test/conformance/netpol.test.ts).
 *
 *   const objects = loadManifests("cluster/");          // ../manifests
 *   process.stdout.write(formatConnections(connectivity(objects)));
 */
import { KubeObject } from "../manifests";
import { allowedConnections, ExternalOptions } from "./connections";
import { Connection } from "./connection";
import { isKubernetesNetworkPolicy, parseNetworkPolicy } from "./policy";
import { clusterFromObjects } from "./workloads";

export type { Connection, Endpoint } from "./connection";
export { formatConnections, formatConnectionSet } from "./format";
export type { ConnectionSet, Protocol } from "./ports";
export type { Workload } from "./workloads";

/**
 * Every allowed connection among the workloads and NetworkPolicies in `objects` (other kinds
 * are ignored), ordered by source name, then destination name. Throws on a malformed policy.
 * `withIpv6` lists the IPv6 External space even where no policy names an IPv6 block.
 */
export function connectivity(objects: readonly KubeObject[], options: ExternalOptions = {}): Connection[] {
    // Calico's namespaced policies share the kind; they are reach.ts's concern, not this engine's.
    const policies = objects.filter(isKubernetesNetworkPolicy).map(parseNetworkPolicy);
    return allowedConnections(clusterFromObjects(objects), policies, options);
}
