/**
 * The enforcement impact: of the flows really observed (observed/), those that the policies
 * enforced now let through and the as-enforced view (asEnforced.ts) would cut, each with the
 * sentences of the rules that would cut it (explain.ts, in the as-enforced view), and the
 * `callers` declarations that would keep them (callersDeclarations.ts). Offline, enforcement
 * cuts every undeclared pair, which says little; what breaks is the traffic that runs. Observed
 * flows that what is enforced now denies already are listed apart, explained in that view: an
 * audit rollout that cuts traffic is no audit.
 *
 * Each observed flow is asked as `ztmesh eval` asks a connection (eval/evaluate.ts): its peers,
 * its port and, where the log shows it, its HTTP request; flows alike after mapping their peers
 * to workloads are evaluated once, and keep every place they were observed at.
 */
import { ConnectionQuery, evaluateConnection, PeerError, PeerQuery, Verdict } from "../eval/evaluate";
import { flowPartsExplainer } from "../explain";
import { KubeObject } from "../manifests";
import type { ObservedFlow } from "../observed/observedFlow";
import { PeerResolver } from "../observed/peers";
import { analysedObjects, reachability } from "../reach";
import { asEnforcedObjects, observingPolicyNames } from "./asEnforced";
import { callersDeclarations, CallersDeclaration } from "./callersDeclarations";
import type { ImpactFlow, ObservedRequest } from "./impactFlow";

export type { ImpactFlow, ObservedRequest } from "./impactFlow";

/** An observed flow that is cut: by enforcing the staged and dry-run policies, or (`deniedNow`) by what is enforced now. */
export interface CutFlow extends ImpactFlow {
    /** Where it was observed, `file:line`, in the order read. */
    readonly observedAt: readonly string[];
    /** The sentences of the enforcement points that cut it (in the as-enforced view, or the enforced one): layer 3/4 egress and ingress, then layer 7. */
    readonly explanation: readonly string[];
    /** The staged and dry-run policies the explanation names as enforced: "NetworkPolicy bookinfo/ratings is StagedKubernetesNetworkPolicy bookinfo/ratings". */
    readonly observing: readonly string[];
    /** What Calico recorded of it (enforced and pending verdicts), when it was read from Calico's flow records. */
    readonly calico?: readonly string[];
}

export interface EnforcementImpact {
    /** How many distinct flows (pairs of peers on a port) were evaluated. */
    readonly observed: number;
    readonly cut: readonly CutFlow[];
    /**
     * Observed flows the policies enforced now deny already, explained in that view: traffic the
     * audit rollout itself would cut (or, read from logs older than it, has cut). None should be.
     */
    readonly deniedNow: readonly CutFlow[];
    /** The `callers` entries that would keep the cut flows, for a person to review: never applied. */
    readonly declarations: readonly CallersDeclaration[];
    /** Cut flows no `callers` entry can keep, each with why. */
    readonly undeclarable: readonly string[];
    /** Observed flows the input cannot name, counted by reason. */
    readonly unresolved: readonly string[];
}

interface Observed {
    /** The connection, without a request. */
    readonly connection: ConnectionQuery;
    readonly requests: Map<string, ObservedRequest>;
    readonly observedAt: string[];
    readonly calico: Set<string>;
}

const peerKey = (peer: PeerQuery) => (peer.kind === "address" ? peer.address : `${peer.namespace}/${peer.name}[${peer.workloadKind ?? ""}]`);

