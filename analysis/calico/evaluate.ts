/**
 * Allowed connections under Calico's tiers and profiles, the way Felix evaluates them for each
 * endpoint and direction (docs.tigera.io/calico/latest/reference/resources/tier, "How policy
 * is evaluated"; .../resources/profile):
 *
 *   - a host endpoint first admits Felix's default failsafe ports (failsafe.ts);
 *   - each tier with a policy that selects the endpoint in that direction runs, tiers in order;
 *     within a tier the policies run in order (lower `order` first, ties by name), each
 *     policy's rules in order;
 *   - the first rule that matches a connection decides it: Allow allows, Deny denies, Pass hands
 *     it to the next tier, Log records and goes on; what no rule decides gets the tier's
 *     default action (Deny, or Pass);
 *   - what the last tier passes on, or everything where no tier applies, goes to the endpoint's
 *     profiles (profiles.ts): a pod's allow everything, a host endpoint without profiles
 *     drops it.
 *
 * Decisions are made per port: a set of connections is carried through the rules, each
 * matching rule deciding the part of it that its protocol and ports cover. Traffic flows if
 * the source's egress and the destination's ingress both allow it. Two rule fields cannot be
 * decided here, and never widen what is reported: a rule that matches only some source ports
 * (an ephemeral port, unknown ahead of time) is reported as allowing nothing when it allows,
 * and as deciding the traffic it covers when it denies or passes (a flow is listed only where
 * every source port is admitted); a rule with an `http` match decides only requests, which the
 * application layer sees: an Allow is reported with a note saying which requests it admits,
 * and a Deny or Pass lets the traffic go on to the next rules, with a note.
 *
 * As in netpol/connections.ts, endpoints with the same namespace, labels, service account,
 * named ports and profiles form one group, and each pair of groups (or group and External
 * range) is evaluated at most once. Label-key indexes (peerKeys.ts, candidates.ts) find the
 * policies selecting a group and the groups a source may reach, so that a pair no Allow can
 * cover is never tried: in a policed cluster the cost grows with the distinct label sets and
 * the flows, not with their square.
 */
import { ReachableRows } from "../reachableRow";
import { Labels } from "../calicoSelector";
import { compareNames, formatConnectionSet } from "../netpol/format";
import { Interval, IntervalSet } from "../netpol/intervals";
import { disjointRanges, formatRange } from "../netpol/ipRanges";
import type { Connection, Endpoint } from "../netpol/connection";
import { ConnectionSet, ContainerPort } from "../netpol/ports";
import { Cluster, Workload, workloadId } from "../netpol/workloads";
import { CandidateDestinations } from "./candidates";
import { subtractConnections } from "./connectionSets";
import { CalicoEndpoint, NetworkSet, PodEndpointDetails } from "./endpoints";
import { failsafe } from "./failsafe";
import { compareTiers, comparePolicies, EndpointIdentity, Group, Profile, RulePeer, Tier, TierPolicy, TierRule, TierSlice } from "./model";
import { identityKeys, KeyIndex } from "./peerKeys";

type Direction = "ingress" | "egress";

/** One part of a direction's traffic and what decided it, for explanations. */
export type Decision =
    | { readonly kind: "rule"; readonly action: "Allow" | "Deny" | "Pass"; readonly policy: string; readonly tier: string; readonly rule: number; readonly connections: ConnectionSet; readonly someSourcePorts?: boolean }
    | { readonly kind: "endOfTier"; readonly tier: string; readonly action: "Deny" | "Pass"; readonly policies: readonly string[]; readonly connections: ConnectionSet }
    | { readonly kind: "profile"; readonly action: "Allow" | "Deny"; readonly profile: string; readonly rule: number; readonly connections: ConnectionSet }
    | { readonly kind: "noProfile"; readonly profiles: readonly string[]; readonly connections: ConnectionSet }
    | { readonly kind: "failsafe"; readonly connections: ConnectionSet };

/** What decided one direction of a pair, in the order the decisions were made. */
export interface DirectionExplanation {
    /** No policy selects the endpoint in this direction: its profiles decided everything. */
    readonly unselected: boolean;
    readonly decisions: readonly Decision[];
    /** Notes about requests (Calico `http` matches), which only the application layer decides. */
    readonly notes: readonly string[];
}

