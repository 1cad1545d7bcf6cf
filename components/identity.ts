import * as k8s from "@pulumi/kubernetes";
import { Problems, checkDns1123Label, checkLabels, isDns1123Label } from "./problems";

/**
 * Who a workload is, at both layers: its pods' labels and namespace (what NetworkPolicy and
 * Calico select on) and its ServiceAccount (its mesh identity, the SPIFFE principal
 * `<trustDomain>/ns/<namespace>/sa/<serviceAccount>` that AuthorizationPolicy matches).
 * Plain values, not Inputs: policies are generated from them at construction, and a mistake
 * in them must be reported at preview.
 */
export interface WorkloadIdentity {
    /** A readable name for messages, e.g. the service name. */
    name: string;
    namespace: string;
    serviceAccount: string;
    /** Labels every pod of the workload carries (all versions). */
    podLabels: Record<string, string>;
}

/** The mesh trust domain Istio uses unless `meshConfig.trustDomain` says otherwise. */
export const defaultTrustDomain = "cluster.local";

/**
 * Adds what is wrong with a pod selector's labels: every key and value as the API server
 * checks them, and at least one label, since a selector without labels selects every pod of
 * its namespace (NetworkPolicy `podSelector: {}`, AuthorizationPolicy `matchLabels: {}`, Calico
 * `all()`), far more than one workload.
 */
export function checkPodSelector(problems: Problems, field: string, labels: Record<string, string>): void {
    checkLabels(problems, field, labels);
    if (typeof labels === "object" && labels !== null && Object.keys(labels).length === 0) {
        problems.add(field, "no label is given, so the selector would select every pod of the namespace", "give the labels every pod of this workload carries, and no other pod, e.g. { app: \"<workload>\" }");
    }
}

/**
 * Adds what is wrong with a workload identity, under `field` (e.g. `monitoring`): the namespace
 * and ServiceAccount (DNS-1123 labels: no `*`, which in a principal would match every
 * namespace or ServiceAccount) and the pod labels (see `checkPodSelector`). Every identity
 * ztmesh writes into a policy goes through here, so none can widen a rule.
 */
export function checkWorkloadIdentity(problems: Problems, field: string, identity: Pick<WorkloadIdentity, "namespace" | "serviceAccount" | "podLabels">): void {
    const at = (key: string) => (field ? `${field}.${key}` : key);
    if (typeof identity !== "object" || identity === null) {
        problems.add(field || "identity", "no identity is given", "give { namespace, serviceAccount, podLabels }");
        return;
    }
    checkDns1123Label(problems, at("namespace"), identity.namespace);
    checkDns1123Label(problems, at("serviceAccount"), identity.serviceAccount, 253);
    checkPodSelector(problems, at("podLabels"), identity.podLabels);
}

/** Everything wrong with one workload identity, with field paths relative to it (`namespace`, `serviceAccount`, `podLabels[...]`). */
export function validateWorkloadIdentity(identity: Pick<WorkloadIdentity, "namespace" | "serviceAccount" | "podLabels">): Problems {
    const problems = new Problems();
    checkWorkloadIdentity(problems, "", identity);
    return problems;
}

/**
 * Adds what is wrong with a trust domain, checked as Istio checks `meshConfig.trustDomain`:
 * DNS-1123 labels joined by '.', an empty last label (a trailing dot) allowed. The trust domain
 * is the first part of every principal, so `*` or a `/` in it would make a principal match
 * workloads of any trust domain, namespace or ServiceAccount.
 */
export function checkTrustDomain(problems: Problems, field: string, trustDomain: string): void {
    const labels = typeof trustDomain === "string" ? trustDomain.split(".") : [];
    const valid = typeof trustDomain === "string" && trustDomain.length <= 253
        && labels.every((label, index) => (index === labels.length - 1 && index > 0 && label === "") || isDns1123Label(label));
    if (!valid) {
        problems.add(field, `${JSON.stringify(trustDomain)} is not a trust domain`, `use a DNS name of lower-case letters, digits, '-' and '.' (e.g. "${defaultTrustDomain}"), as Istio's meshConfig.trustDomain; no '*' or '/'`);
    }
}

/** The SPIFFE principal of a workload, as AuthorizationPolicy `source.principals` spells it. */
export function principalOf(identity: WorkloadIdentity, trustDomain = defaultTrustDomain): string {
    return `${trustDomain}/ns/${identity.namespace}/sa/${identity.serviceAccount}`;
}

/** The label every namespace carries with its own name (Kubernetes ≥ 1.21). */
export const namespaceNameLabel = "kubernetes.io/metadata.name";

/** A NetworkPolicy peer that selects exactly the pods of `identity` in its namespace. */
export function networkPolicyPeer(identity: Pick<WorkloadIdentity, "namespace" | "podLabels">): k8s.types.input.networking.v1.NetworkPolicyPeer {
    return {
        namespaceSelector: { matchLabels: { [namespaceNameLabel]: identity.namespace } },
        podSelector: { matchLabels: { ...identity.podLabels } },
    };
}

/**
 * A Calico selector expression that requires every label of `labels`, in sorted order so
 * that the same labels always give the same string (and no spurious diff).
 */
export function calicoLabelSelector(labels: Record<string, string>): string {
    const terms = Object.keys(labels)
        .sort()
        .map((key) => `${key} == ${JSON.stringify(labels[key])}`);
    return terms.length > 0 ? terms.join(" && ") : "all()";
}

/** A Calico namespace selector for one namespace, by the label Calico gives every namespace. */
export function calicoNamespaceSelector(namespace: string): string {
    return `projectcalico.org/name == ${JSON.stringify(namespace)}`;
}
