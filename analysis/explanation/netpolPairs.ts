/**
 * Why each pair of peers may or may not connect under Kubernetes NetworkPolicy: for every source
 * and destination (workloads, and the External ranges the policies' ipBlocks cut), the
 * connections split by the policies and rules that decide them, in each direction.
 *
 * A direction (the source's Egress, the destination's Ingress) that no policy isolates allows
 * everything by the system default. Otherwise a connection is allowed in that direction when a
 * rule of one of the isolating policies admits the peer on that port; the explanation names
 * those rules when it is allowed, and when it is not, what each isolating policy lacks: rules
 * altogether, a rule admitting the peer, or (the peer admitted) the port, or a named port the
 * destination does not declare with that protocol.
 *
 * Computed per pair, on demand (`--explain`): the indexed engine (../netpol/connections.ts)
 * lists what is allowed without visiting denied pairs; an explanation has to visit them all.
 */
import { ClusterModel } from "../model/cluster";
import { Endpoint } from "../netpol/connection";
import { compareNames, externalName } from "../netpol/format";
import { IntervalSet } from "../netpol/intervals";
import { Address, externalRanges } from "../netpol/ipRanges";
import { NetworkPolicy, PodIdentity, PolicyRule, policySelects, ruleAdmitsAddress, ruleAdmitsPod, ruleIpBlocks } from "../netpol/policy";
import { allPorts, ConnectionSet, ContainerPort, protocols } from "../netpol/ports";
import { workloadId } from "../netpol/workloads";

export type PolicyDirection = "Ingress" | "Egress";

/** What one policy did with a connection in one direction. */
export type PolicyReason =
    /**
     * Its rule (numbered from 1 in the policy's order for that direction) admits the peer on that
     * connection: the first such rule, as netpol-analyzer names one rule even where a later one
     * allows the same (its conformance case exposure_to_new_namespace_conn_and_entire_cluster).
     */
    | { readonly kind: "allowed-by-rule"; readonly policy: string; readonly rule: number }
    /** It isolates the direction with no rule at all. */
    | { readonly kind: "no-rules"; readonly policy: string }
    /** None of its rules admits the peer. */
    | { readonly kind: "peer-not-admitted"; readonly policy: string }
    /** Its rule admits the peer, not on that connection; `namedPorts` when the rule's named ports resolve to nothing at the destination. */
    | { readonly kind: "ports-not-matched"; readonly policy: string; readonly rule: number; readonly namedPorts: boolean };

/** One direction's verdict on a set of connections. */
export interface DirectionVerdict {
    readonly direction: PolicyDirection;
    readonly allowed: boolean;
    /** No policy isolates this side in this direction: the system default allows all. */
    readonly systemDefault: boolean;
    /** When allowed, the policies allowing it; when denied, every isolating policy's reason. By policy name. */
    readonly reasons: readonly PolicyReason[];
}

/** Connections that share one explanation. */
export interface ExplainedConnections {
    readonly connections: ConnectionSet;
    readonly allowed: boolean;
    readonly egress: DirectionVerdict;
    readonly ingress: DirectionVerdict;
}

/** A pair of peers with its explanation; shaped as a Connection, so the focus filters apply. */
export interface PairExplanation {
    readonly src: Endpoint;
    readonly dst: Endpoint;
    /** Everything allowed between them (possibly nothing). */
    readonly allowed: ConnectionSet;
    /** Whether some policy isolates the source's egress or the destination's ingress. */
    readonly policed: boolean;
    /** The connections split by their explanation, in the order of their first protocol and port. */
    readonly parts: readonly ExplainedConnections[];
}

/** A peer as the explanation sees it: a workload's identity and ports, or an External range. */
interface PeerView {
    readonly endpoint: Endpoint;
    readonly identity?: PodIdentity;
    readonly containerPorts: readonly ContainerPort[];
    /** The policies isolating it in each direction, by name (none for External): found once per peer, not per pair. */
    readonly isolating: Readonly<Record<"ingress" | "egress", readonly NetworkPolicy[]>>;
}

