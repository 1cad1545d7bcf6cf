/**
 * What the offline evaluation cannot see, in plain words, for the report's page and console.
 * Each line sums up simplifications documented where they are made (analysis/calico/entity.ts,
 * calico/rules.ts, calico/endpoints.ts, calico/evaluate.ts, clusterPolicy/clusterNetworkPolicy.ts,
 * istio/authorization.ts, istio/outbound.ts, istio/ambient.ts, istio/mesh.ts); change it with them.
 */
export const analysisLimits: readonly string[] = [
    "It reads manifests, not a running cluster: pod IPs, which pods run, and objects that are not in the manifests are unknown. "
        + "So ipBlock, ClusterNetworkPolicy networks, Calico nets and Istio ipBlocks rules match only addresses outside the cluster, never a pod "
        + "(except the addresses a Calico WorkloadEndpoint or HostEndpoint names). "
        + "Traffic between pods is taken to be IPv4, so a Calico rule with ipVersion 6 decides only traffic to or from "
        + "IPv6 addresses outside the cluster and endpoints whose named addresses are all IPv6.",
    "Only TCP, UDP and SCTP are listed: Calico ICMP rules are checked but ICMP traffic is not shown. "
        + "A Calico rule that matches only some source ports never counts as allowing (a client's port is unknown).",
    "What depends on the request itself is not decided: Istio conditions on headers, JWT principals (requestPrincipals), "
        + "the destination IP or SNI, and Calico http matches are shown as conditions or notes on the flow; "
        + "a DENY under such a condition is a note and removes nothing.",
    "Every TCP port of a meshed workload is taken to carry HTTP (methods and paths apply), and the trust domain is taken to be cluster.local.",
];

/** The extra limit of a stack evaluated offline (stacks/report.ts): charts stay unexpanded. */
export function unexpandedChartsLimit(stack: string): string {
    return "Helm charts are not expanded offline, so what they install (Calico, istiod, its mesh config) is not in the picture. "
        + `To include it, render the stack (npm run up without a cluster) and run: ztmesh reach --html rendered/${stack}/`;
}

/** The policies read but not evaluated (AdminNetworkPolicy, Calico staged policies, ...), each "file: Kind name: not evaluated: why". */
export function notEvaluatedLimit(notEvaluated: readonly string[]): string {
    return `Some policies in the manifests are not evaluated, so the flows leave them out: ${notEvaluated.join("; ")}.`;
}
