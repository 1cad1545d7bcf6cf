/**
 * The Istio layer over layer 3/4 connections. The proxy of a meshed destination (its sidecar,
 * or a gateway's own proxy) enforces its AuthorizationPolicies on every TCP connection it
 * receives, in Istio's order: CUSTOM (its external authorizer may deny what a CUSTOM rule
 * matches: a note), then DENY (what a rule matches is taken away; a rule whose match depends on
 * request data only gives a note), then ALLOW (if any ALLOW policy applies to the workload,
 * only requests an ALLOW rule matches remain, with the conditions it carries; an ALLOW policy
 * without rules matches nothing). AUDIT decides nothing. PeerAuthentication STRICT refuses
 * callers without a sidecar at sidecars (not at gateways, whose listeners serve outside clients). Callers without a sidecar (other workloads, External) present no
 * identity; gateways present their service account's.
 *
 * Each connection keeps its UDP and SCTP ports (the proxy does not intercept them); its TCP
 * ports shrink to those on which some request is granted, with the grants attached in
 * canonical form. A connection left with nothing is dropped. Decisions are cached per caller
 * and destination label set, so the cost follows label sets, not workloads.
 */
import type { ClusterModel } from "../model/cluster";
import { KubeObject } from "../manifests";
import type { Connection } from "../netpol/connection";
import { IntervalSet } from "../netpol/intervals";
import { Address, AddressSet, rangeStart } from "../netpol/ipRanges";
import { ConnectionSet } from "../netpol/ports";
import { Cluster, Workload, workloadId } from "../netpol/workloads";
import { PodDetails } from "../podDetails";
import { subtractConnections } from "../calico/connectionSets";
import { Action, AuthorizationPolicy, CallerView, isEnforcedAuthorizationPolicy, parseAuthorizationPolicy, policyApplies, policyName } from "./authorization";
import { canonicalGrants } from "./canonical";
import { formatGrant, formatPortSet } from "./format";
import { MeshConfig, meshConfigOf } from "./meshConfig";
import { Outbound, Scope } from "./outbound";
import { allRequests, clipGrants, Grant, grantPorts, intersectGrant, isEmptyGrant, subtractGrant } from "./grants";
import { isGateway, isMeshed, peerIdentity } from "./mesh";
import { isPeerAuthentication, parsePeerAuthentication, PeerAuthentication, strictPorts } from "./peerAuthentication";

/** One rule that took part in a decision. */
export interface DecidingRule {
    /** `AuthorizationPolicy ns/name`. */
    readonly policy: string;
    /** 1-based index in `spec.rules`. */
    readonly rule: number;
    readonly action: Action;
    /** The rule matches the caller only under request conditions (its DENY or CUSTOM is then a note). */
    readonly conditional: boolean;
}

/** Which AuthorizationPolicies, and which of their rules, decided a caller's requests at a meshed destination. */
export interface AuthorizationExplanation {
    /** ALLOW policies on the destination (if none, every request not denied is allowed)... */
    readonly allowPolicies: readonly string[];
    /** ...of which those with a rule admitting the caller. */
    readonly allowedBy: readonly string[];
    /** DENY policies with a rule that surely matches some of the caller's requests. */
    readonly deniedBy: readonly string[];
    /** The caller has no sidecar identity and PeerAuthentication STRICT refuses it on some ports. */
    readonly refusedWithoutMtls: boolean;
    /** Every rule (ALLOW, DENY, CUSTOM, AUDIT) that matches some of the caller's requests, in evaluation order. */
    readonly rules: readonly DecidingRule[];
}

/** A remark on a flow that the grants cannot hold: a DENY or CUSTOM rule that applies only to some requests. */
export interface FlowNote {
    /** TCP ports the note concerns. */
    readonly ports: IntervalSet;
    readonly text: string;
}

