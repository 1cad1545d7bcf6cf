/**
 * One connection's verdict: may this source open a connection to this destination on this
 * protocol and port (and, at a meshed destination, send this request)? The question of
 * netpol-analyzer's `eval`, which takes pods and addresses; ztmesh evaluates workloads, so a
 * pod stands for the workload it belongs to (a replica for its ReplicaSet, as the flows name
 * it), an address for the pod whose `status.podIP` it is, or else for the External range
 * holding it in the pair's flow. The verdict is read off the flows `reachability` computes, so it is the listing's
 * answer by construction.
 */
import { KubeObject } from "../manifests";
import { matchesPattern } from "../istio/matching";
import type { Grant } from "../istio/grants";
import { analysedObjects, Endpoint, Flow, reachability } from "../reach";
import { clusterFromObjects, namespaceOf, Workload, workloadId, workloadIdOf } from "../netpol/workloads";
import { Address, parseAddress } from "../netpol/ipRanges";
import { Protocol } from "../netpol/ports";

/** A source or destination as given: `namespace/name` (or `namespace/name[Kind]`) of a workload or pod, or an address. */
export type PeerQuery = { readonly kind: "name"; readonly namespace: string; readonly name: string; readonly workloadKind?: string } | { readonly kind: "address"; readonly address: string };

/** An HTTP request at a meshed destination; an omitted method or path is any. */
export interface RequestQuery {
    readonly method?: string;
    readonly path?: string;
}

export interface ConnectionQuery {
    readonly src: PeerQuery;
    readonly dst: PeerQuery;
    readonly protocol: Protocol;
    /** A port number, or the name of a container port of the destination. */
    readonly port: string;
    readonly request?: RequestQuery;
}

/** What a queried peer is in the analysis. */
export interface ResolvedPeer {
    /**
     * The analyzer's name: `namespace/name[Kind]`, or for an address the External range holding
     * it in the pair's flow (the listing merges a pair's adjacent ranges), `a.b.c.d[External]`
     * when the pair has none.
     */
    readonly name: string;
    readonly workload?: Workload;
    readonly address?: Address;
    /** How the query was mapped, when it names something else than the analyzer does (a pod of a workload, an address). */
    readonly via?: string;
}

export interface Verdict {
    readonly src: ResolvedPeer;
    readonly dst: ResolvedPeer;
    /** The destination port as a number; undefined when a named port is not declared by the destination. */
    readonly port?: number;
    /** Layer 3/4: the connection is allowed. */
    readonly connection: boolean;
    /** The allowed flow of the pair, on whatever ports; undefined when the pair has none. */
    readonly flow?: Flow;
    /** At a meshed destination, with a request asked for: the grants that admit it unconditionally, and those only under request conditions or for some hosts. */
    readonly request?: { readonly admittedBy: readonly Grant[]; readonly conditionallyBy: readonly Grant[] };
    readonly allowed: boolean;
}

/** A peer that names nothing in the input, or names it ambiguously: the message says which and how to fix it. */
export class PeerError extends Error {}

/** The verdict on `query` under the policies of `objects`. Throws PeerError on a peer the input does not hold. */
export function evaluateConnection(objects: readonly KubeObject[], query: ConnectionQuery, flows: readonly Flow[] = reachability(objects)): Verdict {
    // As reachability sees them: a gateway Deployment Istio creates, or a waypoint, is a peer too.
    const analysed = analysedObjects(objects);
    const workloads = clusterFromObjects(analysed).workloads;
    const src = resolvePeer(analysed, workloads, query.src, "source");
    const dst = resolvePeer(analysed, workloads, query.dst, "destination");
    if (src.workload === undefined && dst.workload === undefined) {
        throw new PeerError(`${describeQuery(query.src)} and ${describeQuery(query.dst)} are both outside the cluster; give a workload or pod on one side`);
    }
    const flow = flows.find((candidate) => holds(src, candidate.src) && holds(dst, candidate.dst));
    const named = (peer: ResolvedPeer, given: PeerQuery, endpoint: Endpoint | undefined) => (endpoint && peer.address !== undefined ? { ...peer, name: endpoint.name, via: `${describeQuery(given)} lies in ${endpoint.name}` } : peer);
    return verdictOf(query, named(src, query.src, flow?.src), named(dst, query.dst, flow?.dst), flow);
}

function verdictOf(query: ConnectionQuery, src: ResolvedPeer, dst: ResolvedPeer, flow: Flow | undefined): Verdict {
    const port = portNumber(query.port, query.protocol, dst.workload);
    const connection = flow !== undefined && port !== undefined && flow.allowed.ports(query.protocol).contains(port);
    // Without a proxy enforcing layer 7 (flow.l7 absent), every request the connection carries passes.
    const request = query.request !== undefined && flow?.l7 !== undefined && port !== undefined ? admittingGrants(flow.l7, port, query.request) : undefined;
    const allowed = connection && (request === undefined || request.admittedBy.length > 0);
    return { src, dst, port, connection, ...(flow ? { flow } : {}), ...(request ? { request } : {}), allowed };
}

