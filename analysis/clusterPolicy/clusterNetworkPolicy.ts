/**
 * ClusterNetworkPolicy (`policy.networking.k8s.io/v1alpha2`, network-policy-api v0.2.0,
 * `apis/v1alpha2/clusternetworkpolicy_types.go`) compiled for evaluation: a cluster-wide policy
 * in the `Admin` tier (before NetworkPolicy) or the `Baseline` tier (after it), ordered by
 * `priority` (lower first), whose rules run in written order and decide by `Accept`, `Deny` or
 * `Pass` (skip the rest of the tier). kubernetesOrder.ts evaluates them in Kubernetes' order,
 * calico/clusterPolicies.ts as Calico converts them into its `kube-admin` and `kube-baseline` tiers.
 *
 * What each field does:
 *   - `subject`: `namespaces` (every pod of the namespaces it selects) or `pods`
 *     (`namespaceSelector`, absent: every namespace, and `podSelector`);
 *   - a rule's peers: `namespaces`, `pods` (as the subject), and in egress `networks` (CIDRs of
 *     either family, host bits allowed), which match addresses outside the cluster only: pod IPs
 *     are not in manifests (the API says they match pod IPs too, so an Accept or Deny of
 *     `0.0.0.0/0` also decides pod-to-pod traffic in a cluster);
 *   - `protocols`: absent, every port of every protocol; `tcp`/`udp`/`sctp` with a
 *     `destinationPort` `number` or `range` (start < end), or every port of the protocol without
 *     one; `destinationNamedPort`, the destination pod's container port of that name, with
 *     whichever protocol it declares (nothing towards an address outside the cluster).
 * Equal priorities in a tier are ordered by name: the API lets an implementation apply either,
 * and Calico orders equal orders by name (felix/calc/policy_sorter.go PolKVLess).
 */
import { labelsRead, matches, SelectorNode } from "../calicoSelector";
import { KubeObject } from "../manifests";
import { IntervalSet } from "../netpol/intervals";
import { Address, addressesContain, AddressSet, addressBlocks, noAddresses, unionAddresses } from "../netpol/ipRanges";
import { LabelSelector, labelSelectorNode } from "../netpol/labelSelector";
import type { PodIdentity } from "../netpol/policy";
import { allPorts, ConnectionSet, Protocol, RulePorts } from "../netpol/ports";

const clusterPolicyGroup = "policy.networking.k8s.io";

export type ClusterPolicyTier = "Admin" | "Baseline";
export type ClusterPolicyAction = "Accept" | "Deny" | "Pass";

/** Pods of the namespaces `namespaces` selects that `pods` selects: a `namespaces` subject or peer (every pod), or a `pods` one. */
export interface PodSelection {
    readonly field: "namespaces" | "pods";
    readonly namespaces: SelectorNode;
    readonly pods: SelectorNode;
}

export interface ClusterPolicyRule {
    /** 1-based, within its policy's rules of this direction. */
    readonly index: number;
    readonly name?: string;
    readonly action: ClusterPolicyAction;
    readonly pods: readonly PodSelection[];
    /** Each `networks` peer's addresses (egress only), for cutting External into ranges... */
    readonly networks: readonly AddressSet[];
    /** ...and their union, for admitting addresses. */
    readonly addresses: AddressSet;
    /** The `networks` peers as written (CIDRs), for the Calico conversion. */
    readonly networkCidrs: readonly (readonly string[])[];
    readonly ports: RulePorts;
}

export interface ClusterPolicy {
    readonly name: string;
    /** `ClusterNetworkPolicy name`, for explanations. */
    readonly object: string;
    readonly tier: ClusterPolicyTier;
    readonly priority: number;
    readonly subject: PodSelection;
    readonly ingress: readonly ClusterPolicyRule[];
    readonly egress: readonly ClusterPolicyRule[];
}

interface NamespacedPod {
    namespaceSelector?: LabelSelector;
    podSelector?: LabelSelector;
}

interface Peer {
    namespaces?: LabelSelector;
    pods?: NamespacedPod;
    networks?: unknown;
}

interface PortMatch {
    destinationPort?: { number?: unknown; range?: { start?: unknown; end?: unknown } };
}

interface ProtocolEntry {
    tcp?: PortMatch;
    udp?: PortMatch;
    sctp?: PortMatch;
    destinationNamedPort?: unknown;
}

