/**
 * Calico GlobalNetworkPolicy and NetworkPolicy objects (API groups `projectcalico.org/v3` and
 * `crd.projectcalico.org/v1`) compiled into the tier model. Only the `default` tier is
 * evaluated: a policy in any other tier is an error, not silently ignored.
 */
import { matches, parseSelector, SelectorNode } from "../calicoSelector";
import { KubeObject } from "../manifests";
import { describeObject, namespaceOf } from "../netpol/workloads";
import { compileEntity, EntityRule } from "./entity";
import { compileConnections, RuleProtocol } from "./rulePorts";
import { TierPolicy, TierRule } from "./model";
import { calicoEntityKeys } from "./peerKeys";

const calicoGroups = new Set(["projectcalico.org", "crd.projectcalico.org"]);

function apiGroup(object: KubeObject): string {
    const apiVersion = typeof object.apiVersion === "string" ? object.apiVersion : "";
    return apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "";
}

/** Calico's GlobalNetworkPolicy, or a NetworkPolicy of a Calico API group (a Kubernetes one has group `networking.k8s.io`). */
export function isCalicoPolicy(object: KubeObject): boolean {
    return (object.kind === "GlobalNetworkPolicy" || object.kind === "NetworkPolicy") && calicoGroups.has(apiGroup(object));
}

interface CalicoRule {
    action?: unknown;
    protocol?: unknown;
    notProtocol?: unknown;
    ipVersion?: unknown;
    source?: EntityRule;
    destination?: EntityRule;
    http?: unknown;
}

interface CalicoPolicySpec {
    tier?: unknown;
    order?: unknown;
    selector?: unknown;
    namespaceSelector?: unknown;
    serviceAccountSelector?: unknown;
    types?: unknown;
    ingress?: CalicoRule[];
    egress?: CalicoRule[];
    doNotTrack?: unknown;
    preDNAT?: unknown;
}

/** Compiles a Calico policy; errors name the policy. */
export function parseCalicoPolicy(object: KubeObject): TierPolicy {
    const label = object.kind === "GlobalNetworkPolicy" ? `GlobalNetworkPolicy ${object.metadata?.name ?? "(unnamed)"}` : describeObject(object);
    try {
        return compile(object);
    } catch (error) {
        throw new Error(`${label} (${object.apiVersion ?? "no apiVersion"}): ${(error as Error).message}`);
    }
}

function compile(object: KubeObject): TierPolicy {
    const spec = (object.spec ?? {}) as CalicoPolicySpec;
    const global = object.kind === "GlobalNetworkPolicy";
    const namespace = global ? undefined : namespaceOf(object);
    const name = policyName(object.metadata?.name ?? "", spec.tier);
    if (spec.serviceAccountSelector !== undefined && spec.serviceAccountSelector !== "") {
        throw new Error("serviceAccountSelector is not supported");
    }
    const selector = selectorField(spec.selector, "selector");
    const namespaceSelector = global ? selectorField(spec.namespaceSelector, "namespaceSelector") : undefined;
    const types = policyTypes(spec);
    // doNotTrack and preDNAT policies only ever apply to host endpoints, never to pods.
    const hostOnly = spec.doNotTrack === true || spec.preDNAT === true;
    const rules = (list: CalicoRule[] | undefined, direction: string) =>
        (list ?? []).map((rule, index) => {
            try {
                return compileRule(rule, namespace, direction === "ingress" ? "source" : "destination");
            } catch (error) {
                throw new Error(`${direction} rule ${index + 1}: ${(error as Error).message}`);
            }
        });
    return {
        name: namespace === undefined ? name : `${namespace}/${name}`,
        object: `${object.kind} ${namespace === undefined ? "" : `${namespace}/`}${object.metadata?.name ?? ""}`,
        order: orderOf(spec.order),
        ...(hostOnly ? { selectedKeys: [] } : policyKeys(selector, namespaceSelector, namespace)),
        selects: (identity) => !hostOnly
            && (namespace === undefined || identity.namespace === namespace)
            && matches(selector, identity.calicoLabels)
            && (namespaceSelector === undefined || matches(namespaceSelector, identity.calicoNamespaceLabels)),
        ingress: types.has("Ingress") ? rules(spec.ingress, "ingress") : undefined,
        egress: types.has("Egress") ? rules(spec.egress, "egress") : undefined,
    };
}

