/**
 * Pods no workload of the input stands for, inferred from the peers rules name: what
 * layeredExposure.ts probes beside the cluster, mesh and namespace probes, as netpol-analyzer
 * infers representative peers from NetworkPolicy selectors (exposure.ts). Each is the plainest
 * pod the peer selects: labels that satisfy its selectors (an equality gives its value, `has`
 * or `Exists` a value, `in` its first value; a negation is satisfied by leaving the label out;
 * of an `||`, the first side that can be satisfied), in the namespace the peer names, or in a
 * namespace of its own with labels satisfying its namespace selector. A peer whose selectors
 * cannot be satisfied this way (contradictions) gives none: a probe must be a pod the peer
 * really selects, checked by matching the labels found against the selector.
 *
 * Peers read: Kubernetes NetworkPolicy `from`/`to` entries (podSelector, namespaceSelector),
 * Calico rules' `source`/`destination` (selector, namespaceSelector) of NetworkPolicy and
 * GlobalNetworkPolicy, and Istio AuthorizationPolicy `from` sources (exact `principals` of the
 * `cluster.local/ns/N/sa/S` form, `namespaces`).
 */
import { canonical, Labels, matches, parseSelector, SelectorNode } from "../calicoSelector";
import { isCalicoPolicy } from "../calico/policy";
import { isEnforcedAuthorizationPolicy } from "../istio/authorization";
import { KubeObject } from "../manifests";
import { LabelSelector } from "../netpol/labelSelector";
import { isKubernetesNetworkPolicy } from "../netpol/policy";
import { namespaceOf } from "../netpol/workloads";
import { ExposureTarget, exposureTargetText, labelSelectorText } from "./target";

export interface Representative {
    /** The namespace named by the peer; absent: one of its own, labelled `namespaceLabels`. */
    readonly namespace?: string;
    readonly namespaceLabels: Labels;
    readonly labels: Labels;
    /** Absent: one no rule names. */
    readonly serviceAccount?: string;
    /** An Istio source: the pod runs a proxy. */
    readonly meshed: boolean;
    /** `backend/[pod with {app=x}]`, `[namespace with {team == 'a'}]/[all pods]`, `shop/[service account web]`. */
    readonly target: ExposureTarget;
}

const namespaceNameLabels = ["kubernetes.io/metadata.name", "projectcalico.org/name"];

/** Every distinct representative the rules of `objects` name, in the order first named. */
export function representatives(objects: readonly KubeObject[]): Representative[] {
    const found = new Map<string, Representative>();
    const add = (representative: Representative | undefined) => {
        const key = representative === undefined ? undefined : exposureTargetText(representative.target);
        if (representative !== undefined && key !== undefined && !found.has(key)) {
            found.set(key, representative);
        }
    };
    for (const object of objects) {
        const spec = (object.spec ?? {}) as Record<string, unknown>;
        if (isKubernetesNetworkPolicy(object)) {
            for (const peer of rulePeers(spec, "from", "to")) {
                add(kubernetesPeer(peer as { podSelector?: LabelSelector | null; namespaceSelector?: LabelSelector | null; ipBlock?: unknown }, namespaceOf(object)));
            }
        } else if (isCalicoPolicy(object)) {
            const namespace = object.kind === "GlobalNetworkPolicy" ? undefined : namespaceOf(object);
            for (const rule of [...arrayOf(spec.ingress), ...arrayOf(spec.egress)]) {
                for (const side of ["source", "destination"]) {
                    add(calicoPeer((rule as Record<string, unknown>)[side] as { selector?: unknown; namespaceSelector?: unknown } | undefined, namespace));
                }
            }
        } else if (isEnforcedAuthorizationPolicy(object)) {
            for (const rule of arrayOf(spec.rules)) {
                for (const from of arrayOf((rule as { from?: unknown }).from)) {
                    const source = ((from as { source?: unknown }).source ?? {}) as { principals?: unknown; namespaces?: unknown };
                    arrayOf(source.principals).forEach((principal) => add(istioPrincipal(String(principal))));
                    arrayOf(source.namespaces).forEach((namespace) => add(istioNamespace(String(namespace))));
                }
            }
        }
    }
    return [...found.values()];
}

function arrayOf(value: unknown): unknown[] {
    return Array.isArray(value) ? value : [];
}

/** The peers of every ingress (`from`) and egress (`to`) rule. */
function rulePeers(spec: Record<string, unknown>, from: string, to: string): unknown[] {
    return [...arrayOf(spec.ingress).flatMap((rule) => arrayOf((rule as Record<string, unknown>)[from])), ...arrayOf(spec.egress).flatMap((rule) => arrayOf((rule as Record<string, unknown>)[to]))];
}

function kubernetesPeer(peer: { podSelector?: LabelSelector | null; namespaceSelector?: LabelSelector | null; ipBlock?: unknown }, policyNamespace: string): Representative | undefined {
    if (peer.ipBlock !== undefined || (isEmpty(peer.podSelector) && peer.namespaceSelector !== undefined && peer.namespaceSelector !== null && isEmpty(peer.namespaceSelector))) {
        // An address block, or the whole cluster, which the cluster probe stands for.
        return undefined;
    }
    const labels = satisfyingLabels(peer.podSelector);
    const namespaceLabels = peer.namespaceSelector ? satisfyingLabels(peer.namespaceSelector) : {};
    if (labels === undefined || namespaceLabels === undefined) {
        return undefined;
    }
    const namespace = peer.namespaceSelector ? namespaceNamed(namespaceLabels) : policyNamespace;
    const namespaceText = isEmpty(peer.namespaceSelector) ? "all namespaces" : `namespace with {${labelSelectorText(peer.namespaceSelector as LabelSelector)}}`;
    const podText = isEmpty(peer.podSelector) ? "all pods" : `pod with {${labelSelectorText(peer.podSelector as LabelSelector)}}`;
    return { namespace, namespaceLabels, labels, meshed: false, target: selectorTarget(namespace, namespaceText, podText) };
}

