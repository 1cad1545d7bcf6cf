/**
 * The allowed connections between every pair of peers: workloads, and External address ranges.
 * Traffic flows only if the source's egress policies and the destination's ingress policies
 * both allow it; a side that no policy isolates allows everything.
 *
 * Policies cannot tell apart pods with the same namespace, named ports and values of the labels
 * their selectors read, so workloads are grouped by those (workloads.ts selectorView) and each
 * pair of groups (or of group and range) is evaluated once: the cost follows the number of
 * shapes the policies can tell apart, and only listing the pairs follows the number of
 * workloads. A group's identity is its first workload's.
 *
 * ClusterNetworkPolicies, where given, decide each direction around the NetworkPolicies, in
 * Kubernetes' order (clusterPolicy/kubernetesOrder.ts): the Admin tier before them, the
 * Baseline tier for pods they do not isolate.
 */
import { ReachableRows } from "../reachableRow";
import { Labels } from "../calicoSelector";
import { compareNames, externalName, formatConnectionSet } from "./format";
import { Interval } from "./intervals";
import { Address, externalRanges } from "./ipRanges";
import { NetworkPolicy, PodIdentity, podLabelsRead, PolicyRule, policySelects, ruleAdmitsAddress, ruleAdmitsPod, ruleIpBlocks } from "./policy";
import { ConnectionSet, ContainerPort } from "./ports";
import { Cluster, selectorView, Workload, workloadId } from "./workloads";
import { Connection, Endpoint } from "./connection";
import { RangeIndex } from "./rangeIndex";
import { ClusterPolicyRule, ruleAdmitsAddress as clusterRuleAdmitsAddress, ruleAdmitsPod as clusterRuleAdmitsPod } from "../clusterPolicy/clusterNetworkPolicy";
import { ClusterPolicies, decideDirection, PodClusterRules } from "../clusterPolicy/kubernetesOrder";

/** Workloads that every policy treats alike, with the rules of the policies isolating them. */
interface Group {
    readonly identity: PodIdentity;
    readonly containerPorts: readonly ContainerPort[];
    /** Absent when no policy isolates this direction. */
    readonly ingress?: readonly PolicyRule[];
    readonly egress?: readonly PolicyRule[];
    /** The ClusterNetworkPolicy rules that apply to it; absent when none does. */
    readonly clusterRules?: PodClusterRules;
}

/** An endpoint with what evaluation needs. */
interface PodsPeer { readonly kind: "pods"; readonly endpoint: Endpoint; readonly group: Group }
interface ExternalPeer { readonly kind: "external"; readonly endpoint: Endpoint; readonly range: Interval<Address> }
type Peer = PodsPeer | ExternalPeer;

interface Reach { readonly dst: Peer; readonly allowed: ConnectionSet }

/** Which External ranges to list beside those the policies' ipBlocks call for. */
export interface ExternalOptions {
    /** The IPv6 space, even where no policy names an IPv6 block (another layer cuts it). */
    readonly withIpv6?: boolean;
}

/** Every allowed connection, ordered by source name, then destination name. */
export function allowedConnections(cluster: Cluster, policies: readonly NetworkPolicy[], options: ExternalOptions = {}, clusterPolicies = new ClusterPolicies([])): Connection[] {
    const workloads = workloadPeers(cluster, policies, clusterPolicies);
    const ingressRanges = externalPeers(policies, clusterPolicies, "ingress", options);
    const egressRanges = externalPeers(policies, clusterPolicies, "egress", options);
    const ranges = { ingress: new RangeIndex(ingressRanges), egress: new RangeIndex(egressRanges) };
    const evaluator = new Evaluator(new Set(workloads.map((peer) => peer.group)), byName([...workloads, ...egressRanges]), ranges);
    const connections: Connection[] = [];
    for (const src of byName([...workloads, ...ingressRanges])) {
        for (const { dst, allowed } of evaluator.reachable(src)) {
            if (dst !== src) {
                connections.push({ src: src.endpoint, dst: dst.endpoint, allowed });
            }
        }
    }
    return connections;
}