/** A connection after the Istio layer: `l7` lists the granted requests when a proxy enforces them. */
export interface LayeredConnection extends Connection {
    readonly l7?: readonly Grant[];
    readonly notes?: readonly string[];
}

interface Decision {
    readonly grants: readonly Grant[];
    readonly notes: readonly FlowNote[];
}

/** A caller as the destination sees it; one object per identity (or External range), so decisions are cached by it. */
interface Caller {
    readonly view: CallerView;
}

/** A destination as policies see it; one object per namespace and label set. */
interface Destination {
    readonly meshed: boolean;
    /** A gateway's listeners serve outside clients: PeerAuthentication governs sidecars' inbound traffic only. */
    readonly gateway: boolean;
    readonly workload: Workload;
    /** Decisions by caller. */
    readonly decisions: Map<Caller, Decision>;
    /** The AuthorizationPolicies that apply to it, found on first use. */
    applying?: readonly AuthorizationPolicy[];
}

interface WorkloadInfo {
    readonly caller: Caller;
    readonly destination: Destination;
    /** What restricts the workload's own outbound traffic (its sidecar's Sidecar resource, REGISTRY_ONLY). */
    readonly outbound?: Scope;
}

const plainTextPod: Caller = { view: {} };

export function hasIstioPolicy(objects: readonly KubeObject[]): boolean {
    return objects.some((object) => isEnforcedAuthorizationPolicy(object) || isPeerAuthentication(object));
}

/** Istio's evaluation order; AUDIT decides nothing. */
const actionOrder: readonly Action[] = ["CUSTOM", "DENY", "ALLOW", "AUDIT"];

export class IstioLayer {
    /** By workload id: the layer 4 engines build their own Workload objects... */
    private readonly info = new Map<string, WorkloadInfo>();
    /** ...which are then remembered, so that listing flows builds no strings. */
    private readonly infoByObject = new Map<Workload, WorkloadInfo | undefined>();
    private readonly externalCallers = new Map<Address, Caller>();
    /** AuthorizationPolicies by namespace, built on first use, and their order in the input. */
    private byNamespace?: Map<string, AuthorizationPolicy[]>;
    private readonly order = new Map<AuthorizationPolicy, number>();
    private readonly clipped = new Map<Decision, Map<ConnectionSet, { allowed: ConnectionSet; l7: Grant[]; notes: string[] }>>();

    private constructor(
        private readonly authorization: readonly AuthorizationPolicy[],
        private readonly peerAuthentication: readonly PeerAuthentication[],
        private readonly mesh: MeshConfig,
        private readonly outbound: Outbound,
        cluster: Cluster,
        details: ReadonlyMap<string, PodDetails>,
    ) {
        const callers = new Map<string, Caller>();
        const destinations = new Map<string, Destination>();
        for (const workload of cluster.workloads) {
            const pod = details.get(workloadId(workload));
            const meshed = isMeshed(pod, cluster.namespaces.get(workload.namespace) ?? {});
            const identity = meshed ? peerIdentity(workload.namespace, pod?.serviceAccount ?? "default") : undefined;
            let caller = identity ? callers.get(identity.principal) : plainTextPod;
            if (!caller) {
                caller = { view: { identity } };
                callers.set(identity!.principal, caller);
            }
            const gateway = pod !== undefined && isGateway(pod);
            const destinationKey = JSON.stringify([meshed, gateway, workload.namespace, Object.keys(workload.labels).sort().map((key) => [key, workload.labels[key]])]);
            let destination = destinations.get(destinationKey);
            if (!destination) {
                destination = { meshed, gateway, workload, decisions: new Map() };
                destinations.set(destinationKey, destination);
            }
            const scope = outbound.active && meshed && !gateway ? outbound.scopeOf(workload) : undefined;
            this.info.set(workloadId(workload), { caller, destination, ...(scope ? { outbound: scope } : {}) });
        }
    }

