import { KubeObject } from "../../components/analysis/manifests";

/**
 * A synthetic cluster of `workloads` Deployments for the reachability benchmark: ten per
 * namespace, in groups of five that share an app label (as replicas of one app behind
 * several Deployments do), one Kubernetes NetworkPolicy and one AuthorizationPolicy per app,
 * one Calico NetworkPolicy per namespace and a cluster-wide Calico default-deny. Each app
 * admits the previous app; every namespace is meshed.
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
            objects.push({
                apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: app, namespace: ns },
                spec: { podSelector: { matchLabels: { app } }, policyTypes: ["Ingress", "Egress"], ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: previous } } }], ports: [{ port: 8080 }] }], egress: [{ to: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: `app-${Math.floor(i / 5) + 1}` } } }] }] },
            });
            objects.push({
                apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: app, namespace: ns },
                spec: { selector: { matchLabels: { app } }, rules: [{ from: [{ source: { principals: [`cluster.local/ns/${previousNamespace}/sa/${previous}`] } }], to: [{ operation: { methods: ["GET"], paths: ["/api/*"] } }] }] },
            });
        }
    }
    return objects;
}