/** Which pairs to explain: all, those some policy isolates, or those left to the system default. */
export type PairsPoliced = "all" | "policed" | "unpoliced";

/**
 * Every ordered pair of distinct peers (External to External aside) that `keeps` accepts (and,
 * with `which`, that some policy isolates or none does), by source name then destination name,
 * one at a time: a large cluster's pairs are written as they are explained, never held together.
 * Whether a pair is policed is known from its peers' isolating policies, before it is explained.
 */
export function* explainNetworkPolicies(model: ClusterModel, keeps: (pair: Pick<PairExplanation, "src" | "dst">) => boolean = () => true, which: PairsPoliced = "all"): Generator<PairExplanation> {
    const policies = model.kubernetesPolicies;
    const workloads: PeerView[] = model.cluster.workloads.map((workload) => {
        const identity: PodIdentity = { namespace: workload.namespace, namespaceLabels: model.cluster.namespaces.get(workload.namespace) ?? {}, labels: workload.labels };
        const isolating = (direction: "ingress" | "egress") => policies.filter((policy) => policy[direction] !== undefined && policySelects(policy, identity))
            .sort((a, b) => compareNames(`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`));
        return { endpoint: { kind: "workload", name: workloadId(workload), workload }, identity, containerPorts: workload.containerPorts, isolating: { ingress: isolating("ingress"), egress: isolating("egress") } };
    });
    const ranges = (direction: "ingress" | "egress"): PeerView[] => externalRanges(policies.flatMap((policy) => ruleIpBlocks(policy[direction])))
        .map((range) => ({ endpoint: { kind: "external", name: externalName(range), range }, containerPorts: [], isolating: { ingress: [], egress: [] } }));
    const byName = (peers: PeerView[]) => peers.sort((a, b) => compareNames(a.endpoint.name, b.endpoint.name));
    // Left to the system default are the pairs of a source no policy isolates on egress and a destination none isolates on ingress: only those are visited.
    const unpoliced = which === "unpoliced";
    const sources = byName([...workloads, ...ranges("ingress")]).filter((peer) => !unpoliced || peer.isolating.egress.length === 0);
    const destinations = byName([...workloads, ...ranges("egress")]).filter((peer) => !unpoliced || peer.isolating.ingress.length === 0);
    for (const src of sources) {
        for (const dst of destinations) {
            const wanted = which === "all" || (which === "policed") === (src.isolating.egress.length > 0 || dst.isolating.ingress.length > 0);
            if (wanted && src !== dst && (src.identity !== undefined || dst.identity !== undefined) && keeps({ src: src.endpoint, dst: dst.endpoint })) {
                yield explainPair(src, dst);
            }
        }
    }
}

function explainPair(src: PeerView, dst: PeerView): PairExplanation {
    const egress = sideRules(src, dst, "egress", dst.containerPorts);
    const ingress = sideRules(dst, src, "ingress", dst.containerPorts);
    const parts: ExplainedConnections[] = [];
    for (const atom of atoms([...egress.portSets(), ...ingress.portSets()])) {
        const egressVerdict = egress.verdict(atom.protocol, atom.port);
        const ingressVerdict = ingress.verdict(atom.protocol, atom.port);
        const allowed = egressVerdict.allowed && ingressVerdict.allowed;
        const same = parts.find((part) => part.egress === egressVerdict && part.ingress === ingressVerdict);
        const connections = ConnectionSet.of(atom.protocol, atom.ports);
        if (same) {
            parts[parts.indexOf(same)] = { ...same, connections: same.connections.union(connections) };
        } else {
            parts.push({ connections, allowed, egress: egressVerdict, ingress: ingressVerdict });
        }
    }
    return {
        src: src.endpoint,
        dst: dst.endpoint,
        allowed: parts.filter((part) => part.allowed).reduce((union, part) => union.union(part.connections), ConnectionSet.none),
        policed: !egress.systemDefault || !ingress.systemDefault,
        parts,
    };
}

