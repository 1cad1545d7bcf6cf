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
 * The label-key indexes of the Calico engine (calico/peerKeys.ts) find, for each group, the
 * policies that may select it and, for each rule, the groups it may admit; and for each source
 * group the destination groups that can allow it anything: those its egress admits (all, when
 * it is not isolated) that are not isolated for ingress or have an ingress rule admitting it.
 * Only those pairs are evaluated, so in a policed cluster the cost follows the pairs that
 * policies allow, not the square of the groups. Keys are necessary conditions only: every
 * candidate is still evaluated by the rules themselves.
 *
 * ClusterNetworkPolicies, where given, decide each direction around the NetworkPolicies, in
 * Kubernetes' order (clusterPolicy/kubernetesOrder.ts): the Admin tier before them, the
 * Baseline tier for pods they do not isolate. A side with ClusterNetworkPolicy rules allows a
 * peer something only if one of its Accept or Pass rules admits the peer, or its NetworkPolicies
 * would (where they isolate it), or, where they do not, if no Deny rule of every port admits the
 * peer (what no rule decides is allowed; see clusterSide). The groups each such rule admits are
 * found through the same label-key index (peerKeys.ts clusterRuleKeys).
 */
import { ReachableRows } from "../reachableRow";
import { Labels } from "../calicoSelector";
import { compareNames, externalName, formatConnectionSet } from "./format";
import { Interval } from "./intervals";
import { Address, addressesEmpty, externalRanges } from "./ipRanges";
import { NetworkPolicy, PodIdentity, podLabelsRead, PolicyRule, policySelects, ruleAdmitsPod, ruleIpBlocks } from "./policy";
import { clusterRuleKeys, KeyIndex, kubernetesPolicyKeys, kubernetesRuleKeys, podIdentityKeys } from "../calico/peerKeys";
import { ConnectionSet, ContainerPort } from "./ports";
import { Cluster, selectorView, Workload, workloadId } from "./workloads";
import { Connection, Endpoint } from "./connection";
import { RangeIndex } from "./rangeIndex";
import { ClusterPolicyRule, ruleAdmitsAddress as clusterRuleAdmitsAddress, ruleAdmitsPod as clusterRuleAdmitsPod } from "../clusterPolicy/clusterNetworkPolicy";
import { ClusterPolicies, decideDirection, PodClusterRules, TierRules } from "../clusterPolicy/kubernetesOrder";

/** Workloads that every policy treats alike, with the rules of the policies isolating them. */
interface Group {
    readonly identity: PodIdentity;
    /** Its index keys (calico/peerKeys.ts podIdentityKeys). */
    readonly keys: readonly string[];
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
    const evaluator = new Evaluator([...new Set(workloads.map((peer) => peer.group))], byName([...workloads, ...egressRanges]), ranges);
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
    const policyIndex = new KeyIndex(policies, kubernetesPolicyKeys);
    const groups = new Map<string, Group>();
    return cluster.workloads.map((workload) => {
        const key = JSON.stringify(selectorView(workload, labelsRead));
        let group = groups.get(key);
        if (!group) {
            group = makeGroup(workload, cluster.namespaces.get(workload.namespace) ?? {}, policyIndex, clusterPolicies);
            groups.set(key, group);
        }
        return { kind: "pods", endpoint: { kind: "workload", name: workloadId(workload), workload }, group };
    });
}