    /**
     * The layer for `objects`, or undefined when Istio changes nothing: no workload is meshed,
     * or only gateways are and no Istio policy exists (their proxies then allow every request,
     * and the listing stays that of layer 3/4).
     */
    static of(model: ClusterModel): IstioLayer | undefined {
        const { objects, cluster, podDetails: details } = model;
        // Compiled first, so that a malformed policy is refused whether or not it matters here.
        const policies = objects.filter(isEnforcedAuthorizationPolicy).map(parseAuthorizationPolicy);
        const peerAuthentication = objects.filter(isPeerAuthentication).map(parsePeerAuthentication);
        const mesh = meshConfigOf(objects);
        const outbound = new Outbound(objects, mesh);
        const sidecars = cluster.workloads.some((workload) => isMeshed(details.get(workloadId(workload)), cluster.namespaces.get(workload.namespace) ?? {}, { gateways: false }));
        if (!sidecars && policies.length === 0 && peerAuthentication.length === 0) {
            return undefined;
        }
        const layer = new IstioLayer(
            policies.filter((policy): policy is AuthorizationPolicy => policy !== undefined),
            peerAuthentication,
            mesh,
            outbound,
            cluster,
            details,
        );
        return [...layer.info.values()].some((info) => info.destination.meshed) ? layer : undefined;
    }

    /** The address blocks the policies name: External ranges are cut at their boundaries. */
    addressBlocks(): AddressSet[] {
        return [...this.authorization.flatMap((policy) => policy.addressBlocks), ...this.outbound.addressBlocks()];
    }

    private infoOf(workload: Workload): WorkloadInfo | undefined {
        if (!this.infoByObject.has(workload)) {
            this.infoByObject.set(workload, this.info.get(workloadId(workload)));
        }
        return this.infoByObject.get(workload);
    }

    private callerOf(endpoint: Connection["src"]): Caller {
        if (endpoint.kind === "workload") {
            return this.infoOf(endpoint.workload)?.caller ?? plainTextPod;
        }
        const start = endpoint.range.start;
        let caller = this.externalCallers.get(start);
        if (!caller) {
            caller = { view: { address: start } };
            this.externalCallers.set(start, caller);
        }
        return caller;
    }

    /** The connection as the caller's and the destination's proxies let it through, or undefined when nothing is left. */
    apply(connection: Connection): LayeredConnection | undefined {
        const scope = connection.src.kind === "workload" ? this.infoOf(connection.src.workload)?.outbound : undefined;
        return scope ? this.applyOutbound(connection, scope) : this.applyInbound(connection, this.callerOf(connection.src));
    }

    /**
     * The caller's sidecar first: towards External, REGISTRY_ONLY keeps only ServiceEntry ports;
     * towards a workload, ports of no visible Service are dropped (REGISTRY_ONLY) or passed
     * through as plain TCP, so that the destination sees no identity on them (ALLOW_ANY).
     */
    private applyOutbound(connection: Connection, scope: Scope): LayeredConnection | undefined {
        const tcp = connection.allowed.ports("TCP");
        const nonTcp = subtractConnections(connection.allowed, ConnectionSet.of("TCP", tcp));
        if (connection.dst.kind === "external") {
            const { open, note } = this.outbound.toExternal(scope, connection.dst.range.start, tcp);
            const allowed = nonTcp.union(ConnectionSet.of("TCP", open));
            return allowed.isEmpty() ? undefined : { ...connection, allowed, ...(note ? { notes: [note] } : {}) };
        }
        const ports = this.outbound.toWorkload(scope, connection.dst.workload, tcp);
        const left = (part: LayeredConnection | undefined) => (part === undefined || part.allowed.isEmpty() ? [] : [part]);
        const viaMesh = left(this.applyInbound({ ...connection, allowed: nonTcp.union(ConnectionSet.of("TCP", ports.mesh)) }, this.callerOf(connection.src)));
        const passed = ports.passthrough.isEmpty() ? [] : left(this.applyInbound({ ...connection, allowed: ConnectionSet.of("TCP", ports.passthrough) }, plainTextPod));
        const parts = [...viaMesh, ...passed];
        if (parts.length === 0) {
            return undefined;
        }
        const l7 = parts.some((part) => part.l7 !== undefined) ? canonicalGrants(parts.flatMap((part) => part.l7 ?? [])) : undefined;
        const passthroughNote = passed.filter((part) => part.l7 !== undefined).map((part) => `TCP ${formatPortSet(part.allowed.ports("TCP"))} leaves the caller's sidecar as plain TCP (no Service it knows leads there), so the destination sees no identity`);
        const notes = [...new Set([...passthroughNote, ...parts.flatMap((part) => part.notes ?? [])])];
        return {
            src: connection.src,
            dst: connection.dst,
            allowed: parts.reduce((all, part) => all.union(part.allowed), ConnectionSet.none),
            ...(l7 ? { l7 } : {}),
            ...(notes.length > 0 ? { notes } : {}),
        };
    }

