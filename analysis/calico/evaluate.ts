/**
 * Allowed connections under ordered, action-carrying policies (one tier), the way Calico
 * evaluates them for each endpoint and direction:
 *
 *   - the policies that select the endpoint and apply in that direction run in order
 *     (lower `order` first, ties by name), each policy's rules in order;
 *   - the first rule that matches a connection decides it: Allow allows, Deny denies, Pass
 *     leaves the tier (with no later tier, the namespace profile decides, and Calico's
 *     Kubernetes profiles allow), Log records and goes on;
 *   - what no rule decides is denied at the end of the tier, if any policy selected the
 *     endpoint in that direction; an endpoint that no policy selects allows everything.
 *
 * Decisions are made per port: a set of connections is carried through the rules, each
 * matching rule deciding the part of it that its protocol and ports cover. Traffic flows if
 * the source's egress and the destination's ingress both allow it.
 *
 * As in netpol/connections.ts, workloads with the same namespace, labels, service account and
 * named ports form one group, and each pair of groups (or group and External range) is
 * evaluated at most once. Label-key indexes (peerKeys.ts, candidates.ts) find the policies
 * selecting a group and the groups a source may reach, so that a pair no Allow can cover is
 * never tried: in a policed cluster the cost grows with the distinct label sets and the flows,
 * not with their square.
 */
import { ReachableRows } from "../reachableRow";
import { Labels } from "../calicoSelector";
import { compareNames, externalName } from "../netpol/format";
import { Interval, IntervalSet } from "../netpol/intervals";
import { disjointRanges } from "../netpol/ipRanges";
import type { Connection, Endpoint } from "../netpol/connection";
import { ConnectionSet, ContainerPort } from "../netpol/ports";
import { Cluster, Workload, workloadId } from "../netpol/workloads";
import { comparePolicies, EndpointIdentity, Group, RulePeer, TierPolicy, TierRule } from "./model";
import { CandidateDestinations } from "./candidates";
import { identityKeys, KeyIndex } from "./peerKeys";
import { subtractConnections } from "./connectionSets";

type Direction = "ingress" | "egress";

interface Trace {
    decided(policy: TierPolicy, action: TierRule["action"]): void;
    endOfTier(): void;
}

/** What decided one direction of a pair: the policies whose rules allowed or denied part of it. */
export interface DirectionExplanation {
    /** The policies that select the endpoint in this direction; none: everything is allowed. */
    readonly selectedBy: readonly string[];
    readonly allowedBy: readonly string[];
    readonly deniedBy: readonly string[];
    /** Some traffic matched no rule of the selecting policies and was denied at the end of the tier. */
    readonly endOfTier: boolean;
}

/** Why a pair's traffic is what it is: the source's egress and the destination's ingress. */
export interface PairExplanation {
    readonly egress: DirectionExplanation;
    /** Absent towards External, which has no ingress policy. */
    readonly ingress?: DirectionExplanation;
}

interface PodsPeer { readonly kind: "pods"; readonly endpoint: Endpoint; readonly group: Group; readonly view: RulePeer }
interface ExternalPeer { readonly kind: "external"; readonly endpoint: Endpoint; readonly range: Interval; readonly view: RulePeer }
type Peer = PodsPeer | ExternalPeer;

/** Every allowed connection, ordered by source name, then destination name. */
export function tieredConnections(cluster: Cluster, serviceAccountOf: (workload: Workload) => string, policies: readonly TierPolicy[]): Connection[] {
    const peers = tieredPeers(cluster, serviceAccountOf, policies);
    const sources = byName(peers.sources);
    const destinations = new ReachableRows(byName(peers.destinations), unitOf);
    const candidates = new CandidateDestinations([...new Set(peers.destinations.flatMap((peer) => (peer.kind === "pods" ? [peer.group] : [])))]);
    const externalUnits = peers.destinations.flatMap((peer) => (peer.kind === "external" ? [peer.range] : []));
    const evaluator = new Evaluator();
    const connections: Connection[] = [];
    const rows = new Map<Group | Interval, { dst: Peer; allowed: ConnectionSet }[]>();
    for (const src of sources) {
        const unit = unitOf(src);
        let row = rows.get(unit);
        if (!row) {
            // External sources are few (ranges); for them, and towards External, every unit is evaluated.
            const reachable = src.kind === "pods" ? candidates.of(src.group) : "all";
            row = destinations.row(src, (from, to) => evaluator.evaluate(from, to), reachable === "all" ? undefined : [...reachable, ...externalUnits]);
            rows.set(unit, row);
        }
        for (const { dst, allowed } of row) {
            if (dst !== src) {
                connections.push({ src: src.endpoint, dst: dst.endpoint, allowed });
            }
        }
    }
    return connections;
}