interface Rule {
    name?: unknown;
    action?: unknown;
    from?: Peer[];
    to?: Peer[];
    protocols?: ProtocolEntry[];
}

interface Spec {
    tier?: unknown;
    priority?: unknown;
    subject?: { namespaces?: LabelSelector; pods?: NamespacedPod };
    ingress?: Rule[];
    egress?: Rule[];
}

export function isClusterNetworkPolicy(object: KubeObject): boolean {
    return object.kind === "ClusterNetworkPolicy" && typeof object.apiVersion === "string" && object.apiVersion.startsWith(`${clusterPolicyGroup}/`);
}

/** Compiles a ClusterNetworkPolicy; errors name the policy and the field. */
export function parseClusterNetworkPolicy(object: KubeObject): ClusterPolicy {
    const name = object.metadata?.name ?? "";
    try {
        return compile(name, (object.spec ?? {}) as Spec);
    } catch (error) {
        throw new Error(`ClusterNetworkPolicy ${name}: ${(error as Error).message}`);
    }
}

function compile(name: string, spec: Spec): ClusterPolicy {
    if (spec.tier !== "Admin" && spec.tier !== "Baseline") {
        throw new Error(`spec.tier: must be Admin or Baseline, found ${JSON.stringify(spec.tier)}`);
    }
    if (!Number.isInteger(spec.priority) || (spec.priority as number) < 0 || (spec.priority as number) > 1000) {
        throw new Error(`spec.priority: must be a whole number from 0 to 1000, found ${JSON.stringify(spec.priority)}`);
    }
    return {
        name,
        object: `ClusterNetworkPolicy ${name}`,
        tier: spec.tier,
        priority: spec.priority as number,
        subject: selection(spec.subject ?? {}, "spec.subject"),
        ingress: (spec.ingress ?? []).map((rule, index) => compileRule(rule, rule.from, index, "spec.ingress", "from")),
        egress: (spec.egress ?? []).map((rule, index) => compileRule(rule, rule.to, index, "spec.egress", "to")),
    };
}

/** A subject or pod peer: exactly one of `namespaces` and `pods`. */
function selection(value: { namespaces?: LabelSelector; pods?: NamespacedPod }, at: string): PodSelection {
    if ((value.namespaces === undefined) === (value.pods === undefined)) {
        throw new Error(`${at}: must have exactly one of namespaces and pods`);
    }
    if (value.namespaces !== undefined) {
        return { field: "namespaces", namespaces: labelSelectorNode(value.namespaces), pods: { kind: "all" } };
    }
    const { namespaceSelector = {}, podSelector } = value.pods!;
    if (podSelector === undefined) {
        throw new Error(`${at}.pods.podSelector: required field is missing`);
    }
    return { field: "pods", namespaces: labelSelectorNode(namespaceSelector), pods: labelSelectorNode(podSelector) };
}

function compileRule(rule: Rule, peers: Peer[] | undefined, position: number, list: string, peersField: string): ClusterPolicyRule {
    const at = `${list}[${position}]`;
    if (rule.action !== "Accept" && rule.action !== "Deny" && rule.action !== "Pass") {
        throw new Error(`${at}.action: must be Accept, Deny or Pass, found ${JSON.stringify(rule.action)}`);
    }
    if (!Array.isArray(peers) || peers.length === 0) {
        throw new Error(`${at}.${peersField}: must list at least one peer`);
    }
    const pods: PodSelection[] = [];
    const networkCidrs: string[][] = [];
    peers.forEach((peer, index) => {
        const peerAt = `${at}.${peersField}[${index}]`;
        if (peer.networks !== undefined) {
            if (Object.keys(peer).length !== 1 || !Array.isArray(peer.networks) || peer.networks.length === 0 || peer.networks.some((cidr) => typeof cidr !== "string")) {
                throw new Error(`${peerAt}: networks must be a non-empty list of CIDRs, and the peer's only field`);
            }
            networkCidrs.push(peer.networks as string[]);
        } else {
            pods.push(selection(peer, peerAt));
        }
    });
    const networks = networkCidrs.map((cidrs, index) => addressBlocks(cidrs, `${at}.${peersField}: networks peer ${index + 1}`));
    return {
        index: position + 1,
        ...(typeof rule.name === "string" && rule.name !== "" ? { name: rule.name } : {}),
        action: rule.action,
        pods,
        networks,
        addresses: networks.reduce(unionAddresses, noAddresses),
        networkCidrs,
        ports: compileProtocols(rule.protocols, `${at}.protocols`),
    };
}

