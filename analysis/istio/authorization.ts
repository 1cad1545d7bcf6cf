/**
 * Istio AuthorizationPolicy objects compiled for evaluation at a proxy (sidecar or gateway).
 *
 * Each rule, given a caller, yields the requests it matches as grants. What the analysis
 * knows decides statically:
 *   - `from.source`: `principals`, `namespaces`, `serviceAccounts` (`name` or
 *     `namespace/name`, the policy's namespace where none is given), `trustDomains` (the
 *     caller's mTLS identity; a plain-text caller has none, so a positive match fails and a
 *     `not*` match holds, as in Istio),
 *     `ipBlocks`, `remoteIpBlocks` (the caller's address: External ranges are cut at every
 *     block boundary, so each lies wholly inside or outside a block; a pod's address is not in
 *     the manifests and is taken to lie outside every block, as pod networks are not what
 *     these fields name) and their `not*` forms;
 *   - `to.operation`: `ports`, `methods`, `paths`, `hosts` and their `not*` forms (methods,
 *     paths and hosts are dimensions of the grants);
 *   - `when` on `source.ip`, `remote.ip`, `source.namespace`, `source.principal`,
 *     `source.serviceAccount`, `source.trustDomain` (as above)
 *     and `destination.port` (it narrows the grant's ports).
 * What depends on the request and cannot be known from manifests — `requestPrincipals`
 * (`request.auth.principal`), `when` on `request.headers[...]`, `request.auth.*`,
 * `destination.ip`, `connection.sni`, `experimental.*` — is carried on the grant as a
 * condition (`Grant.when`): an ALLOW grants those requests only under it, and a DENY under it
 * denies nothing for certain (evaluate.ts turns it into a note).
 *
 * `selector.matchLabels` and the root namespace (MeshConfig `rootNamespace`, default
 * `istio-system`) decide where a policy applies;
 * `targetRefs` to a Gateway API `Gateway` apply it to that gateway's pods; other `targetRefs`
 * (Services, for waypoints) are left out.
 */
import { KubeObject } from "../manifests";
import { IntervalSet } from "../netpol/intervals";
import { Address, addressBlocks, addressesContain, AddressSet } from "../netpol/ipRanges";
import { allPorts } from "../netpol/ports";
import { describeObject, namespaceOf } from "../netpol/workloads";
import { anyValue, Grant, hostSet, isEmptyGrant, methodSet, pathSet } from "./grants";
import { matchesPattern } from "./matching";
import { isDryRun } from "./dryRun";
import { PeerIdentity } from "./mesh";

export const rootNamespace = "istio-system";

export type Action = "ALLOW" | "DENY" | "CUSTOM" | "AUDIT";

/** A caller as the destination's proxy sees it. */
export interface CallerView {
    /** The mTLS identity; absent for plain-text callers (no sidecar, or outside the cluster). */
    readonly identity?: PeerIdentity;
    /** An address of the caller's External range; absent for pods, whose addresses are not known. */
    readonly address?: Address;
}

export interface AuthorizationRule {
    /** 1-based, as the explanation names it. */
    readonly index: number;
    /** The requests the rule matches from `caller`: empty when it cannot match; `when` holds the undecidable conditions. */
    readonly matches: (caller: CallerView) => readonly Grant[];
}

export interface AuthorizationPolicy {
    readonly namespace: string;
    readonly name: string;
    readonly action: Action;
    /** `provider.name` of a CUSTOM policy. */
    readonly provider?: string;
    /** Labels the workload must carry; absent selects every workload in scope. */
    readonly selector?: Readonly<Record<string, string>>;
    readonly rules: readonly AuthorizationRule[];
    /** Every address block named, for cutting External into ranges. */
    readonly addressBlocks: readonly AddressSet[];
}

interface Source {
    principals?: unknown; notPrincipals?: unknown; namespaces?: unknown; notNamespaces?: unknown;
    ipBlocks?: unknown; notIpBlocks?: unknown; remoteIpBlocks?: unknown; notRemoteIpBlocks?: unknown;
    requestPrincipals?: unknown; notRequestPrincipals?: unknown;
    serviceAccounts?: unknown; notServiceAccounts?: unknown; trustDomains?: unknown; notTrustDomains?: unknown;
}
interface Operation { ports?: unknown; notPorts?: unknown; methods?: unknown; notMethods?: unknown; paths?: unknown; notPaths?: unknown; hosts?: unknown; notHosts?: unknown }
interface Condition { key?: unknown; values?: unknown; notValues?: unknown }
interface Rule { from?: { source?: Source | null }[] | null; to?: { operation?: Operation | null }[] | null; when?: Condition[] | null }
interface TargetRef { group?: unknown; kind?: unknown; name?: unknown }
interface Spec {
    action?: unknown; provider?: { name?: unknown }; selector?: { matchLabels?: Record<string, unknown> }; rules?: Rule[];
    targetRef?: TargetRef; targetRefs?: TargetRef[];
}