function makeGroup(workload: Workload, namespaceLabels: Labels, policies: KeyIndex<NetworkPolicy>, clusterPolicies: ClusterPolicies): Group {
    const identity: PodIdentity = { namespace: workload.namespace, namespaceLabels, labels: workload.labels };
    const keys = podIdentityKeys(identity);
    // In the order given, so each side's rules are too.
    const selecting = policies.lookup(keys).filter((policy) => policySelects(policy, identity));
    const isolating = (direction: "ingress" | "egress") => {
        const isolators = selecting.filter((policy) => policy[direction] !== undefined);
        return isolators.length === 0 ? undefined : isolators.flatMap((policy) => policy[direction] ?? []);
    };
    const clusterRules = clusterPolicies.rulesOf(identity);
    return { identity, keys, containerPorts: workload.containerPorts, ingress: isolating("ingress"), egress: isolating("egress"), ...(clusterRules ? { clusterRules } : {}) };
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
    private readonly admittedGroups = new Map<PolicyRule, Set<Group>>();
    private readonly clusterAdmittedGroups = new Map<ClusterPolicyRule, Set<Group>>();
    /** By External source range: the groups whose isolating ingress rules admit it, with what (externalSources). */
    private fromExternal?: ReadonlyMap<Interval<Address>, ReadonlyMap<Group, ConnectionSet>>;
    /** By source group: what its isolating egress rules allow towards the External ranges they hold. */
    private readonly egressToExternal = new Map<Group, ReadonlyMap<Interval<Address>, ConnectionSet>>();
    private readonly destinations: ReachableRows<Peer, Group | Interval<Address>>;
    /** Groups by their keys, to find those a rule may admit. */
    private readonly groupIndex: KeyIndex<Group>;
    /** Every group's isolating ingress rules, by the keys of the sources they may admit... */
    private readonly ingressRules: KeyIndex<PolicyRule>;
    /** ...and the groups each of them isolates. */
    private readonly ingressOwners = new Map<PolicyRule, Group[]>();
    /** Groups whose ingress admits every source: not isolated (by any policy), or isolated with a NetworkPolicy rule without peers. */
    private readonly openIngress: ReadonlySet<Group>;
    /** Groups that no ingress policy isolates, or whose ingress ClusterNetworkPolicy rules may decide. */
    private readonly unisolatedIngress: readonly Group[];
    /** The Accept and Pass ingress rules of ClusterNetworkPolicies, by the keys of the sources they may admit... */
    private readonly clusterIngressRules: KeyIndex<ClusterPolicyRule>;
    /** ...and the groups each of them applies to. */
    private readonly clusterIngressOwners = new Map<ClusterPolicyRule, Group[]>();
    /**
     * Groups with ingress ClusterNetworkPolicy rules that no NetworkPolicy isolates for ingress,
     * by the Deny rules of every port among those: such a group admits every source that none of
     * them admits (clusterSide).
     */
    private readonly guardedIngress = new Map<string, { readonly denying: readonly ClusterPolicyRule[]; readonly groups: Group[] }>();

    /** `ranges`: the External sources (cut by ingress ipBlocks) and destinations (by egress ones). */
    constructor(private readonly groups: readonly Group[], destinations: readonly Peer[], private readonly ranges: Readonly<Record<"ingress" | "egress", RangeIndex<ExternalPeer>>>) {
        this.destinations = new ReachableRows(destinations, evaluationUnit);
        this.groupIndex = new KeyIndex(groups, (group) => group.keys);
        for (const group of groups) {
            for (const rule of group.ingress ?? []) {
                const owners = this.ingressOwners.get(rule);
                if (owners) {
                    owners.push(group);
                } else {
                    this.ingressOwners.set(rule, [group]);
                }
            }
        }
        this.ingressRules = new KeyIndex([...this.ingressOwners.keys()], kubernetesRuleKeys);
        const ruleIds = new Map<ClusterPolicyRule, number>();
        for (const group of groups) {
            const tiers = group.clusterRules?.ingress;
            if (tiers === undefined) {
                continue;
            }
            const side = clusterSide(tiers);
            for (const rule of side.admitting) {
                const owners = this.clusterIngressOwners.get(rule);
                if (owners) {
                    owners.push(group);
                } else {
                    this.clusterIngressOwners.set(rule, [group]);
                }
            }
            if (group.ingress === undefined) {
                side.denying.forEach((rule) => ruleIds.has(rule) || ruleIds.set(rule, ruleIds.size));
                const key = side.denying.map((rule) => ruleIds.get(rule)).join(",");
                const guarded = this.guardedIngress.get(key);
                if (guarded) {
                    guarded.groups.push(group);
                } else {
                    this.guardedIngress.set(key, { denying: side.denying, groups: [group] });
                }
            }
        }
        this.clusterIngressRules = new KeyIndex([...this.clusterIngressOwners.keys()], clusterRuleKeys);
        this.openIngress = new Set(groups.filter((group) => (group.ingress === undefined && !group.clusterRules?.ingress) || group.ingress?.some((rule) => !rule.peers)));
        this.unisolatedIngress = groups.filter((group) => group.ingress === undefined || group.clusterRules?.ingress);
    }

    /**
     * The destinations `src` may reach, in the order given, with what it may send them. Found
     * once per group (or range) of the source, evaluating once per candidate group of the
     * destination (and External range its egress holds): denied pairs, most pairs in a policed
     * cluster, are mostly never tried.
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
        const evaluate = (from: Peer, to: Peer) => this.evaluate(from, to);
        if (src.kind === "external") {
            return this.destinations.row(src, evaluate, new Set([...this.unisolatedIngress, ...(this.externalSources().get(src.range)?.keys() ?? [])]));
        }
        const external = src.group.clusterRules?.egress ? "all" : this.externalDestinations(src.group);
        const ranges = external === "all" ? this.ranges.egress.items.map((peer) => peer.range) : external.keys();
        return this.destinations.row(src, evaluate, [...this.candidates(src.group), ...ranges]);
    }

    /**
     * The destination groups that may allow `source` anything: those its egress may allow
     * (egressCandidates) whose ingress is open or may admit it (a NetworkPolicy or
     * ClusterNetworkPolicy rule admitting it, or no Deny of every port that admits it where only
     * ClusterNetworkPolicies decide). A superset: evaluation decides each.
     */
    private candidates(source: Group): Iterable<Group> {
        const admitting = new Set<Group>();
        for (const rule of this.ingressRules.lookup(source.keys)) {
            if (this.admittedBy(rule).has(source)) {
                this.ingressOwners.get(rule)!.forEach((group) => admitting.add(group));
            }
        }
        for (const rule of this.clusterIngressRules.lookup(source.keys)) {
            if (this.clusterAdmittedBy(rule).has(source)) {
                this.clusterIngressOwners.get(rule)!.forEach((group) => admitting.add(group));
            }
        }
        for (const { denying, groups } of this.guardedIngress.values()) {
            if (!denying.some((rule) => this.clusterAdmittedBy(rule).has(source))) {
                groups.forEach((group) => admitting.add(group));
            }
        }
        const egress = this.egressCandidates(source);
        if (egress === "all") {
            this.openIngress.forEach((group) => admitting.add(group));
            return admitting;
        }
        const found: Group[] = [];
        const consider = (group: Group) => {
            if (this.openIngress.has(group) || admitting.has(group)) {
                found.push(group);
            }
        };
        if ("except" in egress) {
            this.groups.forEach((group) => egress.except.has(group) || consider(group));
        } else {
            egress.forEach(consider);
        }
        return found;
    }

    /**
     * The destination groups `source`'s egress may allow something: every group (not isolated,
     * or a NetworkPolicy rule without peers); every group but those a Deny of every port admits
     * and no Accept or Pass rule does (isolated by ClusterNetworkPolicies only); else those its
     * NetworkPolicy rules and ClusterNetworkPolicy Accept and Pass rules admit.
     */
    private egressCandidates(source: Group): ReadonlySet<Group> | "all" | { readonly except: ReadonlySet<Group> } {
        const egress = source.egress;
        const tiers = source.clusterRules?.egress;
        if (egress?.some((rule) => !rule.peers) || (egress === undefined && tiers === undefined)) {
            return "all";
        }
        const side = tiers && clusterSide(tiers);
        if (egress === undefined) {
            const except = new Set<Group>();
            side!.denying.forEach((rule) => this.clusterAdmittedBy(rule).forEach((group) => except.add(group)));
            side!.admitting.forEach((rule) => this.clusterAdmittedBy(rule).forEach((group) => except.delete(group)));
            return except.size === 0 ? "all" : { except };
        }
        const found = new Set<Group>();
        egress.forEach((rule) => this.admittedBy(rule).forEach((group) => found.add(group)));
        side?.admitting.forEach((rule) => this.clusterAdmittedBy(rule).forEach((group) => found.add(group)));
        return found;
    }

    /** Named ports always resolve against the destination, whichever side's rule names them. */
    private evaluate(src: Peer, dst: Peer): ConnectionSet {
        if (dst.kind === "external") {
            // External sources are not evaluated towards External (ReachableRows skips those pairs).
            if (src.kind !== "pods") {
                return ConnectionSet.all;
            }
            return this.side(src.group, "egress", dst, [], () => {
                const allowed = this.externalDestinations(src.group);
                return allowed === "all" ? ConnectionSet.all : allowed.get(dst.range) ?? ConnectionSet.none;
            });
        }
        const destinationPorts = dst.group.containerPorts;
        if (src.kind === "external") {
            // External has no egress policy.
            return this.side(dst.group, "ingress", src, destinationPorts, () => this.externalSources().get(src.range)?.get(dst.group) ?? ConnectionSet.none);
        }
        const egress = this.side(src.group, "egress", dst, destinationPorts, () => this.allowedBy(src.group.egress, dst.group, destinationPorts));
        if (egress.isEmpty()) {
            return egress;
        }
        return egress.intersect(this.side(dst.group, "ingress", src, destinationPorts, () => this.allowedBy(dst.group.ingress, src.group, destinationPorts)));
    }

    /**
     * One direction of `own`'s traffic with `peer`: `networkPolicy` (what its isolating
     * NetworkPolicies allow; everything when none isolates it), in the ClusterNetworkPolicy
     * tiers where they apply.
     */
    private side(own: Group, direction: "ingress" | "egress", peer: Peer, destinationPorts: readonly ContainerPort[], networkPolicy: () => ConnectionSet): ConnectionSet {
        const clusterRules = own.clusterRules?.[direction];
        if (clusterRules === undefined) {
            return own[direction] === undefined ? ConnectionSet.all : networkPolicy();
        }
        // A range lies wholly inside or outside each network (see externalRanges), so its first address decides.
        const admits = (rule: ClusterPolicyRule) => (peer.kind === "pods" ? this.clusterAdmittedBy(rule).has(peer.group) : clusterRuleAdmitsAddress(rule, peer.range.start));
        return decideDirection(clusterRules, admits, destinationPorts, own[direction] === undefined ? undefined : networkPolicy);
    }

    /** What the isolating `rules` of one side allow with `peer` on the other side: the union over the rules that admit it. */
    private allowedBy(rules: readonly PolicyRule[] | undefined, peer: Group, destinationPorts: readonly ContainerPort[]): ConnectionSet {
        if (rules === undefined) {
            return ConnectionSet.all;
        }
        return rules.filter((rule) => this.admittedBy(rule).has(peer)).reduce((allowed, rule) => allowed.union(rule.ports(destinationPorts)), ConnectionSet.none);
    }

    /**
     * The External destinations that `group`'s egress allows, with what: "all" when no egress
     * policy isolates it, else the ranges its rules hold, found once per group (externalRuns).
     */
    private externalDestinations(group: Group): ReadonlyMap<Interval<Address>, ConnectionSet> | "all" {
        if (group.egress === undefined) {
            return "all";
        }
        let allowed = this.egressToExternal.get(group);
        if (!allowed) {
            const items = this.ranges.egress.items;
            const found = new Map<Interval<Address>, ConnectionSet>();
            for (const run of externalRuns(group.egress, [], this.ranges.egress)) {
                for (let position = run.start; position <= run.end; position++) {
                    found.set(items[position].range, run.allowed);
                }
            }
            allowed = found;
            this.egressToExternal.set(group, allowed);
        }
        return allowed;
    }

    /**
     * For each External source range, the groups isolated for ingress whose rules admit it, with
     * what: found once, from each such group's runs of ranges (externalRuns), so an External
     * source meets only the groups that admit it, not every group.
     */
    private externalSources(): ReadonlyMap<Interval<Address>, ReadonlyMap<Group, ConnectionSet>> {
        if (!this.fromExternal) {
            const items = this.ranges.ingress.items;
            const bySource = new Map<Interval<Address>, Map<Group, ConnectionSet>>();
            for (const group of this.groups) {
                if (group.ingress === undefined || !group.ingress.some((rule) => !rule.peers || !addressesEmpty(rule.peers.addresses))) {
                    continue;
                }
                for (const run of externalRuns(group.ingress, group.containerPorts, this.ranges.ingress)) {
                    for (let position = run.start; position <= run.end; position++) {
                        const range = items[position].range;
                        const groups = bySource.get(range);
                        if (groups) {
                            groups.set(group, run.allowed);
                        } else {
                            bySource.set(range, new Map([[group, run.allowed]]));
                        }
                    }
                }
            }
            this.fromExternal = bySource;
        }
        return this.fromExternal;
    }

    /** The groups a rule admits, found once per rule among those its keys allow, rather than once per pair. */
    private admittedBy(rule: PolicyRule): Set<Group> {
        let admitted = this.admittedGroups.get(rule);
        if (!admitted) {
            const keys = kubernetesRuleKeys(rule);
            const candidates = keys === undefined ? this.groups : this.groupIndex.lookup(keys);
            admitted = new Set(candidates.filter((group) => ruleAdmitsPod(rule, group.identity)));
            this.admittedGroups.set(rule, admitted);
        }
        return admitted;
    }

    /** The groups a ClusterNetworkPolicy rule admits, found once per rule among those its keys allow. */
    private clusterAdmittedBy(rule: ClusterPolicyRule): Set<Group> {
        let admitted = this.clusterAdmittedGroups.get(rule);
        if (!admitted) {
            const keys = clusterRuleKeys(rule);
            const candidates = keys === undefined ? this.groups : this.groupIndex.lookup(keys);
            admitted = new Set(candidates.filter((group) => clusterRuleAdmitsPod(rule, group.identity)));
            this.clusterAdmittedGroups.set(rule, admitted);
        }
        return admitted;
    }
}