/** The impact of enforcing what `objects` stage or dry-run, on the `observed` flows. */
export function enforcementImpact(objects: readonly KubeObject[], observed: readonly ObservedFlow[]): EnforcementImpact {
    // The gateway Deployments Istio creates and the waypoints are peers too.
    const resolver = new PeerResolver(analysedObjects(objects));
    const unresolved = new Map<string, number>();
    const distinct = new Map<string, Observed>();
    for (const flow of observed) {
        const src = resolver.resolve(flow.src);
        const dst = resolver.resolve(flow.dst);
        if ("unresolved" in src || "unresolved" in dst) {
            const reason = "unresolved" in src ? src.unresolved : (dst as { unresolved: string }).unresolved;
            unresolved.set(reason, (unresolved.get(reason) ?? 0) + 1);
            continue;
        }
        const key = JSON.stringify([peerKey(src), peerKey(dst), flow.protocol, flow.port]);
        const known: Observed = distinct.get(key) ?? { connection: { src, dst, protocol: flow.protocol, port: String(flow.port) }, requests: new Map(), observedAt: [], calico: new Set() };
        distinct.set(key, known);
        known.observedAt.push(flow.at);
        if (flow.request) known.requests.set(JSON.stringify([flow.request.method, flow.request.path]), flow.request);
        if (flow.calico) known.calico.add(flow.calico);
    }
    const enforcedObjects = asEnforcedObjects(objects);
    const now = verdicts(objects, unresolved);
    // The same peers in both views: a peer the input lacks is counted once, from the first.
    const enforced = verdicts(enforcedObjects, new Map());
    const explain = flowPartsExplainer(enforcedObjects, { tierPolicies: true });
    const observing = observingPolicyNames(objects);
    const cut: CutFlow[] = [];
    const explainNow = flowPartsExplainer(objects, { tierPolicies: true });
    const deniedNow: CutFlow[] = [];
    for (const { connection, requests, observedAt, calico } of distinct.values()) {
        const before = now(connection);
        const after = enforced(connection);
        if (before === undefined || after === undefined) {
            continue;
        }
        const record = (verdict: Verdict, sentences: typeof explain, cutRequests: ObservedRequest[], named: typeof observing): CutFlow => {
            const { layer4, layer7 } = sentences(verdict.src.name, verdict.dst.name);
            const explanation = [...layer4, ...(layer7 !== undefined ? [layer7] : [])];
            const mentioned = (name: string) => explanation.some((sentence) => new RegExp(`(^|[^A-Za-z])${escapeRegExp(name)}($|[^A-Za-z0-9./-])`).test(sentence));
            return {
                src: before.src.name, dst: before.dst.name, protocol: connection.protocol, port: Number(connection.port),
                requests: cutRequests.sort(compareRequests),
                observedAt,
                explanation,
                observing: named.filter(({ enforcedAs }) => mentioned(enforcedAs)).map(({ enforcedAs, observing: is }) => `${enforcedAs} is ${is}`),
                ...(calico.size > 0 ? { calico: [...calico] } : {}),
            };
        };
        if (!before.allowed) {
            deniedNow.push(record(before, explainNow, [], []));
            continue;
        }
        const allowedNow = [...requests.values()].filter((request) => now({ ...connection, request })?.allowed === true);
        if (allowedNow.length < requests.size) {
            deniedNow.push(record(before, explainNow, [...requests.values()].filter((request) => !allowedNow.includes(request)), []));
        }
        const cutRequests = allowedNow.filter((request) => enforced({ ...connection, request })?.allowed === false);
        if (after.allowed && cutRequests.length === 0) {
            continue;
        }
        cut.push(record(after, explain, cutRequests, observing));
    }
    const { declarations, undeclarable } = callersDeclarations(objects, cut);
    return {
        observed: distinct.size,
        cut,
        deniedNow,
        declarations,
        undeclarable,
        unresolved: [...unresolved].map(([reason, count]) => `${count} observed flow${count === 1 ? "" : "s"}: ${reason}`),
    };
}

function compareRequests(a: ObservedRequest, b: ObservedRequest): number {
    const [x, y] = [`${a.method ?? ""} ${a.path ?? ""}`, `${b.method ?? ""} ${b.path ?? ""}`];
    return x < y ? -1 : x > y ? 1 : 0;
}

/** Verdicts under `objects`, their flows computed once; a peer the input does not hold is counted as unresolved. */
function verdicts(objects: readonly KubeObject[], unresolved: Map<string, number>): (query: ConnectionQuery) => Verdict | undefined {
    const flows = reachability(objects);
    return (query) => {
        try {
            return evaluateConnection(objects, query, flows);
        } catch (error) {
            if (error instanceof PeerError) {
                unresolved.set(error.message, (unresolved.get(error.message) ?? 0) + 1);
                return undefined;
            }
            throw error;
        }
    };
}

function escapeRegExp(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
