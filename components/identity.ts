import * as k8s from "@pulumi/kubernetes";

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
