import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { schemaRulesProblem } from "../../analysis/schema/cel/celProblem";
import { ZeroTrustBaseline, ZeroTrustBaselineArgs } from "../../components";
import { construct } from "../../stacks/offline";
import { errorOf } from "../harness/construct";
import { CrdSchemas } from "../harness/crdSchemas";
import { projectRoot } from "../harness/stackConfig";
import { installMocks } from "../../stacks/offline";

const gateway = { name: "mesh-gateway", namespace: "istio-ingress", serviceAccount: "mesh-gateway-istio", podLabels: { "gateway.networking.k8s.io/gateway-name": "mesh-gateway" } };
const appNamespaces = 'projectcalico.org/name not in {"kube-system", "calico-system", "calico-apiserver", "tigera-operator", "istio-system"}';
const prometheus = { name: "prometheus", namespace: "monitoring", serviceAccount: "prometheus", podLabels: { "app.kubernetes.io/name": "prometheus" } };

function baselineArgs(overrides: Partial<ZeroTrustBaselineArgs> = {}): ZeroTrustBaselineArgs {
    return {
        calico: { policyApi: "projectcalico.org/v3", ready: [] },
        istio: { injectionLabels: { "istio-injection": "enabled" }, ready: [] },
        namespaces: [{ name: "bookinfo", labels: { "ztmesh.io/gateway-access": "mesh-gateway" } }, { name: "payments" }],
        gateway,
        ...overrides,
    };
}