function workloadPeers(cluster: Cluster, policies: readonly NetworkPolicy[], clusterPolicies: ClusterPolicies): PodsPeer[] {
    const labelsRead = new Set([...policies.flatMap(podLabelsRead), ...clusterPolicies.labelsRead()]);
    const groups = new Map<string, Group>();
    return cluster.workloads.map((workload) => {
        const key = JSON.stringify(selectorView(workload, labelsRead));
        let group = groups.get(key);
        if (!group) {
            group = makeGroup(workload, cluster.namespaces.get(workload.namespace) ?? {}, policies, clusterPolicies);
            groups.set(key, group);
        }
        return { kind: "pods", endpoint: { kind: "workload", name: workloadId(workload), workload }, group };
    });
}

function makeGroup(workload: Workload, namespaceLabels: Labels, policies: readonly NetworkPolicy[], clusterPolicies: ClusterPolicies): Group {
    const identity: PodIdentity = { namespace: workload.namespace, namespaceLabels, labels: workload.labels };
    const selecting = policies.filter((policy) => policySelects(policy, identity));
    const isolating = (direction: "ingress" | "egress") => {
        const isolators = selecting.filter((policy) => policy[direction] !== undefined);
        return isolators.length === 0 ? undefined : isolators.flatMap((policy) => policy[direction] ?? []);
    };
    const clusterRules = clusterPolicies.rulesOf(identity);
    return { identity, containerPorts: workload.containerPorts, ingress: isolating("ingress"), egress: isolating("egress"), ...(clusterRules ? { clusterRules } : {}) };
}

/** The External ranges that the ipBlocks (and ClusterNetworkPolicy networks) of one direction cut the address space into (ipRanges.ts externalRanges). */
function externalPeers(policies: readonly NetworkPolicy[], clusterPolicies: ClusterPolicies, direction: "ingress" | "egress", options: ExternalOptions): ExternalPeer[] {
    const blocks = [...policies.flatMap((policy) => ruleIpBlocks(policy[direction])), ...clusterPolicies.networks(direction)];
    return externalRanges(blocks, options.withIpv6).map((range) => ({ kind: "external", endpoint: { kind: "external", name: externalName(range), range }, range }));
}

function byName(peers: Peer[]): Peer[] {
    return peers.sort((a, b) => compareNames(a.endpoint.name, b.endpoint.name));
}

class Evaluator {
    private readonly rows = new Map<Group | Interval<Address>, Reach[]>();
    private readonly admittedGroups = new Map<PolicyRule | ClusterPolicyRule, Set<Group>>();
    /** By a group's isolating rules of one side: what they allow with each External range, by position. */
    private readonly externalRows = new Map<readonly PolicyRule[], ConnectionSet[]>();
    private readonly destinations: ReachableRows<Peer, Group | Interval<Address>>;

    /** `ranges`: the External sources (cut by ingress ipBlocks) and destinations (by egress ones). */
    constructor(private readonly groups: ReadonlySet<Group>, destinations: readonly Peer[], private readonly ranges: Readonly<Record<"ingress" | "egress", RangeIndex<ExternalPeer>>>) {
        this.destinations = new ReachableRows(destinations, evaluationUnit);
    }

    /**
     * The destinations `src` may reach, in the order given, with what it may send them. Found
     * once per group (or range) of the source, evaluating once per group of the destination,
     * and skipped pairs cost nothing later: denied pairs are most pairs in a policed cluster.
     */
    reachable(src: Peer): readonly Reach[] {
        let row = this.rows.get(evaluationUnit(src));
        if (!row) {
            row = this.computeRow(src);
            this.rows.set(evaluationUnit(src), row);
        }
        return row;
    }

    private computeRow(src: Peer): Reach[] {
        return this.destinations.row(src, (from, to) => this.evaluate(from, to));
    }

    /** Named ports always resolve against the destination, whichever side's rule names them. */
    private evaluate(src: Peer, dst: Peer): ConnectionSet {
        const destinationPorts = dst.kind === "pods" ? dst.group.containerPorts : [];
        const egress = src.kind === "pods" ? this.side(src.group, "egress", dst, destinationPorts) : ConnectionSet.all;
        if (egress.isEmpty() || dst.kind === "external") {
            return egress;
        }
        return egress.intersect(this.side(dst.group, "ingress", src, destinationPorts));
    }

