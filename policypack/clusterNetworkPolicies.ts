import { KubeObject, LabelSelector, isEmptySelector, known, labelSelectorMatches } from "./kubernetes";
import { StackModel, StackObject } from "./stackModel";

/**
 * ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2, network-policy-api v0.2.0) as the
 * rules read it. Evaluation order (the API's `tier` doc comment): Admin policies by priority
 * and rule order, first match decides (Accept and Deny end evaluation; Pass skips the rest of
 * the tier); then NetworkPolicy, final for a pod one selects in that direction; then Baseline
 * the same way; else allowed. Calico 3.32 keeps this order with its kube-admin, default and
 * kube-baseline tiers (libcalico-go/lib/backend/k8s/conversion/clusternetworkpolicy.go).
 */

export type Direction = "ingress" | "egress";

interface Peer {
    namespaces?: LabelSelector;
    pods?: { namespaceSelector?: LabelSelector; podSelector?: LabelSelector };
    networks?: string[];
}

export interface CnpRule {
    name?: string;
    action?: string;
    protocols?: unknown[];
    from?: Peer[];
    to?: Peer[];
}

/** A rule of a policy, with where it stands in evaluation order. */
export interface PlacedRule {
    policy: StackObject;
    tier: "Admin" | "Baseline";
    priority: number;
    direction: Direction;
    index: number;
    rule: CnpRule;
}

const everyAddress = ["0.0.0.0/0", "::/0"];

/** The stack's ClusterNetworkPolicies (any other group's kind of that name is not one). */
export function clusterNetworkPoliciesOf(model: StackModel): StackObject[] {
    return model.ofKind("ClusterNetworkPolicy", "policy.networking.k8s.io");
}

/** Every rule of every ClusterNetworkPolicy, each once, with its tier and priority; unreadable policies are left out. */
export function placedRules(model: StackModel): PlacedRule[] {
    return clusterNetworkPoliciesOf(model).flatMap((policy) => known(() => {
        const spec = policy.object.spec ?? {};
        const tier = spec.tier === "Admin" || spec.tier === "Baseline" ? spec.tier : undefined;
        if (!tier || typeof spec.priority !== "number") {
            return [];
        }
        return (["ingress", "egress"] as const).flatMap((direction) =>
            ((spec[direction] ?? []) as CnpRule[]).map((rule, index) => ({ policy, tier, priority: spec.priority as number, direction, index, rule })));
    }) ?? []);
}

/** Whether the policy's subject takes in pods of a namespace with these labels; `whole`: every pod of it. */
export function subjectTakesIn(policy: KubeObject, namespaceLabels: Record<string, string>, whole: boolean): boolean {
    return known(() => {
        const subject = policy.spec?.subject ?? {};
        if (subject.namespaces) {
            return labelSelectorMatches(subject.namespaces, namespaceLabels);
        }
        if (subject.pods) {
            return labelSelectorMatches(subject.pods.namespaceSelector, namespaceLabels) && (!whole || isEmptySelector(subject.pods.podSelector));
        }
        return false;
    }) ?? false;
}

/**
 * What a rule's peers take in when they take in everything, or undefined: every pod (an empty
 * `namespaces`, or `pods` with both selectors empty), or every address (`networks` with
 * 0.0.0.0/0 or ::/0, which match pod addresses too). A rule with `protocols` is narrower.
 */
export function everything(rule: CnpRule, direction: Direction): string | undefined {
    if (rule.protocols !== undefined) {
        return undefined;
    }
    for (const peer of (direction === "ingress" ? rule.from : rule.to) ?? []) {
        if (peer.namespaces && isEmptySelector(peer.namespaces)) {
            return "every pod in every namespace (namespaces: {})";
        }
        if (peer.pods && isEmptySelector(peer.pods.namespaceSelector) && isEmptySelector(peer.pods.podSelector)) {
            return "every pod in every namespace (pods: {} in {})";
        }
        const wide = (peer.networks ?? []).filter((net) => everyAddress.includes(net));
        if (wide.length) {
            return `every address (networks ${wide.join(", ")})`;
        }
    }
    return undefined;
}

/**
 * Whether a rule is a deny-by-default for its direction: Deny, every port, and every peer —
 * for ingress every pod (no ingress peer can name other sources), for egress both 0.0.0.0/0
 * and ::/0 (a `namespaces: {}` peer leaves out every address outside the cluster).
 */
export function deniesEverything(rule: CnpRule, direction: Direction): boolean {
    if (rule.action !== "Deny" || rule.protocols !== undefined) {
        return false;
    }
    const peers = (direction === "ingress" ? rule.from : rule.to) ?? [];
    if (direction === "ingress") {
        return everything(rule, direction) !== undefined;
    }
    const networks = new Set(peers.flatMap((peer) => peer.networks ?? []));
    return everyAddress.every((net) => networks.has(net));
}

/**
 * Whether rule `a` is evaluated before rule `b` of the same tier: a lower priority, or the
 * same policy and an earlier rule. Equal priorities in two policies: "the implementation can
 * apply any" (the API's `priority` doc comment), so either may come first: true.
 */
export function mayPrecede(a: PlacedRule, b: PlacedRule): boolean {
    if (a.policy === b.policy) {
        return a.index < b.index;
    }
    return a.priority <= b.priority;
}

/** The name a message gives a rule: the policy, its tier, and the rule by index and name. */
export function describeRule(placed: PlacedRule): string {
    const name = placed.rule.name ? ` ("${placed.rule.name}")` : "";
    return `spec.${placed.direction}[${placed.index}]${name}`;
}

/** Whether the stack's cluster guardrails are ClusterNetworkPolicies: it has some, and no Calico GlobalNetworkPolicy. */
export function guardedByClusterNetworkPolicies(model: StackModel): boolean {
    const calico = ["projectcalico.org", "crd.projectcalico.org"].some((group) => model.ofKind("GlobalNetworkPolicy", group).length > 0);
    return !calico && clusterNetworkPoliciesOf(model).length > 0;
}