const protocolFields: ReadonlyArray<readonly ["tcp" | "udp" | "sctp", Protocol]> = [["tcp", "TCP"], ["udp", "UDP"], ["sctp", "SCTP"]];

/**
 * A rule's `protocols`: absent, every connection. Rules without a named port (the usual case)
 * compile to a constant, so evaluation does no work per pod.
 */
function compileProtocols(entries: ProtocolEntry[] | undefined, at: string): RulePorts {
    if (entries === undefined) {
        return () => ConnectionSet.all;
    }
    let numbered = ConnectionSet.none;
    const named: string[] = [];
    entries.forEach((entry, index) => {
        const given = (["tcp", "udp", "sctp", "destinationNamedPort"] as const).filter((field) => entry[field] !== undefined);
        if (given.length !== 1) {
            throw new Error(`${at}[${index}]: must have exactly one of tcp, udp, sctp and destinationNamedPort`);
        }
        if (entry.destinationNamedPort !== undefined) {
            if (typeof entry.destinationNamedPort !== "string" || entry.destinationNamedPort === "") {
                throw new Error(`${at}[${index}].destinationNamedPort: must be a port name`);
            }
            named.push(entry.destinationNamedPort);
            return;
        }
        const [field, protocol] = protocolFields.find(([candidate]) => entry[candidate] !== undefined)!;
        numbered = numbered.union(ConnectionSet.of(protocol, destinationPorts(entry[field]!, `${at}[${index}].${field}`)));
    });
    if (named.length === 0) {
        return () => numbered;
    }
    return (containerPorts) => containerPorts
        .filter((port) => port.name !== undefined && named.includes(port.name))
        .reduce((allowed, port) => allowed.union(ConnectionSet.of(port.protocol, IntervalSet.range(port.port, port.port))), numbered);
}

/** `destinationPort`: a `number` or a `range` (start < end); absent, every port. */
function destinationPorts(match: PortMatch, at: string): IntervalSet {
    const port = match.destinationPort;
    if (port === undefined) {
        return allPorts;
    }
    if (port.number !== undefined) {
        return IntervalSet.range(portNumber(port.number, `${at}.destinationPort.number`), portNumber(port.number, `${at}.destinationPort.number`));
    }
    const start = portNumber(port.range?.start, `${at}.destinationPort.range.start`);
    const end = portNumber(port.range?.end, `${at}.destinationPort.range.end`);
    if (start >= end) {
        throw new Error(`${at}.destinationPort.range: start ${start} must be less than end ${end}`);
    }
    return IntervalSet.range(start, end);
}

function portNumber(value: unknown, at: string): number {
    if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 65535) {
        throw new Error(`${at}: must be a port number (1-65535), found ${JSON.stringify(value)}`);
    }
    return value as number;
}

/** Kubernetes' order within a tier: lower priority first, equal priorities by name (see the top of this file). */
export function compareClusterPolicies(a: ClusterPolicy, b: ClusterPolicy): number {
    return a.priority !== b.priority ? a.priority - b.priority : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Whether a pod (its namespace's labels, its own) is in a subject or pod peer. */
export function selectionHolds(selection: PodSelection, pod: PodIdentity): boolean {
    return matches(selection.namespaces, pod.namespaceLabels) && matches(selection.pods, pod.labels);
}

export function ruleAdmitsPod(rule: ClusterPolicyRule, pod: PodIdentity): boolean {
    return rule.pods.some((peer) => selectionHolds(peer, pod));
}

/** Whether a rule admits an address outside the cluster: only through its `networks` peers. */
export function ruleAdmitsAddress(rule: ClusterPolicyRule, address: Address): boolean {
    return addressesContain(rule.addresses, address);
}

/** The pod labels the policy's selectors read (its subject's and its rules' pod selectors; namespace selectors read namespace labels). */
export function clusterPolicyLabelsRead(policy: ClusterPolicy): string[] {
    return [policy.subject, ...[...policy.ingress, ...policy.egress].flatMap((rule) => rule.pods)].flatMap((selection) => labelsRead(selection.pods));
}