    /** The connection as the destination's proxy lets it through, or undefined when nothing is left. */
    private applyInbound(connection: Connection, caller: Caller): LayeredConnection | undefined {
        const destination = connection.dst.kind === "workload" ? this.infoOf(connection.dst.workload)?.destination : undefined;
        if (!destination?.meshed || connection.allowed.ports("TCP").isEmpty()) {
            return connection;
        }
        const decision = this.decide(caller, destination);
        let byConnections = this.clipped.get(decision);
        if (!byConnections) {
            byConnections = new Map();
            this.clipped.set(decision, byConnections);
        }
        let result = byConnections.get(connection.allowed);
        if (!result) {
            const tcpPorts = connection.allowed.ports("TCP");
            const l7 = canonicalGrants(clipGrants(decision.grants, tcpPorts));
            const granted = grantPorts(l7);
            const allowed = granted.equals(tcpPorts) ? connection.allowed : subtractConnections(connection.allowed, ConnectionSet.of("TCP", tcpPorts)).union(ConnectionSet.of("TCP", granted));
            const notes = decision.notes.filter((note) => !note.ports.intersect(granted).isEmpty()).map((note) => note.text);
            result = { allowed, l7, notes };
            byConnections.set(connection.allowed, result);
        }
        if (result.allowed.isEmpty()) {
            return undefined;
        }
        return { src: connection.src, dst: connection.dst, allowed: result.allowed, l7: result.l7, ...(result.notes.length > 0 ? { notes: result.notes } : {}) };
    }

    /**
     * Which policies and rules decide what the workload named `src` (`ns/name[Kind]`, or an
     * External range) may request of the one named `dst`; undefined when `dst` is no meshed
     * workload, where no proxy decides.
     */
    explain(src: string, dst: string): AuthorizationExplanation | undefined {
        const destination = this.info.get(dst)?.destination;
        if (!destination?.meshed) {
            return undefined;
        }
        const caller = this.info.get(src)?.caller.view ?? externalView(src);
        const applying = this.applyingTo(destination);
        const rules = actionOrder.flatMap((action) => applying.filter((policy) => policy.action === action).flatMap((policy) => policy.rules.flatMap((rule): DecidingRule[] => {
            const grants = rule.matches(caller);
            return grants.length === 0 ? [] : [{ policy: policyName(policy), rule: rule.index, action, conditional: grants.every((grant) => grant.when.length > 0) }];
        })));
        const policiesOf = (action: Action, conditional: boolean) => [...new Set(rules.filter((rule) => rule.action === action && (conditional || !rule.conditional)).map((rule) => rule.policy))];
        const { namespace, labels } = destination.workload;
        return {
            allowPolicies: applying.filter((policy) => policy.action === "ALLOW").map(policyName),
            allowedBy: policiesOf("ALLOW", true),
            deniedBy: policiesOf("DENY", false),
            refusedWithoutMtls: caller.identity === undefined && !destination.gateway && !strictPorts(this.peerAuthentication, namespace, labels, this.mesh.rootNamespace).isEmpty(),
            rules,
        };
    }