/** An AuthorizationPolicy the proxies enforce: a dry run (dryRun.ts) only logs what it would decide. */
export function isEnforcedAuthorizationPolicy(object: KubeObject): boolean {
    return object.kind === "AuthorizationPolicy" && String(object.apiVersion ?? "security.istio.io/").startsWith("security.istio.io/") && !isDryRun(object);
}

/** The policy compiled, or undefined for one no sidecar or gateway enforces (targetRefs to Services). Errors name the policy. */
export function parseAuthorizationPolicy(object: KubeObject): AuthorizationPolicy | undefined {
    try {
        return compile(object);
    } catch (error) {
        throw new Error(`${describeObject(object)}: ${(error as Error).message}`);
    }
}

/** `AuthorizationPolicy ns/name`, as explanations and notes name it. */
export function policyName(policy: AuthorizationPolicy): string {
    return `AuthorizationPolicy ${policy.namespace}/${policy.name}`;
}

/** Label key by which Istio's Gateway API controller marks the pods of a Gateway. */
const gatewayNameLabel = "gateway.networking.k8s.io/gateway-name";

function compile(object: KubeObject): AuthorizationPolicy | undefined {
    const spec = (object.spec ?? {}) as Spec;
    const action = spec.action ?? "ALLOW";
    if (!["ALLOW", "DENY", "CUSTOM", "AUDIT"].includes(String(action))) {
        throw new Error(`action ${JSON.stringify(action)} is not one of ALLOW, DENY, CUSTOM, AUDIT`);
    }
    const targetRefs = [...(spec.targetRef ? [spec.targetRef] : []), ...(spec.targetRefs ?? [])];
    const gateways = targetRefs.filter((ref) => ref.kind === "Gateway" && ref.group === "gateway.networking.k8s.io");
    if (targetRefs.length > 0 && gateways.length !== targetRefs.length) {
        return undefined;
    }
    if (gateways.length > 1) {
        // One compiled policy has one selector; Istio applies it to each Gateway named.
        throw new Error("targetRefs naming several Gateways are not supported; write one policy per Gateway");
    }
    const matchLabels = gateways.length === 1 ? { [gatewayNameLabel]: gateways[0].name } : spec.selector?.matchLabels;
    const addresses: AddressSet[] = [];
    return {
        namespace: namespaceOf(object),
        name: object.metadata?.name ?? "",
        action: action as Action,
        ...(action === "CUSTOM" && typeof spec.provider?.name === "string" ? { provider: spec.provider.name } : {}),
        selector: matchLabels === undefined ? undefined : Object.fromEntries(Object.entries(matchLabels).map(([key, value]) => [key, String(value)])),
        rules: (spec.rules ?? []).map((rule, index) => {
            try {
                return compileRule(rule ?? {}, index + 1, addresses, namespaceOf(object));
            } catch (error) {
                throw new Error(`rule ${index + 1}: ${(error as Error).message}`);
            }
        }),
        addressBlocks: addresses,
    };
}

/** Conditions that must all hold for a caller, or false when one cannot. */
type Alternative = readonly string[] | false;

/** `policyNamespace`: where a service account named without its namespace lives. */
function compileRule(rule: Rule, index: number, addresses: AddressSet[], policyNamespace: string): AuthorizationRule {
    const sources = (rule.from ?? []).map((from, i) => compileSource(present(from?.source, `from[${i}].source`), addresses, policyNamespace));
    const operations = rule.to === undefined || rule.to === null || rule.to.length === 0 ? [{ ports: allPorts, methods: anyValue, paths: anyValue, hosts: anyValue }]
        : rule.to.map((to, i) => compileOperation(present(to?.operation, `to[${i}].operation`)));
    const conditions = (rule.when ?? []).map((condition, i) => {
        try {
            return compileCondition(condition ?? {}, addresses, policyNamespace);
        } catch (error) {
            throw new Error(`when[${i}]: ${(error as Error).message}`);
        }
    });
    return {
        index,
        matches: (caller) => {
            const alternatives = sources.length === 0 ? [[]] : sources.map((source) => source(caller)).filter((a): a is readonly string[] => a !== false);
            let ports = allPorts;
            const required: string[] = [];
            for (const condition of conditions) {
                const result = condition(caller);
                if (result === false) {
                    return [];
                }
                ports = ports.intersect(result.ports);
                required.push(...result.conditions);
            }
            // An unconditional alternative makes the conditional ones redundant.
            const chosen = alternatives.some((a) => a.length === 0) ? [[]] : alternatives;
            return chosen.flatMap((alternative) => operations.map((operation): Grant => ({
                ...operation,
                ports: operation.ports.intersect(ports),
                when: [...new Set([...alternative, ...required])].sort(),
            }))).filter((grant) => !isEmptyGrant(grant));
        },
    };
}

