/**
 * Index keys that let evaluation skip pairs no rule can allow. A group of pods has keys for
 * each of its labels, its namespace and its namespace's labels; a rule's side has, where the
 * selectors say so, a list of keys of which every pod it matches has at least one: an
 * equality (`app == "api"`, `matchLabels`) or a set (`app in {...}`) in a selector, or the
 * namespace a namespaced policy's selectors are scoped to. A side without keys may match any
 * pod. Keys are necessary conditions only; the rule's own predicate still decides.
 */
import { SelectorNode } from "../calicoSelector";
import type { ClusterPolicyRule } from "../clusterPolicy/clusterNetworkPolicy";
import { NetworkPolicy, PodIdentity, PolicyRule } from "../netpol/policy";
import { EndpointIdentity, NetworkSetView } from "./model";

/** Key spaces: plain pod labels (Kubernetes selectors), Calico's pod labels, namespace labels of each, the namespace. */
type Space = "pod" | "calico" | "namespace" | "calicoNamespace";

const key = (space: Space, label: string, value: string) => `${space}:${label}=${value}`;
const namespaceKey = (namespace: string) => `in:${namespace}`;
/** The key of having both a namespace key and a label key. */
const both = (namespace: string, label: string) => `${namespace}&${label}`;

const keysOf = (space: Space, labels: Readonly<Record<string, string>>) => Object.entries(labels).map(([label, value]) => key(space, label, value));

/** Every key a group's pods have. */
export function identityKeys(identity: EndpointIdentity): string[] {
    return [...podIdentityKeys(identity), ...keysOf("calico", identity.calicoLabels), ...keysOf("calicoNamespace", identity.calicoNamespaceLabels)];
}

/**
 * The keys Kubernetes selectors see of pods: their namespace, their labels and their
 * namespace's labels, and each pair of a namespace key and a label key (kubernetesRuleKeys).
 */
export function podIdentityKeys(identity: PodIdentity): string[] {
    const namespaceKeys = [namespaceKey(identity.namespace), ...keysOf("namespace", identity.namespaceLabels)];
    const labelKeys = keysOf("pod", identity.labels);
    return [...namespaceKeys, ...labelKeys, ...namespaceKeys.flatMap((namespace) => labelKeys.map((label) => both(namespace, label)))];
}


/** Every key a network set has, as Calico entity selectors see it (calicoEntityKeys). */
export function networkSetKeys(set: NetworkSetView): string[] {
    return [
        ...(set.namespace === undefined ? [] : [namespaceKey(set.namespace)]),
        ...Object.entries(set.labels).map(([label, value]) => key("calico", label, value)),
        ...Object.entries(set.namespaceLabels).map(([label, value]) => key("calicoNamespace", label, value)),
    ];
}

/** Keys that whatever `node` selects must have one of; undefined when the selector does not say. */
export function selectorKeys(node: SelectorNode, space: Space): string[] | undefined {
    switch (node.kind) {
        case "compare":
            return node.op === "==" ? [key(space, node.label, node.value)] : undefined;
        case "set":
            return node.op === "in" ? node.values.map((value) => key(space, node.label, value)) : undefined;
        case "and": {
            // Any operand's keys will do; the fewest narrow the most.
            const known = node.operands.map((operand) => selectorKeys(operand, space)).filter((keys): keys is string[] => keys !== undefined);
            return known.length === 0 ? undefined : known.reduce((best, keys) => (keys.length < best.length ? keys : best));
        }
        case "or": {
            const each = node.operands.map((operand) => selectorKeys(operand, space));
            return each.every((keys) => keys !== undefined) ? each.flat() as string[] : undefined;
        }
        default:
            // `global()` too: what it selects depends on where the selector is used.
            return undefined;
    }
}

/** The keys of a Calico entity's pods, from its selector, else its namespace selector, else its namespace scope. */
export function calicoEntityKeys(selector: SelectorNode | undefined, namespaceSelector: SelectorNode | undefined, scopedNamespace: string | undefined): string[] | undefined {
    return (selector && selectorKeys(selector, "calico"))
        ?? (namespaceSelector && selectorKeys(namespaceSelector, "calicoNamespace"))
        ?? (scopedNamespace === undefined ? undefined : [namespaceKey(scopedNamespace)]);
}

/**
 * The keys of the pods a Kubernetes NetworkPolicy rule admits as its peers. A peer whose pod
 * selector and namespace (selector) both give keys has their pairs: `app == "api"` in the
 * namespaces named `shop` or `web` finds those two namespaces' api pods, not every api pod.
 */
export function kubernetesRuleKeys(rule: PolicyRule): string[] | undefined {
    if (!rule.peers) {
        return undefined;
    }
    const each = rule.peers.pods.map((peer) => {
        const labelKeys = selectorKeys(peer.pods, "pod");
        const namespaceKeys = typeof peer.namespaces === "string" ? [namespaceKey(peer.namespaces)] : selectorKeys(peer.namespaces, "namespace");
        return labelKeys && namespaceKeys ? namespaceKeys.flatMap((namespace) => labelKeys.map((label) => both(namespace, label))) : labelKeys ?? namespaceKeys;
    });
    return each.every((keys) => keys !== undefined) ? each.flat() as string[] : undefined;
}

/**
 * The keys of the pods a ClusterNetworkPolicy rule admits as its peers (its `networks` admit no
 * pod): a `namespaces` peer's namespace selector's, a `pods` peer's pairs of namespace and label
 * keys where both selectors give keys, as kubernetesRuleKeys.
 */
export function clusterRuleKeys(rule: ClusterPolicyRule): string[] | undefined {
    const each = rule.pods.map((peer) => {
        const labelKeys = selectorKeys(peer.pods, "pod");
        const namespaceKeys = selectorKeys(peer.namespaces, "namespace");
        return labelKeys && namespaceKeys ? namespaceKeys.flatMap((namespace) => labelKeys.map((label) => both(namespace, label))) : labelKeys ?? namespaceKeys;
    });
    return each.every((keys) => keys !== undefined) ? each.flat() as string[] : undefined;
}

/** The keys of the pods a Kubernetes NetworkPolicy selects: its pod selector's, else its namespace. */
export function kubernetesPolicyKeys(policy: NetworkPolicy): string[] {
    return selectorKeys(policy.podSelector, "pod") ?? [namespaceKey(policy.namespace)];
}

/**
 * Items indexed by their keys, for finding those that may match something with given keys:
 * an item matches when it shares a key with the query, and an item without keys matches
 * every query.
 */
export class KeyIndex<T> {
    private readonly byKey = new Map<string, number[]>();
    private readonly unkeyed: number[] = [];

    constructor(private readonly items: readonly T[], keysOf: (item: T) => readonly string[] | undefined) {
        items.forEach((item, index) => {
            const keys = keysOf(item);
            if (keys === undefined) {
                this.unkeyed.push(index);
                return;
            }
            for (const key of new Set(keys)) {
                const indexes = this.byKey.get(key);
                if (indexes) {
                    indexes.push(index);
                } else {
                    this.byKey.set(key, [index]);
                }
            }
        });
    }

    /** The items that may match something with one of `keys`, in the order they were given. */
    lookup(keys: readonly string[]): T[] {
        const found = new Set(this.unkeyed);
        for (const key of keys) {
            this.byKey.get(key)?.forEach((index) => found.add(index));
        }
        return [...found].sort((a, b) => a - b).map((index) => this.items[index]);
    }
}