    private applyingTo(destination: Destination): readonly AuthorizationPolicy[] {
        if (!destination.applying) {
            const { namespace, labels } = destination.workload;
            // Only the namespace's and the root namespace's policies can apply (in their order).
            if (!this.byNamespace) {
                this.byNamespace = new Map();
                for (const [index, policy] of this.authorization.entries()) {
                    this.order.set(policy, index);
                    this.byNamespace.set(policy.namespace, [...(this.byNamespace.get(policy.namespace) ?? []), policy]);
                }
            }
            const root = this.byNamespace.get(this.mesh.rootNamespace) ?? [];
            const own = namespace === this.mesh.rootNamespace ? [] : this.byNamespace.get(namespace) ?? [];
            const candidates = root.length === 0 || own.length === 0 ? [...root, ...own]
                : [...root, ...own].sort((a, b) => this.order.get(a)! - this.order.get(b)!);
            destination.applying = candidates.filter((policy) => policyApplies(policy, namespace, labels, this.mesh.rootNamespace));
        }
        return destination.applying;
    }

    private decide(caller: Caller, destination: Destination): Decision {
        let decision = destination.decisions.get(caller);
        if (!decision) {
            decision = this.evaluate(caller.view, destination);
            destination.decisions.set(caller, decision);
        }
        return decision;
    }

    /** The requests `caller` may make of the destination, on any TCP port, and the notes on them. */
    private evaluate(caller: CallerView, destination: Destination): Decision {
        const { namespace, labels } = destination.workload;
        const applying = this.applyingTo(destination);
        const matched = (action: Action) => applying.filter((policy) => policy.action === action)
            .flatMap((policy) => policy.rules.flatMap((rule) => rule.matches(caller).map((grant) => ({ policy, rule: rule.index, grant }))));
        const allowing = applying.filter((policy) => policy.action === "ALLOW");
        let grants: Grant[] = allowing.length === 0 ? [allRequests] : clipGrants(matched("ALLOW").map((match) => match.grant), allRequests.ports);
        const doubts: { policy: AuthorizationPolicy; rule: number; grant: Grant }[] = [];
        for (const deny of matched("DENY")) {
            if (deny.grant.when.length === 0) {
                grants = subtractGrant(grants, deny.grant);
            } else {
                doubts.push(deny);
            }
        }
        if (caller.identity === undefined && !destination.gateway) {
            const strict = strictPorts(this.peerAuthentication, namespace, labels, this.mesh.rootNamespace);
            grants = grants.map((grant) => ({ ...grant, ports: grant.ports.subtract(strict) }));
        }
        grants = clipGrants(grants, allRequests.ports);
        const notes = [...matched("CUSTOM"), ...doubts].flatMap(({ policy, rule, grant }): FlowNote[] => {
            const affected = grants.map((granted) => intersectGrant(granted, { ...grant, when: [] })).filter((piece) => !isEmptyGrant(piece));
            if (affected.length === 0) {
                return [];
            }
            const what = formatGrant(grant, allRequests.ports);
            const text = policy.action === "CUSTOM"
                ? `${policyName(policy)} rule ${rule} (CUSTOM${policy.provider ? `, provider ${policy.provider}` : ""}) lets its external authorizer decide ${what}`
                : `${policyName(policy)} rule ${rule} denies ${what}`;
            return [{ ports: grantPorts(affected), text }];
        });
        return { grants, notes };
    }
}

/** An External range's name (`a.b.c.d-e.f.g.h[External]`, `x::y-x::z[External]`) as a caller: its first address. */
function externalView(name: string): CallerView {
    const address = rangeStart(name);
    return address === undefined ? {} : { address };
}
