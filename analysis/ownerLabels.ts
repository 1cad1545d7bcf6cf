/**
 * Pods of one owner are one workload (the analyzer's naming, netpol/workloads.ts), analysed
 * with the labels of the first pod listed. That is exact only while no policy tells the pods
 * apart: when a ReplicaSet's pods are labelled `version: v1` and `v2` and a policy selects
 * `version: v2`, merging them would lose that policy for some pods. This check refuses such an
 * input, naming both pods and the selector, instead of analysing it silently wrong.
 */
import { Labels, matches, parseSelector, SelectorNode } from "./calicoSelector";
import { isClusterNetworkPolicy } from "./clusterPolicy/clusterNetworkPolicy";
import { KubeObject } from "./manifests";
import { labelSelectorNode } from "./netpol/labelSelector";
import { describeObject, namespaceOf } from "./netpol/workloads";

/** A pod label selector of some policy: where it is, and which namespace it selects in (undefined: any). */
interface PodSelector {
    readonly policy: string;
    readonly field: string;
    readonly namespace: string | undefined;
    readonly node: SelectorNode;
}

interface Variant {
    readonly pod: string;
    readonly labels: Labels;
}

type Mapping = Record<string, any>;

/** The pods of each owner, one per distinct label set, for owners whose pods differ. */
function ownersWithDifferingPods(objects: readonly KubeObject[]): Map<string, Variant[]> {
    const owners = new Map<string, Variant[]>();
    for (const object of objects) {
        const owner = object.kind === "Pod" ? object.metadata?.ownerReferences?.find((reference) => reference.controller === true) : undefined;
        if (owner === undefined || owner.kind === "Node") {
            continue;
        }
        const key = `${namespaceOf(object)}/${owner.name}[${owner.kind || "Pod"}]`;
        const labels = Object.fromEntries(Object.entries(object.metadata?.labels ?? {}).map(([label, value]) => [label, String(value)]));
        const variants = owners.get(key) ?? [];
        if (!variants.some((variant) => sameLabels(variant.labels, labels))) {
            variants.push({ pod: object.metadata?.name ?? "(unnamed)", labels });
        }
        owners.set(key, variants);
    }
    return new Map([...owners].filter(([, variants]) => variants.length > 1));
}