interface SideRules {
    readonly systemDefault: boolean;
    /** The port sets of the rules admitting the peer: where a verdict may change. */
    portSets(): ConnectionSet[];
    verdict(protocol: (typeof protocols)[number], port: number): DirectionVerdict;
}

/**
 * One side's rules towards its peer: `own`'s isolating policies for `direction` and, for each,
 * the rules admitting `peer` with the connections they allow (named ports resolved at the
 * destination's `destinationPorts`).
 */
function sideRules(own: PeerView, peer: PeerView, direction: "ingress" | "egress", destinationPorts: readonly ContainerPort[]): SideRules {
    const name: PolicyDirection = direction === "ingress" ? "Ingress" : "Egress";
    const isolating = own.isolating[direction];
    if (isolating.length === 0) {
        const verdict: DirectionVerdict = { direction: name, allowed: true, systemDefault: true, reasons: [] };
        return { systemDefault: true, portSets: () => [], verdict: () => verdict };
    }
    const admits = (rule: PolicyRule) => (peer.identity !== undefined ? ruleAdmitsPod(rule, peer.identity) : peer.endpoint.kind === "external" && ruleAdmitsAddress(rule, peer.endpoint.range.start as Address));
    const compiled = isolating.map((policy) => ({
        policy: `${policy.namespace}/${policy.name}`,
        hasRules: (policy[direction] ?? []).length > 0,
        admitting: (policy[direction] ?? []).flatMap((rule, index) => (admits(rule) ? [{ number: index + 1, rule, allowed: rule.ports(destinationPorts) }] : [])),
    }));
    // One object per distinct verdict, so that the parts of a pair compare verdicts by identity.
    const verdicts = new Map<string, DirectionVerdict>();
    return {
        systemDefault: false,
        portSets: () => compiled.flatMap((policy) => policy.admitting.map((rule) => rule.allowed)),
        verdict(protocol, port) {
            const reasons = compiled.map((policy): PolicyReason => {
                const allowing = policy.admitting.find((rule) => rule.allowed.ports(protocol).contains(port));
                if (allowing !== undefined) {
                    return { kind: "allowed-by-rule", policy: policy.policy, rule: allowing.number };
                }
                if (!policy.hasRules) {
                    return { kind: "no-rules", policy: policy.policy };
                }
                const first = policy.admitting[0];
                return first === undefined
                    ? { kind: "peer-not-admitted", policy: policy.policy }
                    : { kind: "ports-not-matched", policy: policy.policy, rule: first.number, namedPorts: first.rule.namesPorts && first.allowed.isEmpty() };
            });
            const allowing = reasons.filter((reason) => reason.kind === "allowed-by-rule");
            const shown = allowing.length > 0 ? allowing : reasons;
            const key = shown.map((reason) => `${reason.kind} ${reason.policy} ${"rule" in reason ? reason.rule : ""} ${"namedPorts" in reason ? reason.namedPorts : ""}`).join("\n");
            let verdict = verdicts.get(key);
            if (verdict === undefined) {
                verdict = { direction: name, allowed: allowing.length > 0, systemDefault: false, reasons: shown };
                verdicts.set(key, verdict);
            }
            return verdict;
        },
    };
}

/** The protocol's ports cut where any of `sets` begins or ends: each piece has one verdict. */
function atoms(sets: readonly ConnectionSet[]): { protocol: (typeof protocols)[number]; ports: IntervalSet; port: number }[] {
    return protocols.flatMap((protocol) => {
        const cuts = new Set<number>([allPorts.intervals[0].start, allPorts.intervals[0].end + 1]);
        sets.forEach((set) => set.ports(protocol).boundaries().forEach((boundary) => cuts.add(boundary)));
        const sorted = [...cuts].sort((a, b) => a - b);
        return sorted.slice(1).map((after, i) => ({ protocol, ports: IntervalSet.range(sorted[i], after - 1), port: sorted[i] }));
    });
}