function calicoPeer(entity: { selector?: unknown; namespaceSelector?: unknown } | undefined, policyNamespace: string | undefined): Representative | undefined {
    const selector = entity?.selector === undefined ? undefined : parsed(entity.selector);
    const namespaceSelector = entity?.namespaceSelector === undefined ? undefined : parsed(entity.namespaceSelector);
    if (selector === undefined && namespaceSelector === undefined) {
        // No selector: an address rule, or every peer (the cluster probe's); a malformed one is refused by the reachability run.
        return undefined;
    }
    if (selector === null || namespaceSelector === null || namespaceSelector?.kind === "global") {
        return undefined;
    }
    const podLabels = selector === undefined ? {} : satisfying(selector);
    const namespaceLabels = namespaceSelector === undefined ? {} : satisfying(namespaceSelector);
    if (podLabels === undefined || namespaceLabels === undefined) {
        return undefined;
    }
    // A pod selector may name the namespace or service account through the labels Calico gives every pod; the pod's own labels are the rest.
    const { "projectcalico.org/namespace": podNamespace, "projectcalico.org/serviceaccount": serviceAccount } = podLabels;
    const labels = Object.fromEntries(Object.entries(podLabels).filter(([key]) => !key.startsWith("projectcalico.org/")));
    const namespace = podNamespace ?? (namespaceSelector !== undefined ? namespaceNamed(namespaceLabels) : policyNamespace);
    const everyNamespace = namespaceSelector === undefined ? policyNamespace === undefined && podNamespace === undefined : namespaceSelector.kind === "all";
    const namespaceText = everyNamespace ? "all namespaces" : `namespace with {${canonical(namespaceSelector as SelectorNode)}}`;
    const podText = selector === undefined || selector.kind === "all" ? "all pods" : `pod with {${canonical(selector)}}`;
    return { namespace, namespaceLabels, labels, ...(serviceAccount === undefined ? {} : { serviceAccount }), meshed: false, target: selectorTarget(namespace, namespaceText, podText) };
}

/** `cluster.local/ns/N/sa/S` exactly (a pattern with `*` names no one pod). */
function istioPrincipal(principal: string): Representative | undefined {
    const match = /^[^/*]+\/ns\/([^/*]+)\/sa\/([^/*]+)$/.exec(principal);
    return match ? { namespace: match[1], namespaceLabels: {}, labels: {}, serviceAccount: match[2], meshed: true, target: selectorTarget(match[1], "", `service account ${match[2]}`) } : undefined;
}

function istioNamespace(namespace: string): Representative | undefined {
    return namespace.includes("*") ? undefined : { namespace, namespaceLabels: {}, labels: {}, meshed: true, target: selectorTarget(namespace, "", "all pods") };
}

/** The namespace by name where the peer names one, else as its selector reads. */
function selectorTarget(namespace: string | undefined, namespaceText: string, pods: string): ExposureTarget {
    return { kind: "selector", namespace: namespace ?? namespaceText, namespaceIsName: namespace !== undefined, pods };
}

/** A namespace a selector names through its name label. */
function namespaceNamed(labels: Labels): string | undefined {
    return namespaceNameLabels.map((key) => labels[key]).find((name) => name !== undefined);
}

/** A Calico selector, or null when it does not parse (the reachability run names it). */
function parsed(selector: unknown): SelectorNode | null {
    try {
        return parseSelector(String(selector));
    } catch {
        return null;
    }
}

/** Labels that a Calico selector matches, or undefined when the plain assignment (file comment) does not. */
function satisfying(node: SelectorNode): Labels | undefined {
    const labels = assignment(node);
    return labels !== undefined && matches(node, labels) ? labels : undefined;
}

function assignment(node: SelectorNode): Record<string, string> | undefined {
    switch (node.kind) {
        case "has": return { [node.label]: "x" };
        case "compare": return node.op === "!=" ? {} : { [node.label]: node.value };
        case "set": return node.op === "in" ? (node.values.length === 0 ? undefined : { [node.label]: node.values[0] }) : {};
        case "and": return node.operands.reduce<Record<string, string> | undefined>((all, operand) => {
            const own = assignment(operand);
            return all === undefined || own === undefined ? undefined : { ...all, ...own };
        }, {});
        case "or": return node.operands.map(satisfying).find((labels) => labels !== undefined);
        // all(), global() and negations: satisfied without labels.
        default: return {};
    }
}

/** Labels that a Kubernetes label selector matches, or undefined when its requirements contradict. */
function satisfyingLabels(selector: LabelSelector | null | undefined): Labels | undefined {
    const labels: Record<string, string> = Object.fromEntries(Object.entries(selector?.matchLabels ?? {}).map(([key, value]) => [key, String(value)]));
    for (const expression of selector?.matchExpressions ?? []) {
        const key = String(expression.key);
        const values = Array.isArray(expression.values) ? expression.values.map(String) : [];
        const value = labels[key];
        switch (expression.operator) {
            case "In":
                if (value !== undefined && !values.includes(value)) return undefined;
                labels[key] = value ?? values[0];
                break;
            case "NotIn":
                if (value !== undefined && values.includes(value)) return undefined;
                break;
            case "Exists":
                labels[key] = value ?? "x";
                break;
            case "DoesNotExist":
                if (value !== undefined) return undefined;
                break;
        }
    }
    return labels;
}

function isEmpty(selector: LabelSelector | null | undefined): boolean {
    return Object.keys(selector?.matchLabels ?? {}).length === 0 && (selector?.matchExpressions ?? []).length === 0;
}