function sameLabels(a: Labels, b: Labels): boolean {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

function kubernetesSelectors(policy: KubeObject, name: string): PodSelector[] {
    const spec: Mapping = policy.spec ?? {};
    const namespace = namespaceOf(policy);
    const peers = (direction: "ingress" | "egress", field: "from" | "to") => ((spec[direction] ?? []) as Mapping[]).flatMap((rule, r) => ((rule[field] ?? []) as Mapping[])
        .flatMap((peer, p) => (peer.podSelector === undefined ? [] : [{
            policy: name, field: `spec.${direction}[${r}].${field}[${p}].podSelector`, namespace: peer.namespaceSelector === undefined ? namespace : undefined, node: labelSelectorNode(peer.podSelector),
        }])));
    return [{ policy: name, field: "spec.podSelector", namespace, node: labelSelectorNode(spec.podSelector ?? {}) }, ...peers("ingress", "from"), ...peers("egress", "to")];
}

function calicoSelectors(policy: KubeObject, name: string): PodSelector[] {
    const spec: Mapping = policy.spec ?? {};
    const namespace = policy.kind === "NetworkPolicy" ? namespaceOf(policy) : undefined;
    const selector = (text: unknown, field: string, scope: string | undefined): PodSelector[] => (typeof text === "string" ? [{ policy: name, field, namespace: scope, node: parseSelector(text) }] : []);
    const rules = (direction: "ingress" | "egress") => ((spec[direction] ?? []) as Mapping[]).flatMap((rule, r) => (["source", "destination"] as const).flatMap((side) => {
        const entity: Mapping = rule[side] ?? {};
        const scope = entity.namespaceSelector === undefined ? namespace : undefined;
        return [...selector(entity.selector, `spec.${direction}[${r}].${side}.selector`, scope), ...selector(entity.notSelector, `spec.${direction}[${r}].${side}.notSelector`, scope)];
    }));
    return [...selector(spec.selector, "spec.selector", namespace), ...rules("ingress"), ...rules("egress")];
}

/** A ClusterNetworkPolicy's pod selectors: its subject's and its peers' (`pods.podSelector`), in any namespace. */
function clusterPolicySelectors(policy: KubeObject): PodSelector[] {
    const spec: Mapping = policy.spec ?? {};
    const name = `ClusterNetworkPolicy ${policy.metadata?.name ?? ""}`;
    const selection = (value: Mapping | undefined, field: string): PodSelector[] => (value?.pods?.podSelector === undefined ? []
        : [{ policy: name, field: `${field}.pods.podSelector`, namespace: undefined, node: labelSelectorNode(value.pods.podSelector) }]);
    const peers = (direction: "ingress" | "egress", field: "from" | "to") => ((spec[direction] ?? []) as Mapping[])
        .flatMap((rule, r) => ((rule[field] ?? []) as Mapping[]).flatMap((peer, p) => selection(peer, `spec.${direction}[${r}].${field}[${p}]`)));
    return [...selection(spec.subject, "spec.subject"), ...peers("ingress", "from"), ...peers("egress", "to")];
}

function istioSelectors(policy: KubeObject, name: string): PodSelector[] {
    const spec: Mapping = policy.spec ?? {};
    const labels: Mapping | undefined = spec.selector?.matchLabels ?? spec.workloadSelector?.labels;
    // A policy in the root namespace applies mesh-wide.
    const namespace = namespaceOf(policy) === "istio-system" ? undefined : namespaceOf(policy);
    return labels === undefined ? [] : [{ policy: name, field: spec.selector ? "spec.selector" : "spec.workloadSelector", namespace, node: labelSelectorNode({ matchLabels: labels }) }];
}

function podSelectors(objects: readonly KubeObject[]): PodSelector[] {
    return objects.flatMap((object) => {
        const group = String(object.apiVersion ?? "").split("/")[0];
        const name = describeObject(object);
        if (object.kind === "NetworkPolicy" && !group.includes("projectcalico.org")) {
            return kubernetesSelectors(object, name);
        }
        if (group.endsWith("projectcalico.org") && (object.kind === "NetworkPolicy" || object.kind === "GlobalNetworkPolicy")) {
            return calicoSelectors(object, object.kind === "GlobalNetworkPolicy" ? `GlobalNetworkPolicy ${object.metadata?.name}` : name);
        }
        if (isClusterNetworkPolicy(object)) {
            return clusterPolicySelectors(object);
        }
        return group.endsWith("istio.io") ? istioSelectors(object, name) : [];
    });
}

export class DifferingPodsError extends Error {}

/** Throws a DifferingPodsError when some policy selects one pod of an owner but not another, naming both pods and the selector. */
export function checkOwnersPodsAlike(objects: readonly KubeObject[]): void {
    const owners = ownersWithDifferingPods(objects);
    if (owners.size === 0) {
        return;
    }
    const selectors = podSelectors(objects);
    for (const [owner, variants] of owners) {
        const namespace = owner.slice(0, owner.indexOf("/"));
        for (const selector of selectors.filter((candidate) => candidate.namespace === undefined || candidate.namespace === namespace)) {
            const selected = variants.find((variant) => matches(selector.node, variant.labels));
            const missed = variants.find((variant) => !matches(selector.node, variant.labels));
            if (selected !== undefined && missed !== undefined) {
                throw new DifferingPodsError(`pods ${namespace}/${selected.pod} and ${namespace}/${missed.pod} of ${owner} have different labels, and ${selector.policy} `
                    + `${selector.field} selects ${selected.pod} but not ${missed.pod}; the pods of one owner are analysed as one workload, so give them the labels the policies select alike, `
                    + "or list them without their owner reference to analyse each pod on its own");
            }
        }
    }
}
