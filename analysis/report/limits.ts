/**
 * What the offline evaluation cannot see, in plain words, for the report's page and console.
 * Each line sums up simplifications documented where they are made (analysis/calico/entity.ts,
 * calico/policy.ts, calico/rulePorts.ts, istio/authorization.ts, istio/evaluate.ts,
 * istio/mesh.ts); change it with them.
 */
export const analysisLimits: readonly string[] = [
    "It reads manifests, not a running cluster: pod IPs, which pods run, and objects that are not in the manifests are unknown. "
        + "So ipBlock and Calico nets rules match only addresses outside the cluster, never a pod.",
    "Calico: only the default tier is evaluated, and only TCP, UDP and SCTP (a rule for ICMP or another protocol covers nothing).",
    "Istio: AuthorizationPolicy conditions on when, hosts, ipBlocks, remoteIpBlocks and requestPrincipals are taken to hold; "
        + "CUSTOM and AUDIT policies and policies attached with targetRefs are not evaluated; every TCP port of a meshed workload is taken to carry HTTP (methods and paths apply); "
        + "the trust domain is taken to be cluster.local.",
];

/** The extra limit of a stack evaluated offline (stacks/report.ts): charts stay unexpanded. */
export function unexpandedChartsLimit(stack: string): string {
    return "Helm charts are not expanded offline, so what they install (Calico, istiod, the gateway's Deployment) is not in the picture. "
        + `To include it, render the stack (npm run up without a cluster) and run: ztmesh reach --html rendered/${stack}/`;
}
