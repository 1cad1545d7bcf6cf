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
 * every source port is admitted, and a note names the rule); a rule with an `http` match decides only requests, which the
 * application layer sees: an Allow is reported with a note saying which requests it admits,
 * and a Deny or Pass lets the traffic go on to the next rules, with a note.
 *
 * A rule with `ipVersion` decides only traffic of its family (trafficFamily): that of the
 * External range at either end, else IPv6 where an endpoint's known addresses (WorkloadEndpoint
 * `ipNetworks`, HostEndpoint `expectedIPs`) are all IPv6, else IPv4, the family a pod's traffic
 * is reported in when its addresses are not in the manifests.
 *
 * As in netpol/connections.ts, endpoints that no selector, rule or profile can tell apart
 * (the same namespace, service account, named ports, profiles and values of the labels some
 * selector reads; peers.ts) form one group, and each pair of groups (or group and External
 * range) is evaluated at most once. Label-key indexes (peerKeys.ts, candidates.ts) find the
 * policies selecting a group and the groups a source may reach, so that a pair no Allow can
 * cover is never tried: in a policed cluster the cost grows with the groups policies can tell
 * apart and the flows, not with their square. Towards and from External, a group's rules run
 * once over all ranges (externalRow), each rule on the ranges its addresses can match: every
 * policy naming an address adds ranges, so asking each range of every rule grew with the square
 * of such policies.
 */
import { ReachableRows } from "../reachableRow";
import { formatConnectionSet } from "../netpol/format";
import { Interval, IntervalSet } from "../netpol/intervals";
import { RangeIndex } from "../netpol/rangeIndex";
import type { Address } from "../netpol/ipRanges";
import type { Connection } from "../netpol/connection";
import { ConnectionSet, ContainerPort } from "../netpol/ports";
import { CandidateDestinations } from "./candidates";
import { subtractConnections } from "./connectionSets";
import { failsafe } from "./failsafe";
import { Group, Tier, TierPolicy, TierRule } from "./model";
import { byName, ExternalPeer, Peer, PodsPeer, tieredPeers, TierInputs, unitOf } from "./peers";
import { KeyIndex, networkSetKeys } from "./peerKeys";
import { RangeClasses } from "./rangeClasses";

export type { TierInputs } from "./peers";

type Direction = "ingress" | "egress";

/** One part of a direction's traffic and what decided it, for explanations. */
export type Decision =
    | { readonly kind: "rule"; readonly action: "Allow" | "Deny" | "Pass"; readonly policy: string; readonly tier: string; readonly rule: number; readonly ruleName?: string; readonly connections: ConnectionSet; readonly someSourcePorts?: boolean }
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

interface Trace {
    decided(decision: Decision): void;
}

const external = (peer: Peer): ExternalPeer[] => (peer.kind === "external" ? [peer] : []);

