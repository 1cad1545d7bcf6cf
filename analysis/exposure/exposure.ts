/**
 * Exposure analysis, as netpol-analyzer's `list --exposure`: for each workload, what its
 * NetworkPolicies leave open beyond the workloads of the input. Where Calico,
 * ClusterNetworkPolicy or Istio policy takes part, layeredExposure.ts answers instead. On each side (ingress, egress):
 *   - not protected (no policy isolates that side): the whole cluster and every address;
 *   - open to the whole cluster: the ports of the rules whose peers are "any pod in any
 *     namespace" (no peers, or `namespaceSelector: {}` with an empty or absent podSelector);
 *   - open to a selector: for each rule peer that selects pods by labels (any pod with labels L
 *     in namespaces with labels N), the ports the workload's rules allow to such a pod,
 *     printed as that selector (`[all namespaces]/[pod with {k8s-app=kube-dns}]`), when they
 *     differ from the whole-cluster ports.
 *
 * The connectivity engine answers for the workloads in the input only, and evaluates compiled
 * selectors; this needs the rules' selectors as written (to print them, and to tell which rule
 * peers stand for the same selector), so the policies are read again here. The rules follow
 * netpol-analyzer (pkg/netpol/eval/exposure.go, internal/k8s/representative_selectors.go):
 *   - one representative peer per distinct (namespace selector, pod selector) of any rule of any
 *     policy; a peer without namespaceSelector selects pods of its policy's namespace (written
 *     `{kubernetes.io/metadata.name: NS}`); selectors are the same when their requirements,
 *     sorted by key, are (`In [x]` is `x` = `=x`);
 *   - a representative peer whose selectors are both non-empty label maps (no expressions) and
 *     that some workload of the input matches is dropped: that workload is in the list already;
 *   - a rule peer admits a representative peer when its selectors are empty or equal to the
 *     representative's (not when they merely overlap): exposure reports the rules as written;
 *   - a rule that admits the whole cluster through one peer counts for the whole cluster only:
 *     its other pod-selecting peers are not reported (npa's getSelectorsAndUpdateExposureClusterWideConns);
 *   - named ports stay names towards a representative peer or the whole cluster (egress), and
 *     resolve on the workload itself on ingress.
 */
import { KubeObject } from "../manifests";
import { compileRulePorts, ConnectionSet, NetworkPolicyPort, parseProtocol } from "../netpol/ports";
import { isKubernetesNetworkPolicy, NetworkPolicy, parseNetworkPolicy, policySelects, PodIdentity } from "../netpol/policy";
import { clusterModel } from "../model/cluster";
import { hasIstioPolicy } from "../istio/evaluate";
import { LabelSelector } from "../netpol/labelSelector";
import { namespaceOf, Workload } from "../netpol/workloads";
import { Labels } from "../calicoSelector";
import { namesWorkload, parseFocusDirection } from "../formats/focus";
import { ExposureConnections } from "./exposureConnections";
import { layeredExposure } from "./layeredExposure";
import { ExposedWorkload, ExposureEntry, ExposureOptions, ExposureTarget, labelSelectorText, SideExposure } from "./target";

export type { ExposedWorkload, ExposureEntry, ExposureOptions, ExposureTarget, SideExposure } from "./target";
export { exposureTargetText } from "./target";

interface RulePeer {
    readonly ipBlock: boolean;
    readonly namespaceSelector?: LabelSelector | null;
    readonly podSelector?: LabelSelector | null;
}

/** A rule as written, beside its compiled form (same position in the compiled policy). */
interface Rule {
    /** Absent: the rule names no peers and admits every peer. */
    readonly peers?: readonly RulePeer[];
    readonly ports: readonly NetworkPolicyPort[] | undefined;
    /** The ports the rule allows towards a real pod with these container ports. */
    readonly portsOn: (destination: Workload) => ConnectionSet;
}

interface Policy {
    /** Its position among the input's policies. */
    readonly index: number;
    readonly compiled: NetworkPolicy;
    readonly namespace: string;
    /** Absent when the policy does not isolate that side. */
    readonly ingress?: readonly Rule[];
    readonly egress?: readonly Rule[];
}

/** A pod that no workload of the input stands for, inferred from a rule peer's selectors. */
interface Representative {
    readonly namespaceSelector: LabelSelector;
    /** Absent: any pod. */
    readonly podSelector?: LabelSelector;
    /** The policy's namespace when the rule peer had no namespaceSelector, else empty. */
    readonly namespace: string;
}

/**
 * The exposure of each workload of `objects` that the options focus on (all by default), in
 * the input's workload order; a workload that is protected on both sides and open to nothing
 * beyond the input is left out, as netpol-analyzer leaves it out.
 */
