import { KubeObject } from "../../analysis/manifests";

/**
 * A synthetic cluster of `workloads` Deployments for the reachability benchmark: ten per
 * namespace, in groups of five that share an app label (as replicas of one app behind
 * several Deployments do). Policies grow with the workloads, about 1.1 per workload: per app,
 * Kubernetes NetworkPolicies for ingress and for egress, a Calico NetworkPolicy for metrics
 * scraping, an ALLOW and a DENY AuthorizationPolicy; per namespace, a Calico DNS allow; and a
 * cluster-wide Calico default-deny. Each app admits the previous app; every namespace is meshed.
 */
export function syntheticCluster(workloads: number): KubeObject[] {
    const objects: KubeObject[] = [];
    const namespaces = Math.ceil(workloads / 10);
    for (let n = 0; n < namespaces; n++) {
        const ns = `team-${n}`;
        objects.push({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns, labels: { "istio-injection": "enabled" } } });
        objects.push({
            apiVersion: "projectcalico.org/v3", kind: "NetworkPolicy", metadata: { name: "allow-dns", namespace: ns },
            spec: { order: 100, selector: "all()", types: ["Egress"], egress: [{ action: "Allow", protocol: "UDP", destination: { namespaceSelector: "projectcalico.org/name == \"kube-system\"", ports: [53] } }] },
        });
    }
    objects.push({ apiVersion: "projectcalico.org/v3", kind: "GlobalNetworkPolicy", metadata: { name: "default-deny" }, spec: { namespaceSelector: "projectcalico.org/name != \"kube-system\"", types: ["Ingress", "Egress"] } });
    for (let i = 0; i < workloads; i++) {
        const ns = `team-${Math.floor(i / 10)}`;
        const app = `app-${Math.floor(i / 5)}`;
        const previous = `app-${Math.floor(i / 5) - 1}`;
        const previousNamespace = `team-${Math.floor((Math.floor(i / 5) - 1) * 5 / 10)}`;
        objects.push({
            apiVersion: "apps/v1", kind: "Deployment", metadata: { name: `w-${i}`, namespace: ns },
            spec: { selector: { matchLabels: { app } }, template: { metadata: { labels: { app } }, spec: { serviceAccountName: app, containers: [{ name: "c", image: "x:1", ports: [{ name: "http", containerPort: 8080 }] }] } } },
        });
        if (i % 5 === 0) {
            objects.push(...appPolicies(ns, app, previous, previousNamespace, `app-${Math.floor(i / 5) + 1}`));
        }
    }
    return objects;
}

function appPolicies(ns: string, app: string, previous: string, previousNamespace: string, next: string): KubeObject[] {
    const metadata = (suffix: string) => ({ name: `${app}-${suffix}`, namespace: ns });
    return [
        {
            apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: metadata("ingress"),
            spec: { podSelector: { matchLabels: { app } }, policyTypes: ["Ingress"], ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: previous } } }], ports: [{ port: 8080 }] }] },
        },
        {
            apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: metadata("egress"),
            spec: { podSelector: { matchLabels: { app } }, policyTypes: ["Egress"], egress: [{ to: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: next } } }] }] },
        },
        {
            apiVersion: "projectcalico.org/v3", kind: "NetworkPolicy", metadata: metadata("metrics"),
            spec: { order: 200, selector: `app == "${app}"`, types: ["Ingress"], ingress: [{ action: "Allow", protocol: "TCP", source: { namespaceSelector: "projectcalico.org/name == \"monitoring\"" }, destination: { ports: [15090] } }] },
        },
        {
            apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: metadata("allow"),
            spec: { selector: { matchLabels: { app } }, rules: [{ from: [{ source: { principals: [`cluster.local/ns/${previousNamespace}/sa/${previous}`] } }], to: [{ operation: { methods: ["GET"], paths: ["/api/*"] } }] }] },
        },
        {
            apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: metadata("deny-admin"),
            spec: { selector: { matchLabels: { app } }, action: "DENY", rules: [{ to: [{ operation: { paths: ["/api/admin*"] } }] }] },
        },
    ];
}
