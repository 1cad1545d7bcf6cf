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
 * apart and the flows, not with their square.
 */
import { ReachableRows } from "../reachableRow";
import { formatConnectionSet } from "../netpol/format";
import { Interval } from "../netpol/intervals";
import type { Address } from "../netpol/ipRanges";
import type { Connection } from "../netpol/connection";
import { ConnectionSet, ContainerPort } from "../netpol/ports";
import { CandidateDestinations } from "./candidates";
import { subtractConnections } from "./connectionSets";
import { failsafe } from "./failsafe";
import { Group, TierRule } from "./model";
import { byName, Peer, tieredPeers, TierInputs, unitOf } from "./peers";

export type { TierInputs } from "./peers";

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

class Evaluator {
    /** Per rule and side, whether it matches a group: found once per group, not once per pair. */
    private readonly sourceMatches = new Map<TierRule, Map<Group, boolean>>();
    private readonly destinationMatches = new Map<TierRule, Map<Group, boolean>>();
    /** Notes by source unit and destination unit, where an `http` rule matched. */
    private readonly notes = new Map<Group | Interval<Address>, Map<Group | Interval<Address>, string[]>>();
    private readonly pairNotes: string[] = [];
    private readonly collector: Pick<Trace, "note"> = { note: (text) => this.pairNotes.push(text) };

    evaluate(src: Peer, dst: Peer): ConnectionSet {
        const destinationPorts = dst.kind === "pods" ? dst.group.containerPorts : [];
        // Notes are rare (rules with `http`): the collector is shared, and emptied per pair.
        const notes = this.pairNotes;
        notes.length = 0;
        const egress = src.kind === "pods" ? this.decide(src.group, "egress", src, dst, destinationPorts, undefined, this.collector) : ConnectionSet.all;
        const allowed = egress.isEmpty() || dst.kind === "external" ? egress : egress.intersect(this.decide(dst.group, "ingress", src, dst, destinationPorts, undefined, this.collector));
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
                    const action = this.outcome(rule, covered, policy.object, direction, notes);
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
    private outcome(rule: TierRule, covered: ConnectionSet, object: string, direction: Direction, notes: Pick<Trace, "note"> | undefined): "Allow" | "Deny" | "Pass" | undefined {
        if (rule.http !== undefined) {
            const verb = rule.action === "Allow" ? "only" : rule.action === "Deny" ? "except" : "passing on";
            notes?.note(`${formatConnectionSet(covered)}: ${verb} HTTP requests ${describeHttp(rule)} (${object} ${direction} rule ${rule.index}; Calico enforces it in the application layer)`);
            if (rule.action !== "Allow") {
                return undefined;
            }
        }
        if (rule.someSourcePorts) {
            const listed = rule.action === "Allow" ? "not listed as allowed" : "listed as denied";
            notes?.note(`${formatConnectionSet(covered)}: ${verbOf[rule.action]} from some source ports only (${object} ${direction} rule ${rule.index}); ${listed}, as a client's source port is not known ahead`);
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
                const action = covered && this.outcome(rule, covered, profile.object, direction, notes);
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
        if (rule.action === "Log" || (rule.ipVersion !== undefined && rule.ipVersion !== trafficFamily(src, dst))
            || !this.matches(rule, src, "source") || !this.matches(rule, dst, "destination")) {
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

/** The IP family of a pair's traffic, for rules with `ipVersion` (see the top of this file). */
function trafficFamily(src: Peer, dst: Peer): 4 | 6 {
    const ipv6 = (peer: Peer) => {
        if (peer.kind === "external") {
            return typeof peer.range.start === "bigint";
        }
        const known = peer.group.identity.addresses;
        return known !== undefined && known.v4.isEmpty() && !known.v6.isEmpty();
    };
    return ipv6(src) || ipv6(dst) ? 6 : 4;
}