/** Why a pair's traffic is what it is: the source's egress and the destination's ingress. */
export interface PairExplanation {
    /** Absent from External, which has no egress policy. */
    readonly egress?: DirectionExplanation;
    /** Absent towards External, which has no ingress policy. */
    readonly ingress?: DirectionExplanation;
}

/** A connection, with notes about the requests that the application layer would decide. */
export interface TieredConnection extends Connection {
    readonly notes?: readonly string[];
}

/** Everything the tiered evaluation takes (index.ts gathers it from the objects). */
export interface TierInputs {
    readonly cluster: Cluster;
    readonly serviceAccountOf: (workload: Workload) => string;
    readonly serviceAccountLabels: (namespace: string, name: string) => Labels;
    readonly policies: readonly TierPolicy[];
    readonly tiers: ReadonlyMap<string, Tier>;
    /** A pod's profiles (kns/ksa), unless a WorkloadEndpoint names others. */
    readonly podProfiles: (namespace: string, serviceAccount: string) => readonly Profile[];
    readonly podDetails: ReadonlyMap<string, PodEndpointDetails>;
    readonly endpoints: readonly CalicoEndpoint[];
    readonly networkSets: readonly NetworkSet[];
    /** External cuts made by profile rules. */
    readonly profileCuts: (direction: Direction) => readonly IntervalSet[];
}

interface PodsPeer { readonly kind: "pods"; readonly endpoint: Endpoint; readonly group: Group; readonly view: RulePeer }
interface ExternalPeer { readonly kind: "external"; readonly endpoint: Endpoint; readonly range: Interval; readonly view: RulePeer }
type Peer = PodsPeer | ExternalPeer;

interface Trace {
    decided(decision: Decision): void;
    note(text: string): void;
}

/** Every allowed connection, ordered by source name, then destination name. */
export function tieredConnections(inputs: TierInputs): TieredConnection[] {
    const peers = tieredPeers(inputs);
    const sources = byName(peers.sources);
    const destinations = new ReachableRows(byName(peers.destinations), unitOf);
    const candidates = new CandidateDestinations([...new Set(peers.destinations.flatMap((peer) => (peer.kind === "pods" ? [peer.group] : [])))]);
    const externalUnits = peers.destinations.flatMap((peer) => (peer.kind === "external" ? [peer.range] : []));
    const evaluator = new Evaluator();
    const connections: TieredConnection[] = [];
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
                const notes = evaluator.notesOf(unit, unitOf(dst));
                connections.push({ src: src.endpoint, dst: dst.endpoint, allowed, ...(notes ? { notes } : {}) });
            }
        }
    }
    return connections;
}

/**
 * Explains pairs of endpoints by name (`ns/name[Kind]`, `a.b.c.d-e.f.g.h[External]`): the
 * rules, tier ends and profiles that decided the traffic in each direction. Returns undefined
 * for a name that is no endpoint. For messages: the listing itself does not track why.
 */
export function tieredExplainer(inputs: TierInputs): (src: string, dst: string) => PairExplanation | undefined {
    const peers = tieredPeers(inputs);
    const sources = new Map(peers.sources.map((peer) => [peer.endpoint.name, peer]));
    const destinations = new Map(peers.destinations.map((peer) => [peer.endpoint.name, peer]));
    const evaluator = new Evaluator();
    return (srcName, dstName) => {
        const src = sources.get(srcName);
        const dst = destinations.get(dstName);
        return src && dst ? evaluator.explain(src, dst) : undefined;
    };
}

function tieredPeers(inputs: TierInputs): { sources: Peer[]; destinations: Peer[] } {
    const ordered = [...inputs.policies].sort(comparePolicies);
    const endpoints = endpointPeers(inputs, ordered);
    const setNets = inputs.networkSets.map((set) => set.nets);
    const cuts = (direction: Direction) => [
        ...ordered.flatMap((policy) => (policy[direction] ?? []).flatMap((rule) => rule.externalCuts)),
        ...inputs.profileCuts(direction),
        ...setNets,
    ];
    return {
        sources: [...endpoints, ...externalPeers(cuts("ingress"), inputs.networkSets)],
        destinations: [...endpoints, ...externalPeers(cuts("egress"), inputs.networkSets)],
    };
}

