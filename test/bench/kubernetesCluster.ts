import { KubeObject } from "../../analysis/manifests";
import { seededRandom } from "../harness/random";

/**
 * A cluster with Kubernetes NetworkPolicy only (no Calico, no Istio), shaped like the inputs
 * np-guard/netpol-analyzer is run on, for the reachability benchmark: about 100 workloads per
 * namespace, in apps of five (Deployments, StatefulSets and bare Pods), each with several labels
 * (app, tier, version, and an instance label no selector reads) and named container ports.
 * Policies grow with the workloads: per namespace a deny-all (in four namespaces of five), a
 * DNS egress allow and a monitoring ingress allow; per app an ingress policy (from the previous
 * app, and from the frontends of a neighbouring namespace by matchExpressions and a
 * namespaceSelector; named ports and a port range), an egress policy for most apps (to the next
 * app, and, by tier, to the internet or a partner network as ipBlocks with excepts). What each
 * workload reaches stays bounded as the cluster grows, as in a real one, so the listing grows
 * with the workloads rather than with their square. Seeded: the same size gives the same cluster.
 */
export function kubernetesCluster(workloads: number, seed = 1): KubeObject[] {
    const random = seededRandom(seed);
    const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
    const namespaceCount = Math.max(1, Math.round(workloads / 100));
    const namespaceName = (n: number) => `ns-${(n + namespaceCount) % namespaceCount}`;
    const objects: KubeObject[] = [
        { apiVersion: "v1", kind: "Namespace", metadata: { name: "kube-system" } },
        {
            apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "coredns", namespace: "kube-system" },
            spec: {
                selector: { matchLabels: { "k8s-app": "kube-dns" } },
                template: { metadata: { labels: { "k8s-app": "kube-dns" } }, spec: { containers: [{ name: "coredns", image: "coredns:1", ports: [{ name: "dns", containerPort: 53, protocol: "UDP" }, { name: "dns-tcp", containerPort: 53 }] }] } },
            },
        },
        { apiVersion: "v1", kind: "Namespace", metadata: { name: "monitoring", labels: { purpose: "monitoring" } } },
        {
            apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: "prometheus", namespace: "monitoring" },
            spec: {
                selector: { matchLabels: { app: "prometheus" } }, serviceName: "prometheus",
                template: { metadata: { labels: { app: "prometheus" } }, spec: { containers: [{ name: "prometheus", image: "prometheus:2", ports: [{ name: "web", containerPort: 9090 }] }] } },
            },
        },
    ];
    const tiers = ["frontend", "backend", "db"] as const;
    for (let n = 0; n < namespaceCount; n++) {
        const ns = namespaceName(n);
        const denyAll = n % 5 !== 4;
        objects.push({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns, labels: { team: `team-${n % 4}`, env: pick(["prod", "staging", "dev"]) } } });
        if (denyAll) {
            objects.push(policy(ns, "default-deny", {}, { policyTypes: ["Ingress", "Egress"] }));
        }
        objects.push(policy(ns, "allow-dns", {}, {
            policyTypes: ["Egress"],
            egress: [{
                to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
                ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: "dns-tcp" }],
            }],
        }));
        objects.push(policy(ns, "allow-monitoring", {}, {
            policyTypes: ["Ingress"],
            ingress: [{ from: [{ namespaceSelector: { matchLabels: { purpose: "monitoring" } }, podSelector: { matchLabels: { app: "prometheus" } } }], ports: [{ port: "metrics" }] }],
        }));
        const apps = Math.ceil(Math.min(100, workloads - n * 100) / 5);
        for (let a = 0; a < apps; a++) {
            const app = `${ns}-app-${a}`;
            const tier = tiers[a % 3];
            const peerApp = (offset: number) => `${ns}-app-${(a + offset + apps) % apps}`;
            for (let r = 0; r < 5 && n * 100 + a * 5 + r < workloads; r++) {
                const version = random() < 0.1 ? "canary" : pick(["v1", "v2"]);
                objects.push(workload(ns, `${app}-${r}`, r, { app, tier, version, instance: `${app}-${r}` }, tier));
            }
            // Apps without an ingress or an egress policy, where no deny-all isolates them, are few and bounded.
            const unpolicedIngress = !denyAll && a % 10 === 9;
            const unpolicedEgress = !denyAll && a % 20 === 19;
            if (!unpolicedIngress) {
                objects.push(policy(ns, `${app}-ingress`, { matchLabels: { app } }, {
                    policyTypes: ["Ingress"],
                    ingress: tier === "db"
                        ? [{ from: [{ podSelector: { matchLabels: { app: peerApp(-1) } } }], ports: [{ port: "postgres" }, { port: 5432 }] }]
                        : [
                            { from: [{ podSelector: { matchLabels: { app: peerApp(-1) } } }], ports: [{ port: "http" }, { port: 8443, endPort: 8450 }] },
                            {
                                from: [{
                                    namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: [namespaceName(n - 1), namespaceName(n + 1)] }] },
                                    podSelector: { matchExpressions: [{ key: "tier", operator: "In", values: ["frontend"] }, { key: "version", operator: "NotIn", values: ["canary"] }, { key: "app", operator: "Exists" }] },
                                }],
                                ports: [{ port: "http" }, { protocol: "TCP", port: "grpc" }],
                            },
                            ...(tier === "frontend" ? [{ from: [{ ipBlock: { cidr: `192.168.${n % 256}.0/24`, except: [`192.168.${n % 256}.${(a % 16) * 16}/28`] } }], ports: [{ port: 8080 }] }] : []),
                        ],
                }));
            }
            if (!unpolicedEgress && a % 4 !== 3) {
                objects.push(policy(ns, `${app}-egress`, { matchLabels: { app }, matchExpressions: [{ key: "version", operator: "In", values: ["v1", "v2", "canary"] }] }, {
                    policyTypes: ["Egress"],
                    egress: [
                        { to: [{ podSelector: { matchLabels: { app: peerApp(1) } } }], ports: [{ port: 8080 }, { port: 9000, endPort: 9010 }, { protocol: "UDP", port: 5353 }] },
                        ...(tier === "backend" ? [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] } }], ports: [{ port: 443 }] }] : []),
                        ...(tier === "db" ? [{ to: [{ ipBlock: { cidr: `10.${n % 250}.0.0/16`, except: [`10.${n % 250}.${a}.0/24`] } }], ports: [{ port: 5432 }, { protocol: "TCP", port: 6000, endPort: 6100 }] }] : []),
                    ],
                }));
            }
        }
    }
    return objects;
}

function policy(namespace: string, name: string, podSelector: object, spec: object): KubeObject {
    return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name, namespace }, spec: { podSelector, ...spec } };
}

/** Replica `r` of an app: Deployments mostly, a StatefulSet or a bare Pod now and then; named ports by tier. */
function workload(namespace: string, name: string, r: number, labels: Record<string, string>, tier: string): KubeObject {
    const ports = [
        { name: "http", containerPort: 8080 },
        { name: "metrics", containerPort: 9090 },
        ...(tier === "db" ? [{ name: "postgres", containerPort: 5432 }] : [{ name: "grpc", containerPort: 9000 }]),
    ];
    const pod = { metadata: { labels }, spec: { containers: [{ name: "main", image: "registry.example/app:1", ports }] } };
    if (r === 4) {
        return { apiVersion: "v1", kind: "Pod", metadata: { name, namespace, labels }, spec: pod.spec };
    }
    const kind = r === 3 ? "StatefulSet" : "Deployment";
    return { apiVersion: "apps/v1", kind, metadata: { name, namespace }, spec: { selector: { matchLabels: { instance: labels.instance } }, ...(kind === "StatefulSet" ? { serviceName: name } : {}), template: pod } };
}
