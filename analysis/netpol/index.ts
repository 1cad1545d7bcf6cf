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
import { asClusterModel, ClusterModel } from "../model/cluster";
import { allowedConnections, ExternalOptions } from "./connections";
import { Connection } from "./connection";

export type { Connection, Endpoint } from "./connection";
export { formatConnections, formatConnectionSet } from "./format";
export type { ConnectionSet, Protocol } from "./ports";
export type { Workload } from "./workloads";

/**
/**
 * Every allowed connection among the workloads, Kubernetes NetworkPolicies and
 * ClusterNetworkPolicies of `input` (the objects, or their model; other kinds are ignored, and
 * so are Calico's namespaced policies, which share the kind: they are reach.ts's concern),
 * ordered by source name, then destination name. Throws on a malformed policy. `withIpv6`
 * lists the IPv6 External space even where no policy names an IPv6 block.
 */
export function connectivity(input: readonly KubeObject[] | ClusterModel, options: ExternalOptions = {}): Connection[] {
    const model = asClusterModel(input);
    return allowedConnections(model.cluster, model.kubernetesPolicies, options, new ClusterPolicies(model.clusterNetworkPolicies));
}