/** The identity the policy layers see; exported for the Istio layer, which groups alike. */
export function endpointIdentity(workload: Workload, namespaceLabels: Labels, serviceAccount: string, calico: Partial<Pick<EndpointIdentity, "serviceAccountLabels" | "host" | "addresses">> & { profileLabels?: Labels } = {}): EndpointIdentity {
    const { profileLabels, ...extra } = calico;
    return {
        namespace: workload.namespace,
        namespaceLabels,
        labels: workload.labels,
        serviceAccount,
        // A host endpoint has only its own labels (and its profiles'); a pod, Calico's labels for its namespace, orchestrator and account.
        calicoLabels: extra.host
            ? { ...profileLabels, ...workload.labels }
            : {
                ...profileLabels,
                ...workload.labels,
                "projectcalico.org/namespace": workload.namespace,
                "projectcalico.org/orchestrator": "k8s",
                "projectcalico.org/serviceaccount": serviceAccount,
            },
        calicoNamespaceLabels: extra.host ? {} : { ...namespaceLabels, "projectcalico.org/name": workload.namespace },
        ...extra,
    };
}

function endpointPeers(inputs: TierInputs, policies: readonly TierPolicy[]): PodsPeer[] {
    const groups = new Map<string, Group>();
    const bySelection = new KeyIndex(policies, (policy) => policy.selectedKeys);
    const tierOrder = [...inputs.tiers.values()].sort(compareTiers);
    const peer = (name: string, workload: Workload, serviceAccount: string, host: boolean, addresses: IntervalSet | undefined, profiles: readonly Profile[]): PodsPeer => {
        const key = groupKey(workload, serviceAccount, host, addresses, profiles);
        let group = groups.get(key);
        if (!group) {
            const profileLabels = Object.assign({}, ...profiles.map((profile) => profile.labels)) as Labels;
            const identity = endpointIdentity(workload, inputs.cluster.namespaces.get(workload.namespace) ?? {}, serviceAccount, {
                ...(host ? { host } : { serviceAccountLabels: inputs.serviceAccountLabels(workload.namespace, serviceAccount) }),
                ...(addresses ? { addresses } : {}),
                profileLabels,
            });
            const selecting = bySelection.lookup(identityKeys(identity)).filter((policy) => policy.selects(identity));
            group = { identity, containerPorts: workload.containerPorts, ...slices(selecting, tierOrder), profiles };
            groups.set(key, group);
        }
        return { kind: "pods", endpoint: { kind: "workload", name, workload }, group, view: { kind: "pods", identity: group.identity } };
    };
    return [
        ...inputs.cluster.workloads.map((workload) => {
            const serviceAccount = inputs.serviceAccountOf(workload);
            const details = inputs.podDetails.get(workloadId(workload));
            return peer(workloadId(workload), workload, serviceAccount, false, details?.addresses, details?.profiles ?? inputs.podProfiles(workload.namespace, serviceAccount));
        }),
        ...inputs.endpoints.map((endpoint) => peer(endpoint.name, endpoint.workload, endpoint.serviceAccount, endpoint.host, endpoint.addresses, endpoint.profiles)),
    ];
}

/** The selecting policies by tier, in tier order, for each direction they apply in. */
function slices(selecting: readonly TierPolicy[], tierOrder: readonly Tier[]): Pick<Group, "ingress" | "egress"> {
    const of = (direction: Direction): TierSlice[] | undefined => {
        const found = tierOrder
            .map((tier) => ({ tier, policies: selecting.filter((policy) => policy.tier === tier.name && policy[direction] !== undefined) }))
            .filter((slice) => slice.policies.length > 0);
        return found.length === 0 ? undefined : found;
    };
    const ingress = of("ingress");
    const egress = of("egress");
    return { ...(ingress ? { ingress } : {}), ...(egress ? { egress } : {}) };
}

function groupKey(workload: Workload, serviceAccount: string, host: boolean, addresses: IntervalSet | undefined, profiles: readonly Profile[]): string {
    const namedPorts = workload.containerPorts.filter((port) => port.name).map((port) => `${port.name}/${port.protocol}/${port.port}`).sort();
    const labels = Object.keys(workload.labels).sort().map((key) => [key, workload.labels[key]]);
    return JSON.stringify([workload.namespace, labels, serviceAccount, namedPorts, host, addresses?.intervals ?? null, profiles.map((profile) => profile.object)]);
}