/** A policy selects only in its namespace, if it has one, and only what its selectors select. */
function policyKeys(selector: SelectorNode, namespaceSelector: SelectorNode | undefined, namespace: string | undefined): { selectedKeys?: string[] } {
    const keys = calicoEntityKeys(selector, namespaceSelector, namespace);
    return keys === undefined ? {} : { selectedKeys: keys };
}

/** `crd.projectcalico.org/v1` names carry the tier: `default.allow-dns`. */
function policyName(name: string, tier: unknown): string {
    if (tier !== undefined && tier !== null && tier !== "" && tier !== "default") {
        throw new Error(`tier ${JSON.stringify(tier)} is not supported (only the default tier is evaluated)`);
    }
    return name.startsWith("default.") ? name.slice("default.".length) : name;
}

function selectorField(value: unknown, field: string): SelectorNode {
    if (value === undefined || value === null) {
        return { kind: "all" };
    }
    if (typeof value !== "string") {
        throw new Error(`${field} is not a string`);
    }
    return parseSelector(value);
}

function orderOf(value: unknown): number {
    if (value === undefined || value === null) {
        return Infinity;
    }
    const order = typeof value === "string" ? Number(value) : value;
    if (typeof order !== "number" || Number.isNaN(order)) {
        throw new Error(`order ${JSON.stringify(value)} is not a number`);
    }
    return order;
}

/** Without `types`: Egress when there are only egress rules, both when there are both, otherwise Ingress. */
function policyTypes(spec: CalicoPolicySpec): Set<string> {
    if (Array.isArray(spec.types) && spec.types.length > 0) {
        for (const type of spec.types) {
            if (type !== "Ingress" && type !== "Egress") {
                throw new Error(`unknown policy type ${JSON.stringify(type)}`);
            }
        }
        return new Set(spec.types as string[]);
    }
    const ingress = (spec.ingress ?? []).length > 0;
    const egress = (spec.egress ?? []).length > 0;
    return new Set(egress && !ingress ? ["Egress"] : egress ? ["Ingress", "Egress"] : ["Ingress"]);
}

const actions = new Set(["Allow", "Deny", "Pass", "Log"]);

function compileRule(rule: CalicoRule, namespace: string | undefined, peerSide: "source" | "destination"): TierRule {
    if (typeof rule.action !== "string" || !actions.has(rule.action)) {
        throw new Error(`action ${JSON.stringify(rule.action)} is not one of Allow, Deny, Pass, Log`);
    }
    const source = compileEntity(rule.source ?? {}, namespace);
    const destination = compileEntity(rule.destination ?? {}, namespace);
    // Source ports are ephemeral and unknown: a rule that constrains them is taken never to match.
    const sourcePortsConstrained = (rule.source?.ports ?? []).length > 0;
    // Pods are IPv4 here; HTTP matches need Calico's application layer, which is not modelled.
    const neverMatches = sourcePortsConstrained || Number(rule.ipVersion) === 6 || rule.http !== undefined;
    const protocol: RuleProtocol = { protocol: rule.protocol, notProtocol: rule.notProtocol };
    return {
        action: rule.action as TierRule["action"],
        matchesSource: neverMatches ? () => false : source.matches,
        matchesDestination: destination.matches,
        ...(neverMatches ? { sourceKeys: [] } : source.podKeys ? { sourceKeys: source.podKeys } : {}),
        ...(destination.podKeys ? { destinationKeys: destination.podKeys } : {}),
        connections: compileConnections(protocol, rule.destination?.ports, rule.destination?.notPorts),
        externalCuts: peerSide === "source" ? source.nets : destination.nets,
    };
}
