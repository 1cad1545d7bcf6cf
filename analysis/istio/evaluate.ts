/**
 * The Istio layer over layer 3/4 connections. The sidecar of a meshed destination enforces its
 * AuthorizationPolicies on every TCP connection it receives: CUSTOM is ignored; a DENY policy
 * rule admitting the caller takes its requests away; if any ALLOW policy applies to the
 * workload, only requests an admitting ALLOW rule grants remain (an ALLOW policy without rules
 * grants nothing), otherwise all requests remain. PeerAuthentication STRICT refuses callers
 * without a sidecar. Callers without a sidecar (other workloads, External) present no identity.
 *
 * Each connection keeps its UDP and SCTP ports (the sidecar does not intercept them); its TCP
 * ports shrink to those on which some request is granted, with the grants attached. A
 * connection left with nothing is dropped. Decisions are cached per caller identity and
 * destination label set, so the cost follows label sets, not workloads.
 */
import { KubeObject } from "../manifests";
import type { Connection } from "../netpol/connection";
import { ConnectionSet } from "../netpol/ports";
import { Cluster, Workload, workloadId } from "../netpol/workloads";
import { PodDetails } from "../podDetails";
import { subtractConnections } from "../calico/connectionSets";
import { AuthorizationPolicy, isAuthorizationPolicy, parseAuthorizationPolicy, policyApplies } from "./authorization";
import { allRequests, clipGrants, Grant, grantPorts, subtractGrant } from "./grants";
import { isMeshed, PeerIdentity, peerIdentity } from "./mesh";
import { isPeerAuthentication, parsePeerAuthentication, PeerAuthentication, strictPorts } from "./peerAuthentication";

/** Which AuthorizationPolicies decided a caller's requests at a meshed destination. */
export interface AuthorizationExplanation {
    /** ALLOW policies on the destination (if none, every request not denied is allowed)... */
    readonly allowPolicies: readonly string[];
    /** ...of which those with a rule admitting the caller. */
    readonly allowedBy: readonly string[];
    /** DENY policies with a rule admitting the caller. */
    readonly deniedBy: readonly string[];
    /** The caller has no sidecar identity and PeerAuthentication STRICT refuses it on some ports. */
    readonly refusedWithoutMtls: boolean;
}

/** A connection after the Istio layer: `l7` lists the granted requests when a sidecar enforces them. */
export interface LayeredConnection extends Connection {
    readonly l7?: readonly Grant[];
}

/** A caller as the destination sees it; one object per principal, so decisions are cached by identity. */
interface Caller {
    readonly identity?: PeerIdentity;
}

/** A destination as policies see it; one object per namespace and label set. */
interface Destination {
    readonly meshed: boolean;
    readonly workload: Workload;
    /** Decisions by caller. */
    readonly decisions: Map<Caller, readonly Grant[]>;
    /** The AuthorizationPolicies that apply to it, found on first use. */
    applying?: readonly AuthorizationPolicy[];
}

interface WorkloadInfo {
    readonly caller: Caller;
    readonly destination: Destination;
}

const noIdentity: Caller = {};

export function hasIstioPolicy(objects: readonly KubeObject[]): boolean {
    return objects.some((object) => isAuthorizationPolicy(object) || isPeerAuthentication(object));
}

export class IstioLayer {
    /** By workload id: the layer 4 engines build their own Workload objects... */
    private readonly info = new Map<string, WorkloadInfo>();
    /** ...which are then remembered, so that listing flows builds no strings. */
    private readonly infoByObject = new Map<Workload, WorkloadInfo | undefined>();
    private readonly clipped = new Map<readonly Grant[], Map<ConnectionSet, { allowed: ConnectionSet; l7: Grant[] }>>();

    private constructor(
        private readonly authorization: readonly AuthorizationPolicy[],
        private readonly peerAuthentication: readonly PeerAuthentication[],
        cluster: Cluster,
        details: ReadonlyMap<string, PodDetails>,
    ) {
        const callers = new Map<string, Caller>();
        const destinations = new Map<string, Destination>();
        for (const workload of cluster.workloads) {
            const pod = details.get(workloadId(workload));
            const meshed = isMeshed(pod, cluster.namespaces.get(workload.namespace) ?? {});
            const identity = meshed ? peerIdentity(workload.namespace, pod?.serviceAccount ?? "default") : undefined;
            let caller = identity ? callers.get(identity.principal) : noIdentity;
            if (!caller) {
                caller = { identity };
                callers.set(identity!.principal, caller);
            }
            const destinationKey = JSON.stringify([meshed, workload.namespace, Object.keys(workload.labels).sort().map((key) => [key, workload.labels[key]])]);
            let destination = destinations.get(destinationKey);
            if (!destination) {
                destination = { meshed, workload, decisions: new Map() };
                destinations.set(destinationKey, destination);
            }
            this.info.set(workloadId(workload), { caller, destination });
        }
    }