    /** One direction of `own`'s traffic with `peer`: its NetworkPolicies, in the ClusterNetworkPolicy tiers where they apply. */
    private side(own: Group, direction: "ingress" | "egress", peer: Peer, destinationPorts: readonly ContainerPort[]): ConnectionSet {
        const networkPolicy = () => this.allowedBy(own[direction], peer, destinationPorts, this.ranges[direction]);
        const clusterRules = own.clusterRules?.[direction];
        if (clusterRules === undefined) {
            return networkPolicy();
        }
        const admits = (rule: ClusterPolicyRule) => (peer.kind === "pods"
            ? this.admittedBy(rule, clusterRuleAdmitsPod).has(peer.group)
            : clusterRuleAdmitsAddress(rule, peer.range.start));
        return decideDirection(clusterRules, admits, destinationPorts, own[direction] === undefined ? undefined : networkPolicy);
    }

    /**
     * What the isolating `rules` of one side allow with `peer` on the other side: the union over
     * the rules that admit it. External ranges on the other side are found for all ranges at once.
     */
    private allowedBy(rules: readonly PolicyRule[] | undefined, peer: Peer, destinationPorts: readonly ContainerPort[], ranges: RangeIndex<ExternalPeer>): ConnectionSet {
        if (rules === undefined) {
            return ConnectionSet.all;
        }
        if (peer.kind === "external") {
            const position = ranges.positionOf(peer.range);
            if (position !== undefined) {
                return this.externalRow(rules, destinationPorts, ranges)[position];
            }
        }
        return rules.filter((rule) => this.admits(rule, peer)).reduce((allowed, rule) => allowed.union(rule.ports(destinationPorts)), ConnectionSet.none);
    }

    /**
     * What `rules` allow with each External range, by position: one sweep over the positions,
     * each rule entering where its ipBlocks begin and leaving where they end, so the cost follows
     * the ranges and the blocks, not their product. A position's set is the union of the ports of
     * the rules holding it (kept by spelling, as many rules share their ports).
     */
    private externalRow(rules: readonly PolicyRule[], destinationPorts: readonly ContainerPort[], ranges: RangeIndex<ExternalPeer>): ConnectionSet[] {
        let row = this.externalRows.get(rules);
        if (row) {
            return row;
        }
        let everywhere = ConnectionSet.none;
        const changes: { at: number; ports: ConnectionSet; count: 1 | -1 }[] = [];
        for (const rule of rules) {
            const ports = rule.ports(destinationPorts);
            if (!rule.peers) {
                everywhere = everywhere.union(ports);
                continue;
            }
            for (const run of ranges.within(rule.peers.addresses).intervals) {
                changes.push({ at: run.start, ports, count: 1 }, { at: run.end + 1, ports, count: -1 });
            }
        }
        changes.sort((a, b) => a.at - b.at);
        const holding = new Map<string, { ports: ConnectionSet; count: number }>();
        row = [];
        let current = everywhere;
        for (let position = 0, next = 0; position < ranges.size; position++) {
            if (next < changes.length && changes[next].at === position) {
                for (; next < changes.length && changes[next].at === position; next++) {
                    const { ports, count } = changes[next];
                    const key = formatConnectionSet(ports);
                    const held = holding.get(key) ?? { ports, count: 0 };
                    held.count += count;
                    if (held.count === 0) {
                        holding.delete(key);
                    } else {
                        holding.set(key, held);
                    }
                }
                current = [...holding.values()].reduce((allowed, held) => allowed.union(held.ports), everywhere);
            }
            row.push(current);
        }
        this.externalRows.set(rules, row);
        return row;
    }

    private admits(rule: PolicyRule, peer: Peer): boolean {
        // A range lies wholly inside or outside each ipBlock (see externalRanges), so its first address decides.
        return peer.kind === "pods" ? this.admittedBy(rule, ruleAdmitsPod).has(peer.group) : ruleAdmitsAddress(rule, peer.range.start);
    }

    /** The groups a rule (of a NetworkPolicy or a ClusterNetworkPolicy) admits, found once per rule rather than once per pair. */
    private admittedBy<R extends PolicyRule | ClusterPolicyRule>(rule: R, admitsPod: (rule: R, pod: PodIdentity) => boolean): Set<Group> {
        let admitted = this.admittedGroups.get(rule);
        if (!admitted) {
            admitted = new Set([...this.groups].filter((group) => admitsPod(rule, group.identity)));
            this.admittedGroups.set(rule, admitted);
        }
        return admitted;
    }
}

function evaluationUnit(peer: Peer): Group | Interval<Address> {
    return peer.kind === "pods" ? peer.group : peer.range;
}