describe("ZeroTrustBaseline", () => {
    before(installMocks);

    it("default-denies every namespace except exactly the control plane, in both directions", async () => {
        const log = await construct(() => new ZeroTrustBaseline("baseline", baselineArgs()));
        const policy = log.object("GlobalNetworkPolicy", "ztmesh-default-deny");
        assert.strictEqual(policy.apiVersion, "projectcalico.org/v3");
        assert.deepStrictEqual(policy.spec, {
            namespaceSelector: appNamespaces,
            selector: "all()",
            types: ["Ingress", "Egress"],
        });
    });

    it("still allows DNS (UDP and TCP 53 to kube-dns) and istiod (15012) from every app pod", async () => {
        const log = await construct(() => new ZeroTrustBaseline("baseline", baselineArgs()));
        const denySelector = log.object("GlobalNetworkPolicy", "ztmesh-default-deny").spec.namespaceSelector;
        const dns = log.object("GlobalNetworkPolicy", "ztmesh-allow-dns").spec;
        assert.strictEqual(dns.namespaceSelector, denySelector, "the allow covers every denied namespace");
        const kubeDns = { selector: 'k8s-app == "kube-dns"', namespaceSelector: 'projectcalico.org/name == "kube-system"', ports: [53] };
        assert.deepStrictEqual(dns.egress, [
            { action: "Allow", protocol: "UDP", destination: kubeDns },
            { action: "Allow", protocol: "TCP", destination: kubeDns },
        ]);
        const istiod = log.object("GlobalNetworkPolicy", "ztmesh-allow-istiod").spec;
        assert.strictEqual(istiod.namespaceSelector, denySelector);
        assert.deepStrictEqual(istiod.egress, [{ action: "Allow", protocol: "TCP", destination: { selector: 'app == "istiod"', namespaceSelector: 'projectcalico.org/name == "istio-system"', ports: [15012] } }]);
        assert.ok(dns.order < 1000 && istiod.order < 1000, "allows come before Kubernetes NetworkPolicies (order 1000)");
    });

    it("lets the API server reach istiod's webhook from its ranges, and load balancers probe the gateway's 15021", async () => {
        let log = await construct(() => new ZeroTrustBaseline("baseline", baselineArgs()));
        assert.strictEqual(log.ofKind("GlobalNetworkPolicy").filter((p) => p.inputs.metadata.name === "ztmesh-allow-istiod-webhook").length, 0, "no allow-from-anywhere without the API server's ranges");
        log = await construct(() => new ZeroTrustBaseline("baseline", baselineArgs({ apiServerCidrs: ["10.0.0.0/24"] })));
        const webhook = log.object("GlobalNetworkPolicy", "ztmesh-allow-istiod-webhook").spec;
        assert.deepStrictEqual(webhook.ingress, [{ action: "Allow", protocol: "TCP", source: { nets: ["10.0.0.0/24"] }, destination: { ports: [15017] } }]);
        const health = log.object("GlobalNetworkPolicy", "ztmesh-allow-gateway-health").spec;
        assert.strictEqual(health.selector, 'gateway.networking.k8s.io/gateway-name == "mesh-gateway"');
        assert.deepStrictEqual(health.ingress, [{ action: "Allow", protocol: "TCP", destination: { ports: [15021] } }]);
    });

    it("lets monitoring scrape 15020/15090 only when a monitoring identity is given", async () => {
        let log = await construct(() => new ZeroTrustBaseline("baseline", baselineArgs()));
        assert.strictEqual(log.ofKind("GlobalNetworkPolicy").filter((p) => /metrics|monitoring/.test(p.inputs.metadata.name)).length, 0);
        log = await construct(() => new ZeroTrustBaseline("baseline", baselineArgs({ monitoring: prometheus, metricsPorts: [9090, 15020, 9090] })));
        const scrape = log.object("GlobalNetworkPolicy", "ztmesh-allow-metrics-scrape").spec;
        assert.deepStrictEqual(scrape.ingress, [{ action: "Allow", protocol: "TCP", source: { selector: 'app.kubernetes.io/name == "prometheus"', namespaceSelector: 'projectcalico.org/name == "monitoring"' }, destination: { ports: [15020, 15090] } }]);
        assert.deepStrictEqual(log.object("GlobalNetworkPolicy", "ztmesh-allow-monitoring-egress").spec.egress, [
            { action: "Allow", protocol: "TCP", destination: { namespaceSelector: appNamespaces, selector: "all()", ports: [15020, 15090, 9090] } },
            { action: "Allow", protocol: "TCP", destination: { services: { name: "kubernetes", namespace: "default" } } },
        ]);
        assert.deepStrictEqual(log.object("NetworkPolicy", "allow-metrics-scrape", "bookinfo").spec.ingress[0].ports, [{ protocol: "TCP", port: 15020 }, { protocol: "TCP", port: 15090 }]);
    });

    it("writes the same policy to crd.projectcalico.org/v1 on manifest installs", async () => {
        const v3 = await construct(() => new ZeroTrustBaseline("baseline", baselineArgs()));
        const v3Specs = v3.ofKind("GlobalNetworkPolicy").map((p) => [p.inputs.metadata.name, p.inputs.spec]);
        const v1 = await construct(() => new ZeroTrustBaseline("baseline", baselineArgs({ calico: { policyApi: "crd.projectcalico.org/v1", ready: [] } })));
        assert.ok(v1.ofKind("GlobalNetworkPolicy").every((p) => p.inputs.apiVersion === "crd.projectcalico.org/v1"));
        // The storage API spells the tier into the name.
        const v1Specs = v1.ofKind("GlobalNetworkPolicy").map((p) => [p.inputs.metadata.name, p.inputs.spec]);
        assert.deepStrictEqual(v1Specs, v3Specs.map(([name, spec]) => [`default.${name}`, spec]));
    });

    it("gives every app namespace injection, a Kubernetes default-deny and an Istio allow-nothing", async () => {
        const log = await construct(() => new ZeroTrustBaseline("baseline", baselineArgs()));
        for (const ns of ["bookinfo", "payments"]) {
            assert.strictEqual(log.object("Namespace", ns).metadata.labels["istio-injection"], "enabled");
            assert.deepStrictEqual(log.object("NetworkPolicy", "default-deny", ns).spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
            const allowNothing = log.object("AuthorizationPolicy", "allow-nothing", ns);
            assert.strictEqual(allowNothing.apiVersion, "security.istio.io/v1");
            assert.deepStrictEqual(allowNothing.spec, {});
        }
        assert.deepStrictEqual(log.object("Namespace", "bookinfo").metadata.labels, { "ztmesh.io/gateway-access": "mesh-gateway", "istio-injection": "enabled" });
    });

    it("refuses to treat a control-plane namespace as an app namespace, and bad CIDRs", () => {
        const message = errorOf(() => new ZeroTrustBaseline("baseline-bad", baselineArgs({ namespaces: [{ name: "istio-system" }], apiServerCidrs: ["10.0.0.1"] })));
        assert.match(message, /namespaces\[0\]\.name: "istio-system" is a control-plane namespace; deploy applications in a namespace of their own/);
        assert.match(message, /apiServerCidrs\[0\]: "10\.0\.0\.1" is not a CIDR; write a range with its mask, e\.g\. "10\.0\.0\.1\/32"/);
    });

    describe("clusterPolicy: clusterNetworkPolicy", () => {
        const cnp = (overrides: Partial<ZeroTrustBaselineArgs> = {}) => baselineArgs({ clusterPolicy: "clusterNetworkPolicy", ...overrides });
        const apps = { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: ["kube-system", "calico-system", "calico-apiserver", "tigera-operator", "istio-system"] }] };
        const pods = (namespace: string, labels: Record<string, string>) => ({ pods: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } }, podSelector: { matchLabels: labels } } });
        const tcp = (number: number) => ({ tcp: { destinationPort: { number } } });
        /** The pinned CRD's schema (the CRD Calico 3.32.1 ships: network-policy-api v0.2.0, standard channel), with its CEL rules. */
        const crd = YAML.parseAllDocuments(fs.readFileSync(path.resolve(projectRoot, "..", "shared", "charts", "calico-v3.32.1", "crd.projectcalico.org.v1",
            "templates", "calico", "policy.networking.k8s.io_clusternetworkpolicies.yaml"), "utf8"))[0].toJSON();
        const schemas = new CrdSchemas();

        it("guards DNS and istiod in the Admin tier and denies by default in the Baseline tier, for every namespace but the control plane; no Calico policy", async () => {
            const log = await construct(() => new ZeroTrustBaseline("baseline", cnp()));
            assert.deepStrictEqual(log.ofKind("GlobalNetworkPolicy"), []);
            assert.deepStrictEqual(log.ofKind("ClusterNetworkPolicy").map((p) => `${p.inputs.apiVersion} ${p.inputs.metadata.name}`).sort(), [
                "policy.networking.k8s.io/v1alpha2 ztmesh-default-deny",
                "policy.networking.k8s.io/v1alpha2 ztmesh-guardrails",
            ]);
            assert.deepStrictEqual(log.object("ClusterNetworkPolicy", "ztmesh-guardrails").spec, {
                tier: "Admin",
                priority: 100,
                subject: { namespaces: apps },
                egress: [
                    { name: "allow-dns", action: "Accept", to: [pods("kube-system", { "k8s-app": "kube-dns" })], protocols: [{ udp: { destinationPort: { number: 53 } } }, tcp(53)] },
                    { name: "allow-istiod", action: "Accept", to: [pods("istio-system", { app: "istiod" })], protocols: [tcp(15012)] },
                ],
            });
            assert.deepStrictEqual(log.object("ClusterNetworkPolicy", "ztmesh-default-deny").spec, {
                tier: "Baseline",
                priority: 0,
                subject: { namespaces: apps },
                ingress: [{ name: "deny-from-every-pod", action: "Deny", from: [{ namespaces: {} }] }],
                egress: [{ name: "deny-to-every-pod-and-address", action: "Deny", to: [{ namespaces: {} }, { networks: ["0.0.0.0/0", "::/0"] }] }],
            });
            // The namespaces' own layer is unchanged: it decides every pod it selects, before the Baseline tier.
            assert.deepStrictEqual(log.object("NetworkPolicy", "default-deny", "bookinfo").spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
            assert.deepStrictEqual(log.object("AuthorizationPolicy", "allow-nothing", "payments").spec, {});
        });

        it("admits what the calico mode admits by address as NetworkPolicies, which no ClusterNetworkPolicy ingress peer can name: gateway health and istiod's webhook", async () => {
            const log = await construct(() => new ZeroTrustBaseline("baseline", cnp({ apiServerCidrs: ["192.168.49.2/32"] })));
            assert.deepStrictEqual(log.object("NetworkPolicy", "ztmesh-allow-gateway-health", "istio-ingress").spec, {
                podSelector: { matchLabels: gateway.podLabels }, policyTypes: ["Ingress"], ingress: [{ ports: [{ protocol: "TCP", port: 15021 }] }],
            });
            assert.deepStrictEqual(log.object("NetworkPolicy", "ztmesh-allow-istiod-webhook", "istio-system").spec, {
                podSelector: { matchLabels: { app: "istiod" } }, policyTypes: ["Ingress"],
                ingress: [{ from: [{ ipBlock: { cidr: "192.168.49.2/32" } }], ports: [{ protocol: "TCP", port: 15017 }] }],
            });
            const without = await construct(() => new ZeroTrustBaseline("baseline", cnp({ gateway: undefined })));
            assert.deepStrictEqual(without.ofKind("NetworkPolicy").map((p) => p.inputs.metadata.name).filter((name) => name.startsWith("ztmesh-")), []);
        });

        it("with monitoring: Prometheus scrapes in the Admin tier, and its egress reaches the scrape ports, the metrics ports and the API server's addresses", async () => {
            const log = await construct(() => new ZeroTrustBaseline("baseline", cnp({ monitoring: prometheus, metricsPorts: [9102, 15020], apiServerCidrs: ["10.96.0.1/32"] })));
            assert.deepStrictEqual(log.object("ClusterNetworkPolicy", "ztmesh-guardrails").spec.ingress, [
                { name: "allow-metrics-scrape", action: "Accept", from: [pods("monitoring", prometheus.podLabels)], protocols: [tcp(15020), tcp(15090)] },
            ]);
            assert.deepStrictEqual(log.object("ClusterNetworkPolicy", "ztmesh-monitoring-egress").spec, {
                tier: "Admin",
                priority: 101,
                subject: pods("monitoring", prometheus.podLabels),
                egress: [
                    { name: "allow-scrape", action: "Accept", to: [{ namespaces: apps }], protocols: [tcp(15020), tcp(15090), tcp(9102)] },
                    { name: "allow-api-server", action: "Accept", to: [{ networks: ["10.96.0.1/32"] }], protocols: [{ tcp: { destinationPort: { range: { start: 1, end: 65535 } } } }] },
                ],
            });
        });

        it("ambient: Prometheus also reaches HBONE and ztunnel's metrics; the kubelet probes need no ClusterNetworkPolicy, the namespaces' allow-kubelet-probes admits them", async () => {
            const ambientIstio = { injectionLabels: { "istio.io/dataplane-mode": "ambient" }, ready: [], dataplaneMode: "ambient" as const };
            const log = await construct(() => new ZeroTrustBaseline("baseline", cnp({ istio: ambientIstio, monitoring: prometheus, apiServerCidrs: ["10.96.0.1/32"] })));
            const egress = log.object("ClusterNetworkPolicy", "ztmesh-monitoring-egress").spec.egress;
            assert.deepStrictEqual(egress[0].protocols, [tcp(15020), tcp(15090), tcp(15008)]);
            assert.deepStrictEqual(egress[2], { name: "allow-ztunnel-metrics", action: "Accept", to: [pods("istio-system", { app: "ztunnel" })], protocols: [tcp(15020)] });
            assert.deepStrictEqual(log.ofKind("ClusterNetworkPolicy").map((p) => p.inputs.metadata.name).sort(), ["ztmesh-default-deny", "ztmesh-guardrails", "ztmesh-monitoring-egress"]);
            assert.deepStrictEqual(log.object("NetworkPolicy", "allow-kubelet-probes", "bookinfo").spec.ingress, [{ from: [{ ipBlock: { cidr: "169.254.7.127/32" } }] }]);
        });

        it("writes every ClusterNetworkPolicy so that the pinned CRD's schema and CEL rules accept it (sidecar and ambient, every optional rule)", async () => {
            const ambientIstio = { injectionLabels: { "istio.io/dataplane-mode": "ambient" }, ready: [], dataplaneMode: "ambient" as const };
            for (const istio of [baselineArgs().istio, ambientIstio]) {
                const log = await construct(() => new ZeroTrustBaseline("baseline", cnp({ istio, monitoring: prometheus, metricsPorts: [9102], apiServerCidrs: ["10.96.0.1/32", "fd00::1/128"] })));
                for (const policy of log.ofKind("ClusterNetworkPolicy")) {
                    const object = JSON.parse(JSON.stringify(policy.inputs));
                    assert.deepStrictEqual(schemas.problems(object), [], policy.inputs.metadata.name);
                    assert.strictEqual(schemaRulesProblem(object, crd.spec.versions[0].schema.openAPIV3Schema, {}), undefined, policy.inputs.metadata.name);
                }
            }
            // The check bites: a range that is not start < end is refused by the CRD's CEL rule.
            const inverted = { apiVersion: "policy.networking.k8s.io/v1alpha2", kind: "ClusterNetworkPolicy", metadata: { name: "x" },
                spec: { tier: "Admin", priority: 1, subject: { namespaces: {} }, egress: [{ action: "Accept", to: [{ networks: ["10.0.0.0/8"] }], protocols: [{ tcp: { destinationPort: { range: { start: 9, end: 9 } } } }] }] } };
            assert.match(String(schemaRulesProblem(inverted, crd.spec.versions[0].schema.openAPIV3Schema, {})), /Start port must be less than End port/);
        });

        it("writes the same objects whatever Calico API group is configured, and needs no Calico at all", async () => {
            const specs = async (args: ZeroTrustBaselineArgs) => (await construct(() => new ZeroTrustBaseline("baseline", args))).resources.filter((r) => r.custom).map((r) => JSON.stringify([r.type, r.inputs])).sort();
            const v3 = await specs(cnp());
            assert.deepStrictEqual(await specs(cnp({ calico: { policyApi: "crd.projectcalico.org/v1", ready: [] } })), v3);
            assert.deepStrictEqual(await specs(cnp({ calico: undefined })), v3);
            assert.match(errorOf(() => new ZeroTrustBaseline("baseline-no-calico", baselineArgs({ calico: undefined }))), /calico: is required: the calico mode writes Calico GlobalNetworkPolicies; pass the Calico component, or set clusterPolicy: "clusterNetworkPolicy"/);
        });

        it("refuses an unknown mode, and monitoring without the API server's ranges (no ClusterNetworkPolicy peer names a Service)", () => {
            assert.match(errorOf(() => new ZeroTrustBaseline("baseline-bad-mode", baselineArgs({ clusterPolicy: "cilium" as any }))),
                /clusterPolicy: "cilium" is not a cluster policy mode; use one of "calico", "clusterNetworkPolicy"/);
            assert.match(errorOf(() => new ZeroTrustBaseline("baseline-no-cidrs", cnp({ monitoring: prometheus }))),
                /apiServerCidrs: is required with monitoring in clusterNetworkPolicy mode: .*; set the API server's source ranges, or use the calico mode/);
        });
    });

    describe("audit mode (enforcement)", () => {
        it("splits the cluster default-deny by namespace mode: enforced namespaces get the GlobalNetworkPolicy, audited ones the staged one", async () => {
            const log = await construct(() => new ZeroTrustBaseline("baseline", baselineArgs({ namespaces: [{ name: "bookinfo", enforcement: "audit" }, { name: "payments" }] })));
            assert.deepStrictEqual(log.object("GlobalNetworkPolicy", "ztmesh-default-deny").spec.namespaceSelector,
                'projectcalico.org/name not in {"kube-system", "calico-system", "calico-apiserver", "tigera-operator", "istio-system", "bookinfo"}');
            assert.deepStrictEqual(log.object("StagedGlobalNetworkPolicy", "ztmesh-default-deny").spec,
                { namespaceSelector: 'projectcalico.org/name in {"bookinfo"}', selector: "all()", types: ["Ingress", "Egress"], stagedAction: "Set" });
            // The audited namespace observes at both layers, with PERMISSIVE mTLS of its own; the enforced one is as before.
            assert.strictEqual(log.object("StagedKubernetesNetworkPolicy", "default-deny", "bookinfo").apiVersion, "projectcalico.org/v3");
            assert.strictEqual(log.object("AuthorizationPolicy", "allow-nothing-dry-run", "bookinfo").metadata.annotations["istio.io/dry-run"], "true");
            assert.deepStrictEqual(log.object("PeerAuthentication", "default", "bookinfo").spec, { mtls: { mode: "PERMISSIVE" } });
            assert.ok(log.object("NetworkPolicy", "default-deny", "payments"));
            assert.strictEqual(log.object("AuthorizationPolicy", "allow-nothing", "payments").metadata.annotations, undefined);
            assert.strictEqual(log.ofKind("PeerAuthentication").length, 1);
        });

        it("in an audited cluster, enforces a namespace that says so: the staged default-deny leaves it out, its own selects it", async () => {
            const log = await construct(() => new ZeroTrustBaseline("baseline", baselineArgs({
                enforcement: "audit", istio: { ...baselineArgs().istio, enforcement: "audit" }, namespaces: [{ name: "bookinfo" }, { name: "payments", enforcement: "enforce" }],
            })));
            assert.match(log.object("StagedGlobalNetworkPolicy", "ztmesh-default-deny").spec.namespaceSelector, /not in \{.*"istio-system", "payments"\}$/);
            assert.strictEqual(log.object("GlobalNetworkPolicy", "ztmesh-default-deny").spec.namespaceSelector, 'projectcalico.org/name in {"payments"}');
            assert.deepStrictEqual(log.object("PeerAuthentication", "default", "payments").spec, { mtls: { mode: "STRICT" } });
            assert.strictEqual(log.ofKind("PeerAuthentication").length, 1, "the audited namespace takes the mesh's PERMISSIVE");
        });

        it("refuses an unknown mode, and audit with ClusterNetworkPolicy guardrails", () => {
            assert.match(errorOf(() => new ZeroTrustBaseline("baseline-bad-enforcement", baselineArgs({ namespaces: [{ name: "bookinfo", enforcement: "observe" as any }] }))),
                /namespaces\[0\]\.enforcement: "observe" is not an enforcement mode; use "enforce" \(the default\) or "audit"/);
            assert.match(errorOf(() => new ZeroTrustBaseline("baseline-cnp-audit", baselineArgs({ clusterPolicy: "clusterNetworkPolicy", enforcement: "audit" }))),
                /enforcement: audit mode is not available with clusterPolicy "clusterNetworkPolicy"/);
        });
    });
});
