import { WorkloadIdentity, defaultTrustDomain, principalOf } from "../identity";
import { MeshServiceArgs } from "./args";
import { podPort } from "./endpoint";
import { admittedCallers } from "./intent";
import { MeshEndpoint, ServicePort } from "./types";

interface Operation {
    ports: string[];
    methods?: string[];
    paths?: string[];
}

export interface AuthorizationRule {
    from: { source: { principals: string[] } }[];
    to: { operation: Operation }[];
}

/** How a policy's enforcement point numbers a service port: a sidecar or ztunnel sees the container port, a waypoint the Service port. */
export type PolicyPortNumber = (port: ServicePort) => number;

function rule(identity: WorkloadIdentity, trustDomain: string, ports: readonly ServicePort[], portNumber: PolicyPortNumber, methods?: string[], paths?: string[]): AuthorizationRule {
    const operation: Operation = { ports: ports.map((port) => String(portNumber(port))) };
    if (methods?.length) {
        operation.methods = [...methods];
    }
    if (paths?.length) {
        operation.paths = [...paths];
    }
    return { from: [{ source: { principals: [principalOf(identity, trustDomain)] } }], to: [{ operation }] };
}

/**
 * The Layer 7 half of the same declaration: an ALLOW AuthorizationPolicy with one rule per
 * caller (its SPIFFE principal, the rule's ports, methods and paths), one for the gateway on the
 * public paths, and one for monitoring on metrics ports. With the namespace's allow-nothing
 * policy, anything not listed is refused with 403 — even from a pod the NetworkPolicy admits.
 * The ports are container ports, as the destination's sidecar sees them (`portNumber`: see
 * `waypointAuthorizationPolicySpec` for the waypoint's).
 */
export function authorizationPolicySpec(endpoint: MeshEndpoint, args: MeshServiceArgs, portNumber: PolicyPortNumber = podPort) {
    const trustDomain = args.trustDomain ?? defaultTrustDomain;
    const rules = admittedCallers(endpoint, args).map((caller) => rule(caller.identity, trustDomain, caller.ports, portNumber, caller.methods, caller.paths));
    return {
        selector: { matchLabels: { ...endpoint.podLabels } },
        action: "ALLOW",
        rules,
    };
}