function externalPeers(cuts: readonly IntervalSet[], sets: readonly NetworkSet[]): ExternalPeer[] {
    return disjointRanges(cuts).map((range) => {
        // A range lies wholly inside or outside each cut, so its first address decides.
        const inSets = sets.filter((set) => set.nets.contains(range.start));
        const name = inSets.length === 0 ? `${formatRange(range)}[External]` : `${formatRange(range)}[${inSets.map((set) => set.object).join(", ")}]`;
        return { kind: "external", endpoint: { kind: "external", name, range }, range, view: { kind: "external", address: range.start, sets: inSets } };
    });
}

function byName(peers: Peer[]): Peer[] {
    return peers.sort((a, b) => compareNames(a.endpoint.name, b.endpoint.name));
}

function unitOf(peer: Peer): Group | Interval {
    return peer.kind === "pods" ? peer.group : peer.range;
}

/** `GET,POST /api/*` for a note; `*` where the match leaves methods or paths open. */
function describeHttp(rule: TierRule): string {
    const http = rule.http!;
    return `${http.methods.length === 0 ? "*" : http.methods.join(",")} ${http.paths.length === 0 ? "*" : http.paths.join(",")}`;
}

class Evaluator {
    /** Per rule and side, whether it matches a group: found once per group, not once per pair. */
    private readonly sourceMatches = new Map<TierRule, Map<Group, boolean>>();
    private readonly destinationMatches = new Map<TierRule, Map<Group, boolean>>();
    /** Notes by source unit and destination unit, where an `http` rule matched. */
    private readonly notes = new Map<Group | Interval, Map<Group | Interval, string[]>>();

    evaluate(src: Peer, dst: Peer): ConnectionSet {
        const destinationPorts = dst.kind === "pods" ? dst.group.containerPorts : [];
        const notes: string[] = [];
        const collect = { note: (text: string) => notes.push(text) };
        const egress = src.kind === "pods" ? this.decide(src.group, "egress", src, dst, destinationPorts, undefined, collect) : ConnectionSet.all;
        const allowed = egress.isEmpty() || dst.kind === "external" ? egress : egress.intersect(this.decide(dst.group, "ingress", src, dst, destinationPorts, undefined, collect));
        if (notes.length > 0 && !allowed.isEmpty()) {
            let bySource = this.notes.get(unitOf(src));
            if (!bySource) {
                bySource = new Map();
                this.notes.set(unitOf(src), bySource);
            }
            bySource.set(unitOf(dst), [...new Set(notes)]);
        }
        return allowed;
    }

    notesOf(src: Group | Interval, dst: Group | Interval): readonly string[] | undefined {
        return this.notes.get(src)?.get(dst);
    }

    explain(src: Peer, dst: Peer): PairExplanation {
        const destinationPorts = dst.kind === "pods" ? dst.group.containerPorts : [];
        const direction = (group: Group, side: Direction): DirectionExplanation => {
            const decisions: Decision[] = [];
            const notes: string[] = [];
            const trace: Trace = { decided: (decision) => decisions.push(decision), note: (text) => notes.push(text) };
            this.decide(group, side, src, dst, destinationPorts, trace, trace);
            return { unselected: group[side] === undefined, decisions, notes: [...new Set(notes)] };
        };
        return {
            ...(src.kind === "pods" ? { egress: direction(src.group, "egress") } : {}),
            ...(dst.kind === "pods" ? { ingress: direction(dst.group, "ingress") } : {}),
        };
    }

