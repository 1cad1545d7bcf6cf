import { KubeObject } from "../../analysis/manifests";
import { syntheticCluster } from "./syntheticCluster";

/**
 * The synthetic cluster (syntheticCluster.ts) with its cluster guardrails written as
 * ClusterNetworkPolicies, as a stack in ClusterNetworkPolicy mode has them: in the Admin tier
 * DNS to kube-dns for every app namespace, metrics scraping from `monitoring`, and a per-team
 * quarantine (pods labelled `quarantine: "true"` may neither send nor receive), one policy per
 * namespace; in the Baseline tier a deny-all for the app namespaces, in and out (pods and
 * `0.0.0.0/0`, `::/0`), which each app's NetworkPolicies override.
 *
 *   - `kubernetes`: the cluster's Calico objects (default-deny, per-namespace DNS allow,
 *     per-app metrics policy) replaced by these: the NetworkPolicy engine, in Kubernetes' order;
 *   - `calico`: these beside the cluster's Calico objects: the Calico engine, in the kube-admin
 *     and kube-baseline tiers (the Calico default-deny applies to every app pod, so the
 *     Baseline tier decides nothing for them).
 */
export type ClusterPolicyShape = "kubernetes" | "calico";

const appNamespaces = { namespaces: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: ["kube-system", "monitoring"] }] } };

function policy(name: string, tier: "Admin" | "Baseline", priority: number, spec: Record<string, unknown>): KubeObject {
    return { apiVersion: "policy.networking.k8s.io/v1alpha2", kind: "ClusterNetworkPolicy", metadata: { name }, spec: { tier, priority, ...spec } };
}

export function clusterPolicyCluster(workloads: number, shape: ClusterPolicyShape): KubeObject[] {
    const base = syntheticCluster(workloads);
    const objects = shape === "calico" ? base : base.filter((object) => !String(object.apiVersion).startsWith("projectcalico.org/"));
    const namespaces = Math.ceil(workloads / 10);
    objects.push(
        policy("allow-dns", "Admin", 10, {
            subject: appNamespaces,
            egress: [{ name: "kube-dns", action: "Accept", to: [{ pods: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } } }],
                protocols: [{ udp: { destinationPort: { number: 53 } } }, { tcp: { destinationPort: { number: 53 } } }] }],
        }),
        policy("allow-metrics", "Admin", 20, {
            subject: appNamespaces,
            ingress: [{ name: "prometheus", action: "Accept", from: [{ namespaces: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }], protocols: [{ tcp: { destinationPort: { number: 15090 } } }] }],
        }),
        policy("app-default-deny", "Baseline", 100, {
            subject: appNamespaces,
            ingress: [{ name: "deny-all", action: "Deny", from: [{ namespaces: {} }] }],
            egress: [{ name: "deny-all", action: "Deny", to: [{ namespaces: {} }, { networks: ["0.0.0.0/0", "::/0"] }] }],
        }),
    );
    for (let n = 0; n < namespaces; n++) {
        const quarantined = { pods: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": `team-${n}` } }, podSelector: { matchLabels: { quarantine: "true" } } } };
        objects.push(policy(`quarantine-team-${n}`, "Admin", 100 + (n % 900), {
            subject: quarantined,
            ingress: [{ name: "nothing-in", action: "Deny", from: [{ namespaces: {} }] }],
            egress: [{ name: "nothing-out", action: "Deny", to: [{ namespaces: {} }, { networks: ["0.0.0.0/0", "::/0"] }] }],
        }));
    }
    return objects;
}