/** Fields are ANDed; undecidable ones (`requestPrincipals`) become conditions. */
function compileSource(source: Source, addresses: AddressSet[], policyNamespace: string): (caller: CallerView) => Alternative {
    const principals = list(source.principals, "principals");
    const notPrincipals = list(source.notPrincipals, "notPrincipals");
    const namespaces = list(source.namespaces, "namespaces");
    const notNamespaces = list(source.notNamespaces, "notNamespaces");
    const serviceAccounts = list(source.serviceAccounts, "serviceAccounts");
    const notServiceAccounts = list(source.notServiceAccounts, "notServiceAccounts");
    const trustDomains = list(source.trustDomains, "trustDomains");
    const notTrustDomains = list(source.notTrustDomains, "notTrustDomains");
    const blocks = (field: keyof Source) => {
        const texts = list(source[field], field);
        const set = texts === undefined ? undefined : addressBlocks(texts, field);
        if (set) {
            addresses.push(set);
        }
        return set;
    };
    // The remote address is the caller's own unless a trusted proxy in front reports another
    // (X-Forwarded-For, PROXY protocol): for the callers analysed here, the same address.
    const inAddresses = [blocks("ipBlocks"), blocks("remoteIpBlocks")];
    const outAddresses = [blocks("notIpBlocks"), blocks("notRemoteIpBlocks")];
    const requestPrincipals = list(source.requestPrincipals, "requestPrincipals");
    const notRequestPrincipals = list(source.notRequestPrincipals, "notRequestPrincipals");
    const conditions = [
        ...(requestPrincipals ? [conditionText("request.auth.principal", "in", requestPrincipals)] : []),
        ...(notRequestPrincipals ? [conditionText("request.auth.principal", "not in", notRequestPrincipals)] : []),
    ];
    return (caller) => {
        const holds = (principals === undefined || anyMatch(principals, caller.identity?.principal))
            && (namespaces === undefined || anyMatch(namespaces, caller.identity?.namespace))
            && !(notPrincipals !== undefined && anyMatch(notPrincipals, caller.identity?.principal))
            && !(notNamespaces !== undefined && anyMatch(notNamespaces, caller.identity?.namespace))
            && (serviceAccounts === undefined || isServiceAccount(serviceAccounts, policyNamespace, caller.identity))
            && !(notServiceAccounts !== undefined && isServiceAccount(notServiceAccounts, policyNamespace, caller.identity))
            && (trustDomains === undefined || anyMatch(trustDomains, caller.identity?.trustDomain))
            && !(notTrustDomains !== undefined && anyMatch(notTrustDomains, caller.identity?.trustDomain))
            && inAddresses.every((set) => set === undefined || inBlock(set, caller))
            && outAddresses.every((set) => set === undefined || !inBlock(set, caller));
        return holds ? conditions : false;
    };
}

function compileOperation(operation: Operation): Omit<Grant, "when"> {
    const ports = list(operation.ports, "ports");
    const notPorts = list(operation.notPorts, "notPorts");
    const included = ports === undefined ? allPorts : portSet(ports, "ports");
    return {
        ports: notPorts === undefined ? included : included.subtract(portSet(notPorts, "notPorts")),
        methods: methodSet(list(operation.methods, "methods"), list(operation.notMethods, "notMethods")),
        paths: pathSet(list(operation.paths, "paths"), list(operation.notPaths, "notPaths")),
        hosts: hostSet(list(operation.hosts, "hosts"), list(operation.notHosts, "notHosts")),
    };
}

/**
 * Istio's own validation (pkg/config/validation, ValidateAuthorizationPolicy): a `source` or
 * `operation` must be given and set some field; an empty list counts as unset.
 */
function present<T extends object>(value: T | null | undefined, field: string): T {
    if (value === undefined || value === null) {
        throw new Error(`${field} must not be null (Istio refuses the policy)`);
    }
    const set = Object.values(value).some((item) => item !== undefined && item !== null && !(Array.isArray(item) && item.length === 0));
    if (!set) {
        throw new Error(`${field} must not be empty (Istio refuses the policy)`);
    }
    return value;
}

/** `when` keys Istio supports whose value the manifests decide. */
const staticKeys = ["source.ip", "remote.ip", "source.namespace", "source.principal", "source.serviceAccount", "source.trustDomain", "destination.port"];
/** `when` keys Istio supports whose value depends on the request (or on addresses not in the manifests). */
const requestKeys = [/^request\.headers\[[^\]]+\]$/, /^request\.auth\.(principal|audiences|presenter)$/, /^request\.auth\.claims\[.+\]$/, /^destination\.ip$/, /^connection\.sni$/, /^experimental\.envoy\.filters\..+/];

