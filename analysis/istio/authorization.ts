/**
 * Istio AuthorizationPolicy objects compiled for evaluation at a sidecar. Evaluated: `action`
 * (CUSTOM and AUDIT are ignored), `selector.matchLabels`, policies in the root namespace
 * `istio-system` applying mesh-wide, `rules[].from[].source` by `principals`, `namespaces`
 * and their `not*` forms, and `rules[].to[].operation` by `ports`, `methods`, `paths` and their
 * `not*` forms. Not evaluated (taken to hold): `when` conditions, `hosts`, `ipBlocks`,
 * `remoteIpBlocks`, `requestPrincipals` and their `not*` forms. Policies with `targetRef(s)`
 * attach to gateways and waypoints, not to sidecars, and are left out.
 */
import { KubeObject } from "../manifests";
import { IntervalSet } from "../netpol/intervals";
import { allPorts } from "../netpol/ports";
import { describeObject, namespaceOf } from "../netpol/workloads";
import { Grant, methodSet, pathSet } from "./grants";
import { matchesPattern } from "./matching";
import { PeerIdentity } from "./mesh";

export const rootNamespace = "istio-system";

export interface AuthorizationRule {
    /** Whether the rule's `from` admits the caller; absent `from` admits everyone. */
    readonly admits: (caller: PeerIdentity | undefined) => boolean;
    /** The requests the rule's `to` covers; absent `to` covers all. */
    readonly grants: readonly Grant[];
}

export interface AuthorizationPolicy {
    readonly namespace: string;
    readonly name: string;
    readonly action: "ALLOW" | "DENY";
    /** Labels the workload must carry; absent selects every workload in scope. */
    readonly selector?: Readonly<Record<string, string>>;
    readonly rules: readonly AuthorizationRule[];
}

interface Source { principals?: unknown; notPrincipals?: unknown; namespaces?: unknown; notNamespaces?: unknown }
interface Operation { ports?: unknown; notPorts?: unknown; methods?: unknown; notMethods?: unknown; paths?: unknown; notPaths?: unknown }
interface Rule { from?: { source?: Source }[]; to?: { operation?: Operation }[] }
interface Spec { action?: unknown; selector?: { matchLabels?: Record<string, unknown> }; rules?: Rule[]; targetRef?: unknown; targetRefs?: unknown }

export function isAuthorizationPolicy(object: KubeObject): boolean {
    return object.kind === "AuthorizationPolicy" && String(object.apiVersion ?? "security.istio.io/").startsWith("security.istio.io/");
}

/** The policy compiled, or undefined for one that sidecars do not enforce (CUSTOM, AUDIT, targetRefs). Errors name the policy. */
export function parseAuthorizationPolicy(object: KubeObject): AuthorizationPolicy | undefined {
    try {
        return compile(object);
    } catch (error) {
        throw new Error(`${describeObject(object)}: ${(error as Error).message}`);
    }
}

function compile(object: KubeObject): AuthorizationPolicy | undefined {
    const spec = (object.spec ?? {}) as Spec;
    const action = spec.action ?? "ALLOW";
    if (!["ALLOW", "DENY", "CUSTOM", "AUDIT"].includes(String(action))) {
        throw new Error(`action ${JSON.stringify(action)} is not one of ALLOW, DENY, CUSTOM, AUDIT`);
    }
    if (action === "CUSTOM" || action === "AUDIT" || spec.targetRef !== undefined || spec.targetRefs !== undefined) {
        return undefined;
    }
    const matchLabels = spec.selector?.matchLabels;
    return {
        namespace: namespaceOf(object),
        name: object.metadata?.name ?? "",
        action: action as "ALLOW" | "DENY",
        selector: matchLabels === undefined ? undefined : Object.fromEntries(Object.entries(matchLabels).map(([key, value]) => [key, String(value)])),
        rules: (spec.rules ?? []).map((rule, index) => {
            try {
                return compileRule(rule ?? {});
            } catch (error) {
                throw new Error(`rule ${index + 1}: ${(error as Error).message}`);
            }
        }),
    };
}

function compileRule(rule: Rule): AuthorizationRule {
    const sources = (rule.from ?? []).map((from) => compileSource(from.source ?? {}));
    const grants = (rule.to ?? []).map((to) => compileOperation(to.operation ?? {}));
    return {
        admits: sources.length === 0 ? () => true : (caller) => sources.some((admits) => admits(caller)),
        grants: rule.to === undefined || rule.to.length === 0 ? [{ ports: allPorts, methods: methodSet(undefined, undefined), paths: pathSet(undefined, undefined) }] : grants,
    };
}

/** Fields are ANDed; a caller without a sidecar has no principal or namespace, so positive matches fail and negative ones pass. */
function compileSource(source: Source): (caller: PeerIdentity | undefined) => boolean {
    const principals = list(source.principals, "principals");
    const notPrincipals = list(source.notPrincipals, "notPrincipals");
    const namespaces = list(source.namespaces, "namespaces");
    const notNamespaces = list(source.notNamespaces, "notNamespaces");
    const any = (patterns: readonly string[], value: string | undefined) => value !== undefined && patterns.some((pattern) => matchesPattern(pattern, value));
    return (caller) =>
        (principals === undefined || any(principals, caller?.principal))
        && (namespaces === undefined || any(namespaces, caller?.namespace))
        && !(notPrincipals !== undefined && any(notPrincipals, caller?.principal))
        && !(notNamespaces !== undefined && any(notNamespaces, caller?.namespace));
}

function compileOperation(operation: Operation): Grant {
    const ports = list(operation.ports, "ports");
    const notPorts = list(operation.notPorts, "notPorts");
    const included = ports === undefined ? allPorts : portSet(ports);
    return {
        ports: notPorts === undefined ? included : included.subtract(portSet(notPorts)),
        methods: methodSet(list(operation.methods, "methods"), list(operation.notMethods, "notMethods")),
        paths: pathSet(list(operation.paths, "paths"), list(operation.notPaths, "notPaths")),
    };
}

function portSet(ports: readonly string[]): IntervalSet {
    return ports.reduce((set, port) => {
        const number = Number(port);
        if (!Number.isInteger(number) || number < 1 || number > 65535) {
            throw new Error(`port ${JSON.stringify(port)} is not a port number`);
        }
        return set.union(IntervalSet.range(number, number));
    }, IntervalSet.empty);
}

/** A list of strings (numbers, as YAML may read ports, are turned into strings); absent or empty means unset. */
function list(value: unknown, field: string): string[] | undefined {
    if (value === undefined || value === null) {
        return undefined;
    }
    if (!Array.isArray(value) || value.some((item) => typeof item !== "string" && typeof item !== "number")) {
        throw new Error(`${field} is not a list of strings`);
    }
    return value.length === 0 ? undefined : value.map(String);
}

/** Whether the policy applies to a workload in `namespace` with `labels`. */
export function policyApplies(policy: AuthorizationPolicy, namespace: string, labels: Readonly<Record<string, string>>): boolean {
    return (policy.namespace === rootNamespace || policy.namespace === namespace)
        && Object.entries(policy.selector ?? {}).every(([key, value]) => labels[key] === value);
}
