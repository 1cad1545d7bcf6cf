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

function rule(identity: WorkloadIdentity, trustDomain: string, ports: readonly ServicePort[], methods?: string[], paths?: string[]): AuthorizationRule {
    const operation: Operation = { ports: ports.map((port) => String(podPort(port))) };
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
 */
export function authorizationPolicySpec(endpoint: MeshEndpoint, args: MeshServiceArgs) {
    const trustDomain = args.trustDomain ?? defaultTrustDomain;
    const rules = admittedCallers(endpoint, args).map((caller) => rule(caller.identity, trustDomain, caller.ports, caller.methods, caller.paths));
    return {
        selector: { matchLabels: { ...endpoint.podLabels } },
        action: "ALLOW",
        rules,
    };
}