/** `namespace/name`, `namespace/name[Kind]` or an address, as the user wrote it. */
export function describeQuery(peer: PeerQuery): string {
    return peer.kind === "address" ? peer.address : `${peer.namespace}/${peer.name}${peer.workloadKind ? `[${peer.workloadKind}]` : ""}`;
}

function resolvePeer(objects: readonly KubeObject[], workloads: readonly Workload[], peer: PeerQuery, side: string): ResolvedPeer {
    return peer.kind === "address" ? resolveAddress(objects, workloads, peer.address, side) : resolveName(objects, workloads, peer, side);
}

/** A workload of that name (of the kind given, if any), else a Pod of that name: its workload. */
function resolveName(objects: readonly KubeObject[], workloads: readonly Workload[], peer: Extract<PeerQuery, { kind: "name" }>, side: string): ResolvedPeer {
    const named = workloads.filter((workload) => workload.namespace === peer.namespace && workload.name === peer.name && (peer.workloadKind === undefined || workload.kind === peer.workloadKind));
    if (named.length === 1) {
        return { name: workloadId(named[0]), workload: named[0] };
    }
    if (named.length > 1) {
        throw new PeerError(`${side} ${describeQuery(peer)} names ${named.length} workloads (${named.map(workloadId).join(", ")}); add the kind, e.g. ${workloadId(named[0])}`);
    }
    const pod = peer.workloadKind === undefined || peer.workloadKind === "Pod"
        ? objects.find((object) => object.kind === "Pod" && namespaceOf(object) === peer.namespace && object.metadata?.name === peer.name)
        : undefined;
    const workload = pod && byId(workloads, workloadIdOf(pod));
    if (workload === undefined) {
        throw new PeerError(`${side} ${describeQuery(peer)}: no workload or pod of that namespace and name in the manifests read`);
    }
    return { name: workloadId(workload), workload, via: `pod ${describeQuery(peer)} belongs to ${workloadId(workload)}` };
}

/** A pod's address (status.podIP, status.podIPs) names its workload; any other address the External range holding it. */
function resolveAddress(objects: readonly KubeObject[], workloads: readonly Workload[], text: string, side: string): ResolvedPeer {
    const address = parseAddress(text);
    if (address === undefined) {
        throw new PeerError(`${side} ${JSON.stringify(text)} is no IPv4 or IPv6 address`);
    }
    const pod = objects.find((object) => object.kind === "Pod" && podAddresses(object).some((podIp) => parseAddress(podIp) === address));
    const workload = pod && byId(workloads, workloadIdOf(pod));
    if (pod && workload) {
        return { name: workloadId(workload), workload, via: `${text} is the address of pod ${namespaceOf(pod)}/${pod.metadata?.name} of ${workloadId(workload)}` };
    }
    return { name: `${text}[External]`, address, via: `${text} is outside the cluster, and no connection of the pair reaches it` };
}

/** Whether a flow's endpoint is the peer: the workload, or an External range holding the address. */
function holds(peer: ResolvedPeer, endpoint: Endpoint): boolean {
    if (peer.address === undefined) {
        return endpoint.name === peer.name;
    }
    const address = peer.address;
    return endpoint.kind === "external" && typeof endpoint.range.start === typeof address && endpoint.range.start <= address && address <= endpoint.range.end;
}

/** A pod's addresses: `status.podIP` and those of `status.podIPs`. */
export function podAddresses(pod: KubeObject): string[] {
    const status = (pod as { status?: { podIP?: unknown; podIPs?: { ip?: unknown }[] } }).status;
    const listed = Array.isArray(status?.podIPs) ? status.podIPs.map((entry) => entry?.ip) : [];
    return [status?.podIP, ...listed].filter((ip): ip is string => typeof ip === "string");
}

function byId(workloads: readonly Workload[], id: string | undefined): Workload | undefined {
    return id === undefined ? undefined : workloads.find((workload) => workloadId(workload) === id);
}

/** A port number, or a named port of the destination's containers on `protocol` (none outside the cluster). */
function portNumber(port: string, protocol: Protocol, destination: Workload | undefined): number | undefined {
    if (/^[0-9]+$/.test(port)) {
        return Number(port);
    }
    return destination?.containerPorts.find((declared) => declared.name === port && declared.protocol === protocol)?.port;
}

/** The grants on `port` whose methods and paths hold the request; those under `when` conditions or for some hosts only admit it conditionally. */
function admittingGrants(grants: readonly Grant[], port: number, request: RequestQuery): NonNullable<Verdict["request"]> {
    const matching = grants.filter((grant) => grant.ports.contains(port)
        && (request.method === undefined || (grant.methods.include === "*" ? !grant.methods.exclude.includes(request.method) : grant.methods.include.includes(request.method)))
        && (request.path === undefined || ((grant.paths.include === "*" || grant.paths.include.some((pattern) => matchesPattern(pattern, request.path!))) && !grant.paths.exclude.some((pattern) => matchesPattern(pattern, request.path!)))));
    const unconditional = (grant: Grant) => grant.when.length === 0 && grant.hosts.include === "*" && grant.hosts.exclude.length === 0;
    return { admittedBy: matching.filter(unconditional), conditionallyBy: matching.filter((grant) => !unconditional(grant)) };
}