/** A `when` condition: false, or the ports it leaves and the conditions it adds. */
function compileCondition(condition: Condition, addresses: AddressSet[], policyNamespace: string): (caller: CallerView) => false | { ports: IntervalSet; conditions: readonly string[] } {
    const key = condition.key;
    if (typeof key !== "string" || key === "") {
        throw new Error("key is missing");
    }
    const values = list(condition.values, "values");
    const notValues = list(condition.notValues, "notValues");
    if (values === undefined && notValues === undefined) {
        throw new Error(`${key}: at least one of values or notValues must be set`);
    }
    if (requestKeys.some((pattern) => pattern.test(key))) {
        const conditions = [...(values ? [conditionText(key, "in", values)] : []), ...(notValues ? [conditionText(key, "not in", notValues)] : [])];
        return () => ({ ports: allPorts, conditions });
    }
    if (!staticKeys.includes(key)) {
        throw new Error(`key ${JSON.stringify(key)} is not an attribute AuthorizationPolicy supports`);
    }
    const unconditional = { ports: allPorts, conditions: [] };
    if (key === "destination.port") {
        const ports = (values ? portSet(values, "values") : allPorts).subtract(notValues ? portSet(notValues, "notValues") : IntervalSet.empty);
        return () => ({ ports, conditions: [] });
    }
    if (key === "source.ip" || key === "remote.ip") {
        const inside = values && addressBlocks(values, "values");
        const outside = notValues && addressBlocks(notValues, "notValues");
        addresses.push(...[inside, outside].filter((set): set is AddressSet => set !== undefined));
        return (caller) => ((inside === undefined || inBlock(inside, caller)) && !(outside !== undefined && inBlock(outside, caller)) ? unconditional : false);
    }
    if (key === "source.serviceAccount") {
        return (caller) => ((values === undefined || isServiceAccount(values, policyNamespace, caller.identity))
            && !(notValues !== undefined && isServiceAccount(notValues, policyNamespace, caller.identity)) ? unconditional : false);
    }
    const value = (caller: CallerView) => (key === "source.namespace" ? caller.identity?.namespace
        : key === "source.trustDomain" ? caller.identity?.trustDomain : caller.identity?.principal);
    return (caller) => ((values === undefined || anyMatch(values, value(caller))) && !(notValues !== undefined && anyMatch(notValues, value(caller))) ? unconditional : false);
}

function conditionText(key: string, relation: "in" | "not in", values: readonly string[]): string {
    return `${key} ${relation} [${values.join(", ")}]`;
}

/** Istio compares a plain-text caller's (absent) identity as the empty string, which no pattern matches. */
function anyMatch(patterns: readonly string[], value: string | undefined): boolean {
    return value !== undefined && patterns.some((pattern) => matchesPattern(pattern, value));
}

/**
 * Whether the caller runs as one of `accounts` (`name`, in the policy's namespace, or
 * `namespace/name`; no wildcards): istiod matches them against the peer's SPIFFE identity
 * (pilot/pkg/security/authz/model/generator.go, serviceAccountRegex). A plain-text caller has none.
 */
function isServiceAccount(accounts: readonly string[], policyNamespace: string, identity: PeerIdentity | undefined): boolean {
    return identity !== undefined && accounts.some((account) => {
        const [namespace, name] = account.includes("/") ? account.split("/") : [policyNamespace, account];
        return identity.namespace === namespace && identity.serviceAccount === name;
    });
}

/** An address block holds addresses of its family only: an IPv4 block never holds an IPv6 caller, nor the reverse. */
function inBlock(set: AddressSet, caller: CallerView): boolean {
    return caller.address !== undefined && addressesContain(set, caller.address);
}

/** Port numbers; istiod accepts 0 (security.ValidatePorts), which no connection uses, so it adds no port. */
function portSet(ports: readonly string[], field: string): IntervalSet {
    return ports.reduce((set, port) => {
        const number = Number(port);
        if (!Number.isInteger(number) || number < 0 || number > 65535) {
            throw new Error(`${field}: ${JSON.stringify(port)} is not a port number`);
        }
        return number === 0 ? set : set.union(IntervalSet.range(number, number));
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

/** Whether the policy applies to a workload in `namespace` with `labels`; policies in `root` (MeshConfig rootNamespace) apply mesh-wide. */
export function policyApplies(policy: AuthorizationPolicy, namespace: string, labels: Readonly<Record<string, string>>, root = rootNamespace): boolean {
    return (policy.namespace === root || policy.namespace === namespace)
        && Object.entries(policy.selector ?? {}).every(([key, value]) => labels[key] === value);
}