    /** The layer for `objects`, or undefined when no workload is meshed (then Istio changes nothing). */
    static of(objects: readonly KubeObject[], cluster: Cluster, details: ReadonlyMap<string, PodDetails>): IstioLayer | undefined {
        const layer = new IstioLayer(
            objects.filter(isAuthorizationPolicy).map(parseAuthorizationPolicy).filter((policy): policy is AuthorizationPolicy => policy !== undefined),
            objects.filter(isPeerAuthentication).map(parsePeerAuthentication),
            cluster,
            details,
        );
        return [...layer.info.values()].some((info) => info.destination.meshed) ? layer : undefined;
    }

    private infoOf(workload: Workload): WorkloadInfo | undefined {
        if (!this.infoByObject.has(workload)) {
            this.infoByObject.set(workload, this.info.get(workloadId(workload)));
        }
        return this.infoByObject.get(workload);
    }

    /** The connection as the destination's sidecar lets it through, or undefined when nothing is left. */
    apply(connection: Connection): LayeredConnection | undefined {
        const destination = connection.dst.kind === "workload" ? this.infoOf(connection.dst.workload)?.destination : undefined;
        if (!destination?.meshed || connection.allowed.ports("TCP").isEmpty()) {
            return connection;
        }
        const caller = (connection.src.kind === "workload" ? this.infoOf(connection.src.workload)?.caller : undefined) ?? noIdentity;
        const grants = this.decide(caller, destination);
        let byConnections = this.clipped.get(grants);
        if (!byConnections) {
            byConnections = new Map();
            this.clipped.set(grants, byConnections);
        }
        let result = byConnections.get(connection.allowed);
        if (!result) {
            const l7 = clipGrants(grants, connection.allowed.ports("TCP"));
            const tcp = ConnectionSet.of("TCP", connection.allowed.ports("TCP"));
            const allowed = subtractConnections(connection.allowed, tcp).union(ConnectionSet.of("TCP", grantPorts(l7)));
            result = { allowed, l7 };
            byConnections.set(connection.allowed, result);
        }
        if (result.allowed.isEmpty()) {
            return undefined;
        }
        return { src: connection.src, dst: connection.dst, allowed: result.allowed, l7: result.l7 };
    }

    /**
     * Which policies decide what the workload named `src` may request of the one named `dst`
     * (`ns/name[Kind]`); undefined when `dst` is no meshed workload, where no sidecar decides.
     */
    explain(src: string, dst: string): AuthorizationExplanation | undefined {
        const destination = this.info.get(dst)?.destination;
        if (!destination?.meshed) {
            return undefined;
        }
        const caller = (this.info.get(src)?.caller ?? noIdentity).identity;
        const applying = this.applyingTo(destination);
        const admitting = (action: AuthorizationPolicy["action"]) => applying
            .filter((policy) => policy.action === action && policy.rules.some((rule) => rule.admits(caller)))
            .map(authorizationPolicyName);
        const { namespace, labels } = destination.workload;
        return {
            allowPolicies: applying.filter((policy) => policy.action === "ALLOW").map(authorizationPolicyName),
            allowedBy: admitting("ALLOW"),
            deniedBy: admitting("DENY"),
            refusedWithoutMtls: caller === undefined && !strictPorts(this.peerAuthentication, namespace, labels).isEmpty(),
        };
    }

    private applyingTo(destination: Destination): readonly AuthorizationPolicy[] {
        if (!destination.applying) {
            const { namespace, labels } = destination.workload;
            destination.applying = this.authorization.filter((policy) => policyApplies(policy, namespace, labels));
        }
        return destination.applying;
    }

    /** The requests `caller` may make of the destination, on any TCP port. */
    private decide(callerObject: Caller, destination: Destination): readonly Grant[] {
        let grants = destination.decisions.get(callerObject);
        if (!grants) {
            const caller = callerObject.identity;
            const { namespace, labels } = destination.workload;
            const applying = this.applyingTo(destination);
            const allowing = applying.filter((policy) => policy.action === "ALLOW");
            const admitted = (policies: readonly AuthorizationPolicy[]) =>
                policies.flatMap((policy) => policy.rules).filter((rule) => rule.admits(caller)).flatMap((rule) => rule.grants);
            let result: Grant[] = allowing.length === 0 ? [allRequests] : clipGrants(admitted(allowing), allRequests.ports);
            for (const deny of admitted(applying.filter((policy) => policy.action === "DENY"))) {
                result = subtractGrant(result, deny);
            }
            if (caller === undefined) {
                const strict = strictPorts(this.peerAuthentication, namespace, labels);
                result = result.map((grant) => ({ ...grant, ports: grant.ports.subtract(strict) }));
            }
            grants = clipGrants(result, allRequests.ports);
            destination.decisions.set(callerObject, grants);
        }
        return grants;
    }
}

function authorizationPolicyName(policy: AuthorizationPolicy): string {
    return `AuthorizationPolicy ${policy.namespace}/${policy.name}`;
}