export function exposure(objects: readonly KubeObject[], options: ExposureOptions = {}): ExposedWorkload[] {
    // The rules as written answer for Kubernetes NetworkPolicies alone: where Calico, ClusterNetworkPolicy or Istio take part, every layer is probed.
    const model = clusterModel(objects);
    if (model.hasCalicoObjects || model.ofKind("ClusterNetworkPolicy").length > 0 || hasIstioPolicy(objects)) {
        return layeredExposure(objects, options);
    }
    const cluster = model.cluster;
    const policies = objects.filter(isKubernetesNetworkPolicy).map(readPolicy);
    const namespaceLabels = (namespace: string): Labels => cluster.namespaces.get(namespace) ?? { "kubernetes.io/metadata.name": namespace };
    // Workloads alike in namespace and labels are selected alike: each such shape is tried once.
    const shapes = new Map<string, Workload>();
    for (const workload of cluster.workloads) {
        shapes.set(shapeKey(workload), workload);
    }
    const shapesByNamespace = new Map<string, Workload[]>();
    for (const workload of shapes.values()) {
        const inNamespace = shapesByNamespace.get(workload.namespace);
        if (inNamespace) {
            inNamespace.push(workload);
        } else {
            shapesByNamespace.set(workload.namespace, [workload]);
        }
    }
    const representatives = representativesOf(policies).filter((representative) => !standsForSome(representative, shapesByNamespace, namespaceLabels));
    // The representatives each rule admits, found once per rule rather than once per workload.
    const admittedByRule = new Map<Rule, readonly Representative[]>();
    const admitted = (rule: Rule, policy: Policy): readonly Representative[] => {
        let found = admittedByRule.get(rule);
        if (found === undefined) {
            found = representatives.filter((representative) => ruleAdmits(rule, policy.namespace, representative));
            admittedByRule.set(rule, found);
        }
        return found;
    };
    const focus = options.focusworkload ?? [];
    const direction = parseFocusDirection(options.focusDirection);
    const selectingByShape = new Map<string, Policy[]>();
    /** By the isolating policies (and, on ingress, the named ports they resolve on): a side's exposure. */
    const sides = new Map<string, SideExposure | undefined>();
    const result: ExposedWorkload[] = [];
    for (const workload of cluster.workloads) {
        if (focus.length > 0 && !focus.some((name) => namesWorkload(name, workload))) {
            continue;
        }
        let selecting = selectingByShape.get(shapeKey(workload));
        if (selecting === undefined) {
            const identity: PodIdentity = { namespace: workload.namespace, namespaceLabels: namespaceLabels(workload.namespace), labels: workload.labels };
            selecting = policies.filter((policy) => policySelects(policy.compiled, identity));
            selectingByShape.set(shapeKey(workload), selecting);
        }
        const side = (name: "ingress" | "egress"): SideExposure | undefined => {
            if (direction !== undefined && direction !== name) {
                return undefined;
            }
            const isolating = (selecting ?? []).filter((policy) => policy[name] !== undefined);
            const key = `${name}\n${isolating.map((policy) => policy.index).join(",")}\n${name === "ingress" ? JSON.stringify(workload.containerPorts) : ""}`;
            if (!sides.has(key)) {
                sides.set(key, sideExposure(workload, isolating, name, admitted));
            }
            return sides.get(key);
        };
        const ingress = side("ingress");
        const egress = side("egress");
        if (ingress !== undefined || egress !== undefined) {
            const safe: SideExposure = { protected: true, entries: [] };
            result.push({ workload, ingress: ingress ?? safe, egress: egress ?? safe });
        }
    }
    return result;
}

/**
 * A side's exposure; undefined when the side is protected and open to nothing beyond the input.
 * `admitted`: the representatives a rule admits.
 */
function sideExposure(workload: Workload, isolating: readonly Policy[], side: "ingress" | "egress", admitted: (rule: Rule, policy: Policy) => readonly Representative[]): SideExposure | undefined {
    if (isolating.length === 0) {
        return { protected: false, entries: [{ target: { kind: "entire-cluster" }, connections: ExposureConnections.all }] };
    }
    const rules = isolating.flatMap((policy) => (policy[side] ?? []).map((rule) => ({ rule, policy })));
    // Towards pods no input workload stands for, named ports stay names; on ingress they resolve on the workload.
    const portsOf = (rule: Rule) => (side === "ingress" ? new ExposureConnections(rule.portsOn(workload), new Map()) : unresolvedPorts(rule));
    let wholeCluster = rules.filter(({ rule }) => admitsWholeCluster(rule)).reduce((all, { rule }) => all.union(unresolvedPorts(rule)), ExposureConnections.none);
    if (side === "ingress") {
        wholeCluster = wholeCluster.resolvedOn(workload.containerPorts);
    }
    const entries: ExposureEntry[] = wholeCluster.isEmpty() ? [] : [{ target: { kind: "entire-cluster" }, connections: wholeCluster }];
    // A representative no rule admits gets no ports: it says nothing (with whole-cluster ports, every rule admitting the cluster admits it).
    const byRepresentative = new Map<Representative, ExposureConnections>();
    for (const { rule, policy } of rules) {
        for (const representative of admitted(rule, policy)) {
            byRepresentative.set(representative, (byRepresentative.get(representative) ?? ExposureConnections.none).union(portsOf(rule)));
        }
    }
    for (const [representative, connections] of byRepresentative) {
        // Ports equal to the whole cluster's say nothing more; no ports say nothing unless they carve a hole in the whole cluster's.
        if (connections.equals(wholeCluster) || (wholeCluster.isEmpty() && connections.isEmpty())) {
            continue;
        }
        entries.push({ target: representativeTarget(representative), connections });
    }
    return entries.length === 0 ? undefined : { protected: true, entries };
}