/**
 * Of one direction's ClusterNetworkPolicy rules (both tiers), those that can make it allow a peer
 * the NetworkPolicies do not: Accept, and Pass (to the NetworkPolicies, or past the Baseline tier
 * to what is allowed); and the Deny rules of every port, one of which, where no Accept or Pass
 * rule admits the peer, leaves the peer nothing (decideDirection: for a pod no NetworkPolicy
 * isolates, only a Deny denies; a Deny of some ports leaves the others to the rest).
 */
function clusterSide(tiers: TierRules): { readonly admitting: readonly ClusterPolicyRule[]; readonly denying: readonly ClusterPolicyRule[] } {
    const rules = [...tiers.admin, ...tiers.baseline];
    return {
        admitting: rules.filter((rule) => rule.action !== "Deny"),
        // Named ports only add to a rule's ports, so a rule of every port without them has every port with them.
        denying: rules.filter((rule) => rule.action === "Deny" && rule.ports([]).isAll()),
    };
}

/**
 * What `rules` allow with the External ranges of `ranges`, as runs of positions with the same
 * non-empty set: one sweep over the points where a rule's ipBlocks begin or end, so the cost
 * follows the blocks and the runs, not the ranges times the rules. A run's set is the union of
 * the ports of the rules holding it (kept by spelling, as many rules share their ports).
 */
function externalRuns(rules: readonly PolicyRule[], destinationPorts: readonly ContainerPort[], ranges: RangeIndex<ExternalPeer>): { start: number; end: number; allowed: ConnectionSet }[] {
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
    changes.push({ at: 0, ports: ConnectionSet.none, count: 1 }, { at: ranges.size, ports: ConnectionSet.none, count: -1 });
    changes.sort((a, b) => a.at - b.at);
    const holding = new Map<string, { ports: ConnectionSet; count: number }>();
    const runs: { start: number; end: number; allowed: ConnectionSet }[] = [];
    for (let next = 0; next < changes.length;) {
        const at = changes[next].at;
        for (; next < changes.length && changes[next].at === at; next++) {
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
        const end = next < changes.length ? Math.min(changes[next].at, ranges.size) - 1 : -1;
        if (at < ranges.size && end >= at) {
            const allowed = [...holding.values()].reduce((union, held) => union.union(held.ports), everywhere);
            if (!allowed.isEmpty()) {
                runs.push({ start: at, end, allowed });
            }
        }
    }
    return runs;
}

function evaluationUnit(peer: Peer): Group | Interval<Address> {
    return peer.kind === "pods" ? peer.group : peer.range;
}
