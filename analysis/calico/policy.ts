/**
 * Calico GlobalNetworkPolicy and NetworkPolicy objects (API groups `projectcalico.org/v3` and
 * `crd.projectcalico.org/v1`) compiled into the tier model: each in the tier its `tier` field
 * names (`default` without one), which must exist (tiers.ts).
 *
 * `serviceAccountSelector` narrows the endpoints a policy selects to those whose service
 * account's labels (plus `projectcalico.org/name`) it selects. `doNotTrack` and `preDNAT`
 * policies apply to host endpoints only (Calico refuses them with a namespace), and are
 * evaluated in their tier like other policies: the raw and pre-DNAT stages they run in are
 * not modelled apart.
 */
import { labelsRead, matches, parseSelector, SelectorNode } from "../calicoSelector";
import { KubeObject } from "../manifests";
import { describeObject, namespaceOf } from "../netpol/workloads";
import { EntityContext, optionalSelector } from "./entity";
import { Tier, TierPolicy } from "./model";
import { isCalicoKind } from "./objects";
import { calicoEntityKeys } from "./peerKeys";
import { compileRules } from "./rules";
import { defaultTierName } from "./tiers";

/** Calico's GlobalNetworkPolicy, or a NetworkPolicy of a Calico API group (a Kubernetes one has group `networking.k8s.io`). */
export function isCalicoPolicy(object: KubeObject): boolean {
    return isCalicoKind(object, "GlobalNetworkPolicy") || isCalicoKind(object, "NetworkPolicy");
}

interface CalicoPolicySpec {
    tier?: unknown;
    order?: unknown;
    selector?: unknown;
    namespaceSelector?: unknown;
    serviceAccountSelector?: unknown;
    types?: unknown;
    ingress?: unknown[];
    egress?: unknown[];
    doNotTrack?: unknown;
    preDNAT?: unknown;
}

/** Compiles a Calico policy; errors name the policy. */
export function parseCalicoPolicy(object: KubeObject, tiers: ReadonlyMap<string, Tier>, endpointAddresses: boolean): TierPolicy {
    const label = object.kind === "GlobalNetworkPolicy" ? `GlobalNetworkPolicy ${object.metadata?.name ?? "(unnamed)"}` : describeObject(object);
    try {
        return compile(object, tiers, endpointAddresses);
    } catch (error) {
        throw new Error(`${label} (${object.apiVersion ?? "no apiVersion"}): ${(error as Error).message}`);
    }
}

function compile(object: KubeObject, tiers: ReadonlyMap<string, Tier>, endpointAddresses: boolean): TierPolicy {
    const spec = (object.spec ?? {}) as CalicoPolicySpec;
    const global = object.kind === "GlobalNetworkPolicy";
    const namespace = global ? undefined : namespaceOf(object);
    const tier = tierOf(spec.tier, tiers);
    const name = policyName(object.metadata?.name ?? "", tier);
    const selector = selectorField(spec.selector, "selector");
    if (!global && spec.namespaceSelector !== undefined) {
        throw new Error("spec.namespaceSelector: only a GlobalNetworkPolicy has it; a namespaced NetworkPolicy applies in its own namespace (select peers of other namespaces in a rule's source or destination)");
    }
    const namespaceSelector = global ? optionalSelector(spec.namespaceSelector, "namespaceSelector") : undefined;
    const accountSelector = optionalSelector(spec.serviceAccountSelector, "serviceAccountSelector");
    const types = policyTypes(spec);
    const hostOnly = spec.doNotTrack === true || spec.preDNAT === true;
    const context: EntityContext = { ...(namespace === undefined ? {} : { namespace }), endpointAddresses };
    return {
        name: namespace === undefined ? name : `${namespace}/${name}`,
        object: `${object.kind} ${namespace === undefined ? "" : `${namespace}/`}${object.metadata?.name ?? ""}`,
        tier,
        order: orderOf(spec.order),
        ...policyKeys(selector, namespaceSelector, namespace),
        labelsRead: labelsRead(selector),
        selects: (identity) => (hostOnly ? identity.host === true : namespace === undefined || (identity.host !== true && identity.namespace === namespace))
            && matches(selector, identity.calicoLabels)
            // A namespace selector selects namespaced endpoints only, unless it is global().
            && (namespaceSelector === undefined || (namespaceSelector.kind === "global" ? identity.host === true : identity.host !== true && matches(namespaceSelector, identity.calicoNamespaceLabels)))
            && (accountSelector === undefined || (identity.host !== true && matches(accountSelector, identity.serviceAccountLabels ?? {}))),
        ingress: types.has("Ingress") ? compileRules(spec.ingress, "ingress", context) : undefined,
        egress: types.has("Egress") ? compileRules(spec.egress, "egress", context) : undefined,
    };
}

/** A policy selects only in its namespace, if it has one, and only what its selectors select. */
function policyKeys(selector: SelectorNode, namespaceSelector: SelectorNode | undefined, namespace: string | undefined): { selectedKeys?: string[] } {
    const keys = calicoEntityKeys(selector, namespaceSelector, namespace);
    return keys === undefined ? {} : { selectedKeys: keys };
}

function tierOf(value: unknown, tiers: ReadonlyMap<string, Tier>): string {
    if (value === undefined || value === null || value === "") {
        return defaultTierName;
    }
    if (typeof value !== "string") {
        throw new Error(`tier ${JSON.stringify(value)} is not a string`);
    }
    if (!tiers.has(value)) {
        throw new Error(`tier ${JSON.stringify(value)}: no Tier object of that name is given (Calico refuses a policy in a tier that does not exist); add the Tier`);
    }
    return value;
}

/** Names may carry the tier (`security.block`; `crd.projectcalico.org/v1` names always do, `default.allow-dns`). */
function policyName(name: string, tier: string): string {
    return name.startsWith(`${tier}.`) ? name.slice(tier.length + 1) : name;
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