/**
 * Explains pairs of endpoints by name (`ns/name[Kind]`, `a.b.c.d-e.f.g.h[External]`): which
 * policies allowed or denied the traffic in each direction. Returns undefined for a name that
 * is no endpoint. For messages: the listing itself does not track why.
 */
export function tieredExplainer(cluster: Cluster, serviceAccountOf: (workload: Workload) => string, policies: readonly TierPolicy[]): (src: string, dst: string) => PairExplanation | undefined {
    const peers = tieredPeers(cluster, serviceAccountOf, policies);
    const sources = new Map(peers.sources.map((peer) => [peer.endpoint.name, peer]));
    const destinations = new Map(peers.destinations.map((peer) => [peer.endpoint.name, peer]));
    const evaluator = new Evaluator();
    return (srcName, dstName) => {
        const src = sources.get(srcName);
        const dst = destinations.get(dstName);
        return src && dst ? evaluator.explain(src, dst) : undefined;
    };
}

function tieredPeers(cluster: Cluster, serviceAccountOf: (workload: Workload) => string, policies: readonly TierPolicy[]): { sources: Peer[]; destinations: Peer[] } {
    const ordered = [...policies].sort(comparePolicies);
    const workloads = workloadPeers(cluster, serviceAccountOf, ordered);
    const cuts = (direction: Direction) => ordered.flatMap((policy) => (policy[direction] ?? []).flatMap((rule) => rule.externalCuts));
    return { sources: [...workloads, ...externalPeers(cuts("ingress"))], destinations: [...workloads, ...externalPeers(cuts("egress"))] };
}

/** The identity the policy layers see; exported for the Istio layer, which groups alike. */
export function endpointIdentity(workload: Workload, namespaceLabels: Labels, serviceAccount: string): EndpointIdentity {
    return {
        namespace: workload.namespace,
        namespaceLabels,
        labels: workload.labels,
        serviceAccount,
        calicoLabels: {
            ...workload.labels,
            "projectcalico.org/namespace": workload.namespace,
            "projectcalico.org/orchestrator": "k8s",
            "projectcalico.org/serviceaccount": serviceAccount,
        },
        calicoNamespaceLabels: { ...namespaceLabels, "projectcalico.org/name": workload.namespace },
    };
}

function workloadPeers(cluster: Cluster, serviceAccountOf: (workload: Workload) => string, policies: readonly TierPolicy[]): PodsPeer[] {
    const groups = new Map<string, Group>();
    const bySelection = new KeyIndex(policies, (policy) => policy.selectedKeys);
    return cluster.workloads.map((workload) => {
        const serviceAccount = serviceAccountOf(workload);
        const key = groupKey(workload, serviceAccount);
        let group = groups.get(key);
        if (!group) {
            const identity = endpointIdentity(workload, cluster.namespaces.get(workload.namespace) ?? {}, serviceAccount);
            const selecting = bySelection.lookup(identityKeys(identity)).filter((policy) => policy.selects(identity));
            const applying = (direction: Direction) => {
                const found = selecting.filter((policy) => policy[direction] !== undefined);
                return found.length === 0 ? undefined : found;
            };
            group = { identity, containerPorts: workload.containerPorts, ingress: applying("ingress"), egress: applying("egress") };
            groups.set(key, group);
        }
        return { kind: "pods", endpoint: { kind: "workload", name: workloadId(workload), workload }, group, view: { kind: "pods", identity: group.identity } };
    });
}

function groupKey(workload: Workload, serviceAccount: string): string {
    const namedPorts = workload.containerPorts.filter((port) => port.name).map((port) => `${port.name}/${port.protocol}/${port.port}`).sort();
    const labels = Object.keys(workload.labels).sort().map((key) => [key, workload.labels[key]]);
    return JSON.stringify([workload.namespace, labels, serviceAccount, namedPorts]);
}