/** Every allowed connection, ordered by source name, then destination name. */
export function tieredConnections(inputs: TierInputs): TieredConnection[] {
    const peers = tieredPeers(inputs);
    const sources = byName(peers.sources);
    const destinations = new ReachableRows(byName(peers.destinations), unitOf);
    const candidates = new CandidateDestinations([...new Set(peers.destinations.flatMap((peer) => (peer.kind === "pods" ? [peer.group] : [])))]);
    const externalUnits = peers.destinations.flatMap((peer) => (peer.kind === "external" ? [peer.range] : []));
    const evaluator = new Evaluator({ sources: new RangeIndex(peers.sources.flatMap(external)), destinations: new RangeIndex(peers.destinations.flatMap(external)) });
    const connections: TieredConnection[] = [];
    const rows = new Map<Group | Interval<Address>, { dst: Peer; allowed: ConnectionSet }[]>();
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

const verbOf: Record<TierRule["action"], string> = { Allow: "allowed", Deny: "denied", Pass: "passed on", Log: "logged" };

/** `GET,POST /api/*` for a note; `*` where the match leaves methods or paths open. */
function describeHttp(rule: TierRule): string {
    const http = rule.http!;
    return `${http.methods.length === 0 ? "*" : http.methods.join(",")} ${http.paths.length === 0 ? "*" : http.paths.join(",")}`;
}

/** Where one direction's evaluation stands: what no rule has decided yet, what is allowed, what the current tier (or profile) passes on, and the notes so far. */
interface Progress {
    readonly undecided: ConnectionSet;
    readonly allowed: ConnectionSet;
    readonly passed: ConnectionSet;
    readonly notes: readonly string[];
}

/** Where a rule is: in a policy of a tier, or in a profile (`object` names the policy or profile). */
type RulePlace = { readonly kind: "tier"; readonly tier: string; readonly object: string } | { readonly kind: "profile"; readonly object: string };

/** The positions of the External ranges that network sets hold, as a list and a set, and by the keys of their sets. */
interface Listed {
    readonly all: readonly number[];
    readonly positions: IntervalSet;
    readonly byKey: KeyIndex<number>;
}

/** External ranges by position, as sources (cut by ingress rules) and as destinations (by egress rules). */
export interface ExternalRanges {
    readonly sources: RangeIndex<ExternalPeer>;
    readonly destinations: RangeIndex<ExternalPeer>;
}

class Evaluator {
    /** Per rule and side, whether it matches a group: found once per group, not once per pair. */
    private readonly sourceMatches = new Map<TierRule, Map<Group, boolean>>();
    private readonly destinationMatches = new Map<TierRule, Map<Group, boolean>>();
    /** Per direction, a group's evaluation with each External range, by position (externalRow). */
    private readonly externalRows = { ingress: new Map<Group, Progress[]>(), egress: new Map<Group, Progress[]>() };
    /** Per index, the positions of the ranges that network sets hold, and those positions by the keys of their sets. */
    private readonly listed = new Map<RangeIndex<ExternalPeer>, Listed>();
    /** Notes by source unit and destination unit, where an `http` rule matched. */
    private readonly notes = new Map<Group | Interval<Address>, Map<Group | Interval<Address>, string[]>>();

    /** Without `ranges`, every pair is evaluated on its own (explanations ask for few). */
    constructor(private readonly ranges?: ExternalRanges) {}

    evaluate(src: Peer, dst: Peer): ConnectionSet {
        const destinationPorts = dst.kind === "pods" ? dst.group.containerPorts : [];
        const egress = src.kind === "pods" ? this.direction(src, "egress", src, dst, destinationPorts) : undefined;
        const ingress = (egress === undefined || !egress.allowed.isEmpty()) && dst.kind === "pods" ? this.direction(dst, "ingress", src, dst, destinationPorts) : undefined;
        const allowed = (egress?.allowed ?? ConnectionSet.all).intersect(ingress?.allowed ?? ConnectionSet.all);
        const notes = [...(egress?.notes ?? []), ...(ingress?.notes ?? [])];
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

    notesOf(src: Group | Interval<Address>, dst: Group | Interval<Address>): readonly string[] | undefined {
        return this.notes.get(src)?.get(dst);
    }

    explain(src: Peer, dst: Peer): PairExplanation {
        const destinationPorts = dst.kind === "pods" ? dst.group.containerPorts : [];
        const direction = (group: Group, side: Direction): DirectionExplanation => {
            const decisions: Decision[] = [];
            const trace: Trace = { decided: (decision) => decisions.push(decision) };
            const { notes } = this.decide(group, side, src, dst, destinationPorts, trace);
            return { unselected: group[side] === undefined, decisions, notes: [...new Set(notes)] };
        };
        return {
            ...(src.kind === "pods" ? { egress: direction(src.group, "egress") } : {}),
            ...(dst.kind === "pods" ? { ingress: direction(dst.group, "ingress") } : {}),
        };
    }

    /** One direction of a pair, `own` being the endpoint whose rules run: from the External row where the other side is a range. */
    private direction(own: PodsPeer, direction: Direction, src: Peer, dst: Peer, destinationPorts: readonly ContainerPort[]): Progress {
        const other = direction === "egress" ? dst : src;
        const ranges = direction === "egress" ? this.ranges?.destinations : this.ranges?.sources;
        const position = other.kind === "external" ? ranges?.positionOf(other.range) : undefined;
        return position === undefined ? this.decide(own.group, direction, src, dst, destinationPorts, undefined) : this.externalRow(own, direction, ranges!)[position];
    }

    /** One direction, as Felix runs the tiers and profiles; `trace` hears of every decision. */
    private decide(group: Group, direction: Direction, src: Peer, dst: Peer, destinationPorts: readonly ContainerPort[], trace: Trace | undefined): Progress {
        let progress = start(group, direction, trace);
        for (const { tier, policies } of group[direction] ?? []) {
            tier: for (const policy of policies) {
                for (const rule of policy[direction] ?? []) {
                    if (this.matchesPair(rule, src, dst)) {
                        progress = ruleStep(progress, rule, rule.connections(destinationPorts), { kind: "tier", tier: tier.name, object: policy.object }, direction, trace);
                        if (progress.undecided.isEmpty()) {
                            break tier;
                        }
                    }
                }
            }
            progress = tierEnd(progress, tier, policies, trace);
            if (progress.undecided.isEmpty()) {
                return progress;
            }
        }
        for (const profile of group.profiles) {
            for (const rule of profile[direction]) {
                if (this.matchesPair(rule, src, dst)) {
                    progress = ruleStep(progress, rule, rule.connections(destinationPorts), { kind: "profile", object: profile.object }, direction, trace);
                    if (progress.undecided.isEmpty()) {
                        break;
                    }
                }
            }
            progress = profileEnd(progress);
            if (progress.undecided.isEmpty()) {
                return progress;
            }
        }
        trace?.decided({ kind: "noProfile", profiles: group.profiles.map((profile) => profile.object), connections: progress.undecided });
        return progress;
    }

    /**
     * One direction of `own` with every External range on the other side, by position: the
     * same steps as `decide`, each rule applied to the ranges it can match (positionsMatched)
     * and the tier and profile ends to all, over classes of ranges in the same state
     * (rangeClasses.ts). A range meets the rules of its own addresses and those of every
     * address, not every rule: with a policy per address, asking each range of each rule grew
     * with the square of the policies.
     */
    private externalRow(own: PodsPeer, direction: Direction, ranges: RangeIndex<ExternalPeer>): Progress[] {
        const group = own.group;
        let row = this.externalRows[direction].get(group);
        if (row) {
            return row;
        }
        const ownSide = direction === "egress" ? "source" : "destination";
        const destinationPorts = direction === "ingress" ? group.containerPorts : [];
        const classes = new RangeClasses(ranges.size, start(group, direction, undefined), progressKey);
        const run = (rule: TierRule, place: RulePlace) => {
            if (rule.action === "Log" || !this.matches(rule, own, ownSide)) {
                return;
            }
            const connections = rule.connections(destinationPorts);
            classes.apply(this.positionsMatched(rule, direction, own, ranges), (progress) => ruleStep(progress, rule, connections, place, direction, undefined));
        };
        // Where nothing is left undecided in any class, the rest decides nothing (decide stops there too).
        const settled = () => classes.distinct().every((progress) => progress.undecided.isEmpty());
        row = (() => {
            for (const { tier, policies } of group[direction] ?? []) {
                policies.forEach((policy) => (policy[direction] ?? []).forEach((rule) => run(rule, { kind: "tier", tier: tier.name, object: policy.object })));
                classes.applyAllBut(IntervalSet.empty, (progress) => tierEnd(progress, tier, policies, undefined));
                if (settled()) {
                    return classes.all();
                }
            }
            for (const profile of group.profiles) {
                profile[direction].forEach((rule) => run(rule, { kind: "profile", object: profile.object }));
                classes.applyAllBut(IntervalSet.empty, profileEnd);
                if (settled()) {
                    return classes.all();
                }
            }
            return classes.all();
        })();
        this.externalRows[direction].set(group, row);
        return row;
    }

    /**
     * The positions of the ranges that `rule`'s External side matches, `own` being on the other
     * side: those its nets hold and its notNets do not, of the family `ipVersion` asks; where
     * its selectors read network sets, the ranges a set holds are asked one by one.
     */
    private positionsMatched(rule: TierRule, direction: Direction, own: PodsPeer, ranges: RangeIndex<ExternalPeer>): IntervalSet {
        const side = direction === "egress" ? rule.destinationAddresses : rule.sourceAddresses;
        let positions = side.nets ? ranges.within(side.nets) : ranges.all();
        if (side.notNets) {
            positions = positions.subtract(ranges.within(side.notNets));
        }
        if (rule.ipVersion !== undefined) {
            // As trafficFamily: an endpoint known only by IPv6 addresses makes all its traffic IPv6.
            positions = positions.intersect(ipv6Only(own) ? (rule.ipVersion === 6 ? ranges.all() : IntervalSet.empty) : ranges.family(rule.ipVersion));
        }
        if (side.bySets === undefined) {
            return positions;
        }
        // Only the ranges of sets with one of the selectors' keys can be selected: asking each range a set holds of each rule grew with the square of the sets.
        const listed = this.listedPositions(ranges);
        const selected = (side.bySets.setKeys === undefined ? listed.all : listed.byKey.lookup(side.bySets.setKeys))
            .filter((position) => {
                const { view } = ranges.items[position];
                return positions.contains(position) && (direction === "egress" ? rule.matchesDestination(view) : rule.matchesSource(view));
            })
            .map((position) => ({ start: position, end: position }));
        return (side.bySets.unlisted ? positions.subtract(listed.positions) : IntervalSet.empty).union(IntervalSet.of(selected));
    }

    private listedPositions(ranges: RangeIndex<ExternalPeer>): Listed {
        let listed = this.listed.get(ranges);
        if (!listed) {
            const positions = ranges.items.flatMap((item, position) => (item.view.kind === "external" && item.view.sets.length > 0 ? [position] : []));
            listed = {
                all: positions,
                positions: IntervalSet.of(positions.map((position) => ({ start: position, end: position }))),
                byKey: new KeyIndex(positions, (position) => {
                    const { view } = ranges.items[position];
                    return view.kind === "external" ? view.sets.flatMap(networkSetKeys) : [];
                }),
            };
            this.listed.set(ranges, listed);
        }
        return listed;
    }

    /** Whether a rule matches a pair, whatever traffic it covers. */
    private matchesPair(rule: TierRule, src: Peer, dst: Peer): boolean {
        return rule.action !== "Log" && (rule.ipVersion === undefined || rule.ipVersion === trafficFamily(src, dst))
            && this.matches(rule, src, "source") && this.matches(rule, dst, "destination");
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

/** Before any rule: a host endpoint's failsafe ports are allowed, the rest undecided. */
function start(group: Group, direction: Direction, trace: Trace | undefined): Progress {
    if (!group.identity.host) {
        return { undecided: ConnectionSet.all, allowed: ConnectionSet.none, passed: ConnectionSet.none, notes: [] };
    }
    const allowed = failsafe[direction];
    trace?.decided({ kind: "failsafe", connections: allowed });
    return { undecided: subtractConnections(ConnectionSet.all, allowed), allowed, passed: ConnectionSet.none, notes: [] };
}

/**
 * A rule that matches the pair, on the part of the undecided traffic its `connections` cover:
 * decided by its action (outcome), what a Pass passes going on to the next tier or profile.
 * Returns `progress` itself where the rule decides and notes nothing.
 */
function ruleStep(progress: Progress, rule: TierRule, connections: ConnectionSet, place: RulePlace, direction: Direction, trace: Trace | undefined): Progress {
    const covered = progress.undecided.intersect(connections);
    if (covered.isEmpty()) {
        return progress;
    }
    const added: string[] = [];
    const action = outcome(rule, covered, place.object, direction, (text) => added.push(text));
    const notes = added.length === 0 ? progress.notes : [...progress.notes, ...added];
    if (action === undefined) {
        return { ...progress, notes };
    }
    if (place.kind === "tier") {
        trace?.decided({ kind: "rule", action, policy: place.object, tier: place.tier, rule: rule.index, ...(rule.name === undefined ? {} : { ruleName: rule.name }), connections: covered, ...(rule.someSourcePorts ? { someSourcePorts: true } : {}) });
    } else if (action !== "Pass") {
        trace?.decided({ kind: "profile", action, profile: place.object, rule: rule.index, connections: covered });
    }
    return {
        undecided: subtractConnections(progress.undecided, covered),
        allowed: action === "Allow" ? progress.allowed.union(covered) : progress.allowed,
        passed: action === "Pass" ? progress.passed.union(covered) : progress.passed,
        notes,
    };
}

/** A tier's end: what no rule decided gets the tier's default action, and what the tier passes on is what the next decides. */
function tierEnd(progress: Progress, tier: Tier, policies: readonly TierPolicy[], trace: Trace | undefined): Progress {
    if (progress.undecided.isEmpty() && progress.passed.isEmpty()) {
        return progress;
    }
    let passed = progress.passed;
    if (!progress.undecided.isEmpty()) {
        trace?.decided({ kind: "endOfTier", tier: tier.name, action: tier.defaultAction, policies: policies.map((policy) => policy.object), connections: progress.undecided });
        if (tier.defaultAction === "Pass") {
            passed = passed.union(progress.undecided);
        }
    }
    return { undecided: passed, allowed: progress.allowed, passed: ConnectionSet.none, notes: progress.notes };
}

/** A profile's end: what it passed on goes to the next profile, with what it left undecided. */
function profileEnd(progress: Progress): Progress {
    return progress.passed.isEmpty() ? progress : { ...progress, undecided: progress.undecided.union(progress.passed), passed: ConnectionSet.none };
}

/** Equal progress, equal key (rangeClasses.ts merges the ranges in the same state). */
function progressKey(progress: Progress): string {
    return JSON.stringify([formatConnectionSet(progress.undecided), formatConnectionSet(progress.allowed), formatConnectionSet(progress.passed), progress.notes]);
}

/**
 * What a matching rule does to the traffic it covers, as reported: an `http` match decides
 * requests only (noted; an Allow allows, a Deny or Pass leaves the traffic to the next
 * rules); a rule of some source ports allows none of it, and denies or passes it all.
 */
function outcome(rule: TierRule, covered: ConnectionSet, object: string, direction: Direction, note: (text: string) => void): "Allow" | "Deny" | "Pass" | undefined {
    if (rule.http !== undefined) {
        const verb = rule.action === "Allow" ? "only" : rule.action === "Deny" ? "except" : "passing on";
        note(`${formatConnectionSet(covered)}: ${verb} HTTP requests ${describeHttp(rule)} (${object} ${direction} rule ${rule.index}; Calico enforces it in the application layer)`);
        if (rule.action !== "Allow") {
            return undefined;
        }
    }
    if (rule.someSourcePorts) {
        const listed = rule.action === "Allow" ? "not listed as allowed" : "listed as denied";
        note(`${formatConnectionSet(covered)}: ${verbOf[rule.action]} from some source ports only (${object} ${direction} rule ${rule.index}); ${listed}, as a client's source port is not known ahead`);
        return rule.action === "Allow" ? undefined : "Deny";
    }
    return rule.action as "Allow" | "Deny" | "Pass";
}

function ipv6Only(peer: PodsPeer): boolean {
    const known = peer.group.identity.addresses;
    return known !== undefined && known.v4.isEmpty() && !known.v6.isEmpty();
}

/** The IP family of a pair's traffic, for rules with `ipVersion` (see the top of this file). */
function trafficFamily(src: Peer, dst: Peer): 4 | 6 {
    const ipv6 = (peer: Peer) => (peer.kind === "external" ? typeof peer.range.start === "bigint" : ipv6Only(peer));
    return ipv6(src) || ipv6(dst) ? 6 : 4;
}
