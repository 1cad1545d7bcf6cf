/**
 * Test support: Kubernetes NetworkPolicy evaluated plainly, pair by pair, from the compiled
 * policies and nothing else: no grouping of workloads, no index, no runs of ranges. For each
 * pair of workloads (and of workload and External range) the source's egress and the
 * destination's ingress are each the union of the ports of the isolating policies' rules that
 * admit the other side, or everything where no policy isolates that side. What the engine
 * lists must be exactly this (netpolIndexes.test.ts). ClusterNetworkPolicies, where present,
 * decide each side around that union in Kubernetes' order, through the same tier semantics
 * the engine uses (clusterPolicy/kubernetesOrder.ts decideDirection, checked on its own by the
 * conformance cases): what this compares is which pairs and peers reach those semantics.
 */
import { ClusterPolicyRule, isClusterNetworkPolicy, parseClusterNetworkPolicy, ruleAdmitsAddress as clusterRuleAdmitsAddress, ruleAdmitsPod as clusterRuleAdmitsPod } from "../../analysis/clusterPolicy/clusterNetworkPolicy";
import { ClusterPolicies, decideDirection } from "../../analysis/clusterPolicy/kubernetesOrder";
import { KubeObject } from "../../analysis/manifests";
import { externalName, formatConnectionSet } from "../../analysis/netpol/format";
import { Address, externalRanges } from "../../analysis/netpol/ipRanges";
import { NetworkPolicy, parseNetworkPolicy, PodIdentity, PolicyRule, policySelects, ruleAdmitsAddress, ruleAdmitsPod, ruleIpBlocks } from "../../analysis/netpol/policy";
import { ConnectionSet, ContainerPort } from "../../analysis/netpol/ports";
import { clusterFromObjects, workloadId } from "../../analysis/netpol/workloads";

type Direction = "ingress" | "egress";

/** One side of a pair: a workload's pods, or an address of an External range. */
type Side = { readonly pod: PodIdentity; readonly ports: readonly ContainerPort[] } | { readonly address: Address };

/** Every allowed flow as `SRC => DST : CONNECTIONS`, in code-unit order. */
export function plainNetworkPolicyFlows(objects: readonly KubeObject[]): string[] {
    const policies = objects.filter((object) => object.kind === "NetworkPolicy").map(parseNetworkPolicy);
    const clusterPolicies = new ClusterPolicies(objects.filter(isClusterNetworkPolicy).map(parseClusterNetworkPolicy));
    const cluster = clusterFromObjects(objects);
    const workloads = cluster.workloads.map((workload) => ({
        name: workloadId(workload),
        side: { pod: { namespace: workload.namespace, namespaceLabels: cluster.namespaces.get(workload.namespace) ?? {}, labels: workload.labels }, ports: workload.containerPorts },
    }));
    const ranges = (direction: Direction) => externalRanges([...policies.flatMap((policy) => ruleIpBlocks(policy[direction])), ...clusterPolicies.networks(direction)])
        .map((range) => ({ name: externalName(range), side: { address: range.start } }));
    const flows: string[] = [];
    for (const src of [...workloads, ...ranges("ingress")]) {
        for (const dst of [...workloads, ...ranges("egress")]) {
            if (src.name === dst.name || ("address" in src.side && "address" in dst.side)) {
                continue;
            }
            // Named ports resolve against the destination's containers; an External destination has none.
            const destinationPorts = "pod" in dst.side ? dst.side.ports : [];
            const egress = "pod" in src.side ? sideAllows(policies, clusterPolicies, src.side.pod, "egress", dst.side, destinationPorts) : ConnectionSet.all;
            const allowed = "pod" in dst.side ? egress.intersect(sideAllows(policies, clusterPolicies, dst.side.pod, "ingress", src.side, destinationPorts)) : egress;
            if (!allowed.isEmpty()) {
                flows.push(`${src.name} => ${dst.name} : ${formatConnectionSet(allowed)}`);
            }
        }
    }
    return flows.sort();
}

/**
 * What `pod`'s side in `direction` allows with `other`: the ClusterNetworkPolicy tiers around the
 * NetworkPolicies isolating it, whose rules admitting `other` allow the union of their ports
 * (everything if none isolates it and no ClusterNetworkPolicy applies).
 */
function sideAllows(policies: readonly NetworkPolicy[], clusterPolicies: ClusterPolicies, pod: PodIdentity, direction: Direction, other: Side, destinationPorts: readonly ContainerPort[]): ConnectionSet {
    const isolating = policies.filter((policy) => policySelects(policy, pod) && policy[direction] !== undefined);
    const admits = (rule: PolicyRule) => ("pod" in other ? ruleAdmitsPod(rule, other.pod) : ruleAdmitsAddress(rule, other.address));
    const networkPolicy = () => isolating.flatMap((policy) => policy[direction]!).filter(admits).reduce((allowed, rule) => allowed.union(rule.ports(destinationPorts)), ConnectionSet.none);
    const clusterRules = clusterPolicies.rulesOf(pod)?.[direction];
    if (clusterRules === undefined) {
        return isolating.length === 0 ? ConnectionSet.all : networkPolicy();
    }
    const clusterAdmits = (rule: ClusterPolicyRule) => ("pod" in other ? clusterRuleAdmitsPod(rule, other.pod) : clusterRuleAdmitsAddress(rule, other.address));
    return decideDirection(clusterRules, clusterAdmits, destinationPorts, isolating.length === 0 ? undefined : networkPolicy);
}
