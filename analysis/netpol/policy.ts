/**
 * NetworkPolicy objects compiled for evaluation: which pods a policy isolates in each direction,
 * and for each rule which peers it admits and on which ports.
 */
import { Labels, labelsRead, matches, SelectorNode } from "../calicoSelector";
import { KubeObject } from "../manifests";
import { Address, addressesContain, AddressSet, ipBlockAddressSet, noAddresses, unionAddresses } from "./ipRanges";
import { LabelSelector, labelSelectorNode } from "./labelSelector";
import { compileRulePorts, NetworkPolicyPort, RulePorts } from "./ports";
import { describeObject, namespaceOf } from "./workloads";

/** What policies see of a pod: its namespace with that namespace's labels, and its own labels. */
export interface PodIdentity {
    readonly namespace: string;
    readonly namespaceLabels: Labels;
    readonly labels: Labels;
}

interface PodPeer {
    /** A namespace selector, or, when the peer has none, the policy's own namespace. */
    readonly namespaces: SelectorNode | string;
    readonly pods: SelectorNode;
}

export interface PolicyRule {
    /** Absent when the rule names no peers, and so admits every peer in and outside the cluster. */
    readonly peers?: {
        readonly pods: readonly PodPeer[];
        /** Each ipBlock's addresses on its own, for cutting External into ranges... */
        readonly ipBlocks: readonly AddressSet[];
        /** ...and their union, for admitting addresses. */
        readonly addresses: AddressSet;
    };
    readonly ports: RulePorts;
    /** Whether `ports` names a port by name (which only the destination's container ports resolve): explanations say so. */
    readonly namesPorts: boolean;
}

export interface NetworkPolicy {
    readonly namespace: string;
    readonly name: string;
    readonly podSelector: SelectorNode;
    /** Absent when the policy does not isolate ingress; an empty list isolates it and admits nothing. */
    readonly ingress?: readonly PolicyRule[];
    readonly egress?: readonly PolicyRule[];
}

interface NetworkPolicyPeer {
    podSelector?: LabelSelector | null;
    namespaceSelector?: LabelSelector | null;
    ipBlock?: { cidr?: unknown; except?: unknown } | null;
}

interface NetworkPolicyRule {
    from?: NetworkPolicyPeer[];
    to?: NetworkPolicyPeer[];
    ports?: NetworkPolicyPort[];
}

interface NetworkPolicySpec {
    podSelector?: LabelSelector;
    policyTypes?: string[];
    ingress?: NetworkPolicyRule[];
    egress?: NetworkPolicyRule[];
}

/** A Kubernetes NetworkPolicy (Calico's namespaced policies share the kind, under projectcalico.org). */
export function isKubernetesNetworkPolicy(object: KubeObject): boolean {
    return object.kind === "NetworkPolicy" && !String(object.apiVersion).includes("projectcalico.org");
}

/** Compiles a NetworkPolicy object; errors name the policy. */
export function parseNetworkPolicy(object: KubeObject): NetworkPolicy {
    try {
        return compile(object);
    } catch (error) {
        throw new Error(`${describeObject(object)}: ${(error as Error).message}`);
    }
}

function compile(object: KubeObject): NetworkPolicy {
    const namespace = namespaceOf(object);
    const spec = (object.spec ?? {}) as NetworkPolicySpec;
    const types = policyTypes(spec);
    return {
        namespace,
        name: object.metadata?.name ?? "",
        podSelector: labelSelectorNode(spec.podSelector ?? {}),
        ingress: types.has("Ingress") ? (spec.ingress ?? []).map((rule) => compileRule(rule.from, rule.ports, namespace)) : undefined,
        egress: types.has("Egress") ? (spec.egress ?? []).map((rule) => compileRule(rule.to, rule.ports, namespace)) : undefined,
    };
}

/** Without `policyTypes`, a policy always isolates ingress, and egress only if it has egress rules (the API server's defaulting). */
function policyTypes(spec: NetworkPolicySpec): Set<string> {
    if (spec.policyTypes && spec.policyTypes.length > 0) {
        return new Set(spec.policyTypes);
    }
    return new Set(spec.egress && spec.egress.length > 0 ? ["Ingress", "Egress"] : ["Ingress"]);
}

function compileRule(peers: NetworkPolicyPeer[] | undefined, ports: NetworkPolicyRule["ports"], namespace: string): PolicyRule {
    const namesPorts = (ports ?? []).some((entry) => typeof entry.port === "string");
    if (!peers || peers.length === 0) {
        return { ports: compileRulePorts(ports), namesPorts };
    }
    const pods: PodPeer[] = [];
    const ipBlocks: AddressSet[] = [];
    for (const peer of peers) {
        if (peer.ipBlock) {
            if (peer.podSelector || peer.namespaceSelector) {
                throw new Error("a peer with an ipBlock may not also have a podSelector or namespaceSelector");
            }
            ipBlocks.push(ipBlockAddressSet(peer.ipBlock));
        } else if (peer.podSelector || peer.namespaceSelector) {
            pods.push({
                namespaces: peer.namespaceSelector ? labelSelectorNode(peer.namespaceSelector) : namespace,
                pods: labelSelectorNode(peer.podSelector ?? {}),
            });
        } else {
            throw new Error("a rule peer needs a podSelector, a namespaceSelector or an ipBlock");
        }
    }
    return { peers: { pods, ipBlocks, addresses: ipBlocks.reduce(unionAddresses, noAddresses) }, ports: compileRulePorts(ports), namesPorts };
}

/** Whether the policy applies to (isolates, in the directions it names) the pod. */
export function policySelects(policy: NetworkPolicy, pod: PodIdentity): boolean {
    return pod.namespace === policy.namespace && matches(policy.podSelector, pod.labels);
}

/** The pod labels the policy's selectors read: its pod selector's, and its rules'. */
export function podLabelsRead(policy: NetworkPolicy): string[] {
    return [...labelsRead(policy.podSelector), ...[...(policy.ingress ?? []), ...(policy.egress ?? [])].flatMap(ruleLabelsRead)];
}

/** The pod labels the rule's peers' pod selectors read (namespace selectors read namespace labels). */
export function ruleLabelsRead(rule: PolicyRule): string[] {
    return (rule.peers?.pods ?? []).flatMap((peer) => labelsRead(peer.pods));
}

export function ruleAdmitsPod(rule: PolicyRule, pod: PodIdentity): boolean {
    return !rule.peers || rule.peers.pods.some((peer) => namespaceMatches(peer.namespaces, pod) && matches(peer.pods, pod.labels));
}

/** Whether the rule admits `address`, an address outside the cluster (a number for IPv4, a bigint for IPv6). */
export function ruleAdmitsAddress(rule: PolicyRule, address: Address): boolean {
    return !rule.peers || addressesContain(rule.peers.addresses, address);
}

function namespaceMatches(namespaces: SelectorNode | string, pod: PodIdentity): boolean {
    return typeof namespaces === "string" ? pod.namespace === namespaces : matches(namespaces, pod.namespaceLabels);
}

/**
 * Every ipBlock that rules in one direction name (each on its own, as the analyzer keeps them):
 * they decide how External is cut into ranges for that direction.
 */
export function ruleIpBlocks(rules: readonly PolicyRule[] | undefined): AddressSet[] {
    return (rules ?? []).flatMap((rule) => rule.peers?.ipBlocks ?? []);
}