    /** One direction, as Felix runs the tiers and profiles; `trace` hears of every decision, `notes` of requests left to the application layer. */
    private decide(group: Group, direction: Direction, src: Peer, dst: Peer, destinationPorts: readonly ContainerPort[], trace: Trace | undefined, notes: Pick<Trace, "note"> | undefined): ConnectionSet {
        let undecided = ConnectionSet.all;
        let allowed = ConnectionSet.none;
        if (group.identity.host) {
            allowed = failsafe[direction];
            undecided = subtractConnections(undecided, allowed);
            trace?.decided({ kind: "failsafe", connections: allowed });
        }
        for (const { tier, policies } of group[direction] ?? []) {
            let passed = ConnectionSet.none;
            tier: for (const policy of policies) {
                for (const rule of policy[direction] ?? []) {
                    const covered = this.covered(rule, undecided, src, dst, destinationPorts);
                    if (covered === undefined) {
                        continue;
                    }
                    const action = this.outcome(rule, covered, `${policy.object} ${direction} rule ${rule.index}`, notes);
                    if (action === undefined) {
                        continue;
                    }
                    trace?.decided({ kind: "rule", action, policy: policy.object, tier: tier.name, rule: rule.index, connections: covered, ...(rule.someSourcePorts ? { someSourcePorts: true } : {}) });
                    if (action === "Allow") {
                        allowed = allowed.union(covered);
                    } else if (action === "Pass") {
                        passed = passed.union(covered);
                    }
                    undecided = subtractConnections(undecided, covered);
                    if (undecided.isEmpty()) {
                        break tier;
                    }
                }
            }
            if (!undecided.isEmpty()) {
                trace?.decided({ kind: "endOfTier", tier: tier.name, action: tier.defaultAction, policies: policies.map((policy) => policy.object), connections: undecided });
                if (tier.defaultAction === "Pass") {
                    passed = passed.union(undecided);
                }
            }
            undecided = passed;
            if (undecided.isEmpty()) {
                return allowed;
            }
        }
        return allowed.union(this.profiles(group, direction, undecided, src, dst, destinationPorts, trace, notes));
    }

    /**
     * What a matching rule does to the traffic it covers, as reported: an `http` match decides
     * requests only (noted; an Allow allows, a Deny or Pass leaves the traffic to the next
     * rules); a rule of some source ports allows none of it, and denies or passes it all.
     */
    private outcome(rule: TierRule, covered: ConnectionSet, where: string, notes: Pick<Trace, "note"> | undefined): "Allow" | "Deny" | "Pass" | undefined {
        if (rule.http !== undefined) {
            const verb = rule.action === "Allow" ? "only" : rule.action === "Deny" ? "except" : "passing on";
            notes?.note(`${formatConnectionSet(covered)}: ${verb} HTTP requests ${describeHttp(rule)} (${where}; Calico enforces it in the application layer)`);
            if (rule.action !== "Allow") {
                return undefined;
            }
        }
        if (rule.someSourcePorts) {
            return rule.action === "Allow" ? undefined : "Deny";
        }
        return rule.action as "Allow" | "Deny" | "Pass";
    }

    /** What the endpoint's profiles allow of `undecided`: each profile's rules in order; a Pass, or no match, goes to the next profile. */
    private profiles(group: Group, direction: Direction, undecided: ConnectionSet, src: Peer, dst: Peer, destinationPorts: readonly ContainerPort[], trace: Trace | undefined, notes: Pick<Trace, "note"> | undefined): ConnectionSet {
        let allowed = ConnectionSet.none;
        for (const profile of group.profiles) {
            let skipped = ConnectionSet.none;
            for (const rule of profile[direction]) {
                const covered = this.covered(rule, undecided, src, dst, destinationPorts);
                const action = covered && this.outcome(rule, covered, `${profile.object} ${direction} rule ${rule.index}`, notes);
                if (covered === undefined || action === undefined) {
                    continue;
                }
                if (action === "Allow") {
                    allowed = allowed.union(covered);
                } else if (action === "Pass") {
                    skipped = skipped.union(covered);
                }
                if (action !== "Pass") {
                    trace?.decided({ kind: "profile", action, profile: profile.object, rule: rule.index, connections: covered });
                }
                undecided = subtractConnections(undecided, covered);
                if (undecided.isEmpty()) {
                    break;
                }
            }
            undecided = undecided.union(skipped);
            if (undecided.isEmpty()) {
                return allowed;
            }
        }
        trace?.decided({ kind: "noProfile", profiles: group.profiles.map((profile) => profile.object), connections: undecided });
        return allowed;
    }

    /** The part of `undecided` that `rule` matches, or undefined when it matches none. */
    private covered(rule: TierRule, undecided: ConnectionSet, src: Peer, dst: Peer, destinationPorts: readonly ContainerPort[]): ConnectionSet | undefined {
        if (rule.action === "Log" || !this.matches(rule, src, "source") || !this.matches(rule, dst, "destination")) {
            return undefined;
        }
        const covered = undecided.intersect(rule.connections(destinationPorts));
        return covered.isEmpty() ? undefined : covered;
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