/** A workload's namespace and labels, what decides which policies select it. */
function shapeKey(workload: Workload): string {
    return JSON.stringify([workload.namespace, Object.entries(workload.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
}

function readPolicy(object: KubeObject, index: number): Policy {
    const compiled = parseNetworkPolicy(object);
    const spec = (object.spec ?? {}) as { ingress?: { from?: RulePeer[]; ports?: NetworkPolicyPort[] }[]; egress?: { to?: RulePeer[]; ports?: NetworkPolicyPort[] }[] };
    const rules = (written: { peers?: RulePeer[]; ports?: NetworkPolicyPort[] }[], compiledRules: NetworkPolicy["ingress"]): Rule[] =>
        written.map((rule, index) => ({
            peers: rule.peers && rule.peers.length > 0 ? rule.peers.map((peer) => ({ ipBlock: Boolean((peer as { ipBlock?: unknown }).ipBlock), namespaceSelector: peer.namespaceSelector, podSelector: peer.podSelector })) : undefined,
            ports: rule.ports,
            portsOn: (destination) => compiledRules?.[index]?.ports(destination.containerPorts) ?? ConnectionSet.none,
        }));
    return {
        index,
        compiled,
        namespace: namespaceOf(object),
        ingress: compiled.ingress === undefined ? undefined : rules((spec.ingress ?? []).map((rule) => ({ peers: rule.from, ports: rule.ports })), compiled.ingress),
        egress: compiled.egress === undefined ? undefined : rules((spec.egress ?? []).map((rule) => ({ peers: rule.to, ports: rule.ports })), compiled.egress),
    };
}

/** The rule's ports where no pod resolves its named ports. */
function unresolvedPorts(rule: Rule): ExposureConnections {
    if (!rule.ports || rule.ports.length === 0) {
        return ExposureConnections.all;
    }
    const numbered = rule.ports.filter((entry) => typeof entry.port !== "string");
    const base = new ExposureConnections(numbered.length === 0 ? ConnectionSet.none : compileRulePorts(numbered)([]), new Map());
    return rule.ports
        .filter((entry) => typeof entry.port === "string")
        .reduce((all, entry) => all.union(ExposureConnections.named(parseProtocol(entry.protocol), entry.port as string)), base);
}

/** No peers, or a peer `namespaceSelector: {}` with an empty or absent podSelector. */
function admitsWholeCluster(rule: Rule): boolean {
    return rule.peers === undefined || rule.peers.some((peer) => !peer.ipBlock && selectsAllNamespaces(peer));
}

function selectsAllNamespaces(peer: RulePeer): boolean {
    return isSet(peer.namespaceSelector) && isEmptySelector(peer.namespaceSelector) && (!isSet(peer.podSelector) || isEmptySelector(peer.podSelector));
}

/**
 * Every distinct representative peer the rules infer, in policy and rule order (ingress, then
 * egress). A rule that admits the whole cluster contributes none (see the file comment).
 */
function representativesOf(policies: readonly Policy[]): Representative[] {
    const byKey = new Map<string, Representative>();
    for (const policy of policies) {
        for (const rule of [...(policy.ingress ?? []), ...(policy.egress ?? [])]) {
            if (admitsWholeCluster(rule)) {
                continue;
            }
            for (const peer of rule.peers ?? []) {
                if (peer.ipBlock) {
                    continue;
                }
                const representative: Representative = isSet(peer.namespaceSelector)
                    ? { namespaceSelector: peer.namespaceSelector, podSelector: peer.podSelector ?? undefined, namespace: "" }
                    : { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": policy.namespace } }, podSelector: peer.podSelector ?? undefined, namespace: policy.namespace };
                const key = `${requirements(representative.namespaceSelector).join("")}/${requirements(representative.podSelector).join("")}`;
                if (!byKey.has(key)) {
                    byKey.set(key, representative);
                }
            }
        }
    }
    return [...byKey.values()];
}

/**
 * Whether a workload of the input is what the representative stands for: both selectors are
 * plain, non-empty label maps, and some workload (`shapes`, by namespace) matches both.
 */
function standsForSome(representative: Representative, shapes: ReadonlyMap<string, readonly Workload[]>, namespaceLabels: (namespace: string) => Labels): boolean {
    const { namespaceSelector, podSelector } = representative;
    if (!podSelector || (podSelector.matchExpressions ?? []).length > 0 || (namespaceSelector.matchExpressions ?? []).length > 0) {
        return false;
    }
    const namespaceMap = Object.entries(namespaceSelector.matchLabels ?? {}).map(([key, value]) => [key, String(value)]);
    const podMap = Object.entries(podSelector.matchLabels ?? {}).map(([key, value]) => [key, String(value)]);
    if (namespaceMap.length === 0 || podMap.length === 0) {
        return false;
    }
    return [...shapes].some(([namespace, workloads]) => {
        const labels = namespaceLabels(namespace);
        return namespaceMap.every(([key, value]) => labels[key] === value) && workloads.some((workload) => podMap.every(([key, value]) => workload.labels[key] === value));
    });
}

function ruleAdmits(rule: Rule, policyNamespace: string, representative: Representative): boolean {
    return rule.peers === undefined || rule.peers.some((peer) => {
        if (peer.ipBlock) {
            return false;
        }
        const namespaceMatch = isSet(peer.namespaceSelector) ? sameSelector(peer.namespaceSelector, representative.namespaceSelector) : policyNamespace === representative.namespace;
        return namespaceMatch && (!isSet(peer.podSelector) || sameSelector(peer.podSelector, representative.podSelector));
    });
}

/** An empty rule selector admits every representative; otherwise the requirements must be the same. */
function sameSelector(rule: LabelSelector, representative: LabelSelector | undefined): boolean {
    if (isEmptySelector(rule)) {
        return true;
    }
    const ruleRequirements = requirements(rule);
    const representativeRequirements = requirements(representative);
    return ruleRequirements.length === representativeRequirements.length && ruleRequirements.every((requirement, i) => requirement === representativeRequirements[i]);
}

/**
 * A selector's requirements as Kubernetes prints them (`k=v`, `k in (a,b)`, `k notin (a,b)`,
 * `k`, `!k`), sorted by key; `In` with one value is `k=v`, so that it equals a matchLabels entry.
 */
function requirements(selector: LabelSelector | undefined): readonly string[] {
    if (!selector) {
        return [];
    }
    let known = requirementsBySelector.get(selector);
    if (known === undefined) {
        known = selectorRequirements(selector);
        requirementsBySelector.set(selector, known);
    }
    return known;
}

/** Each selector object's requirements, worked out once: a rule peer is compared with every representative. */
const requirementsBySelector = new WeakMap<LabelSelector, readonly string[]>();

function selectorRequirements(selector: LabelSelector): string[] {
    const entries: [string, string][] = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => [key, `${key}=${String(value)}`]);
    for (const expression of selector.matchExpressions ?? []) {
        const key = String(expression.key);
        const values = Array.isArray(expression.values) ? expression.values.map(String) : [];
        const sorted = [...values].sort().join(",");
        switch (expression.operator) {
            case "In": entries.push([key, values.length === 1 ? `${key}=${values[0]}` : `${key} in (${sorted})`]); break;
            case "NotIn": entries.push([key, `${key} notin (${sorted})`]); break;
            case "Exists": entries.push([key, key]); break;
            case "DoesNotExist": entries.push([key, `!${key}`]); break;
            // Another operator cannot get here: compiling the policy (readPolicy) refused it.
        }
    }
    return entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, text]) => text);
}

function representativeTarget(representative: Representative): ExposureTarget {
    const { namespaceSelector, podSelector } = representative;
    const namespaceLabels = Object.entries(namespaceSelector.matchLabels ?? {});
    const byName = namespaceLabels.length === 1 && namespaceLabels[0][0] === "kubernetes.io/metadata.name" && (namespaceSelector.matchExpressions ?? []).length === 0;
    return {
        kind: "selector",
        namespace: byName ? String(namespaceLabels[0][1]) : isEmptySelector(namespaceSelector) ? "all namespaces" : `namespace with {${labelSelectorText(namespaceSelector)}}`,
        namespaceIsName: byName,
        pods: !podSelector || isEmptySelector(podSelector) ? "all pods" : `pod with {${labelSelectorText(podSelector)}}`,
    };
}

function isSet<T>(value: T | null | undefined): value is T {
    return value !== undefined && value !== null;
}

function isEmptySelector(selector: LabelSelector): boolean {
    return Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0;
}