function externalPeers(cuts: readonly IntervalSet[]): ExternalPeer[] {
    return disjointRanges(cuts).map((range) => ({
        kind: "external",
        endpoint: { kind: "external", name: externalName(range), range },
        range,
        // A range lies wholly inside or outside each cut, so its first address decides.
        view: { kind: "external", address: range.start },
    }));
}

function byName(peers: Peer[]): Peer[] {
    return peers.sort((a, b) => compareNames(a.endpoint.name, b.endpoint.name));
}

function unitOf(peer: Peer): Group | Interval {
    return peer.kind === "pods" ? peer.group : peer.range;
}

class Evaluator {
    /** Per rule and side, whether it matches a group: found once per group, not once per pair. */
    private readonly sourceMatches = new Map<TierRule, Map<Group, boolean>>();
    private readonly destinationMatches = new Map<TierRule, Map<Group, boolean>>();

    evaluate(src: Peer, dst: Peer): ConnectionSet {
        const destinationPorts = dst.kind === "pods" ? dst.group.containerPorts : [];
        const egress = src.kind === "pods" ? this.decide(src.group.egress, "egress", src, dst, destinationPorts) : ConnectionSet.all;
        if (egress.isEmpty() || dst.kind === "external") {
            return egress;
        }
        return egress.intersect(this.decide(dst.group.ingress, "ingress", src, dst, destinationPorts));
    }

    explain(src: Peer, dst: Peer): PairExplanation {
        const destinationPorts = dst.kind === "pods" ? dst.group.containerPorts : [];
        const direction = (policies: readonly TierPolicy[] | undefined, side: Direction): DirectionExplanation => {
            const allowedBy = new Set<string>();
            const deniedBy = new Set<string>();
            let endOfTier = false;
            this.decide(policies, side, src, dst, destinationPorts, {
                decided: (policy, action) => (action === "Deny" ? deniedBy : allowedBy).add(policy.object),
                endOfTier: () => { endOfTier = true; },
            });
            return { selectedBy: (policies ?? []).map((policy) => policy.object), allowedBy: [...allowedBy], deniedBy: [...deniedBy], endOfTier };
        };
        return {
            egress: direction(src.kind === "pods" ? src.group.egress : undefined, "egress"),
            ...(dst.kind === "pods" ? { ingress: direction(dst.group.ingress, "ingress") } : {}),
        };
    }

    /** One direction, as Calico runs the tier; `trace` hears of every rule that decides part of the traffic, and of what is left at the end. */
    private decide(policies: readonly TierPolicy[] | undefined, direction: Direction, src: Peer, dst: Peer, destinationPorts: readonly ContainerPort[], trace?: Trace): ConnectionSet {
        if (policies === undefined) {
            return ConnectionSet.all;
        }
        let undecided = ConnectionSet.all;
        let allowed = ConnectionSet.none;
        for (const policy of policies) {
            for (const rule of policy[direction] ?? []) {
                if (rule.action === "Log" || !this.matches(rule, src, "source") || !this.matches(rule, dst, "destination")) {
                    continue;
                }
                const covered = undecided.intersect(rule.connections(destinationPorts));
                if (covered.isEmpty()) {
                    continue;
                }
                trace?.decided(policy, rule.action);
                if (rule.action !== "Deny") {
                    allowed = allowed.union(covered); // Allow, or Pass out of the only tier to the allowing profile
                }
                undecided = subtractConnections(undecided, covered);
                if (undecided.isEmpty()) {
                    return allowed;
                }
            }
        }
        trace?.endOfTier();
        return allowed;
    }

    private matches(rule: TierRule, peer: Peer, side: "source" | "destination"): boolean {
        if (peer.kind === "external") {
            return side === "source" ? rule.matchesSource(peer.view) : rule.matchesDestination(peer.view);
        }
        const cache = side === "source" ? this.sourceMatches : this.destinationMatches;
        let byGroup = cache.get(rule);
        if (!byGroup) {
            byGroup = new Map();
            cache.set(rule, byGroup);
        }
        let result = byGroup.get(peer.group);
        if (result === undefined) {
            result = side === "source" ? rule.matchesSource(peer.view) : rule.matchesDestination(peer.view);
            byGroup.set(peer.group, result);
        }
        return result;
    }
}
