import * as assert from "assert";
import { ZeroTrustBaseline, ZeroTrustBaselineArgs } from "../../components";
import { construct } from "../../stacks/offline";
import { errorOf } from "../harness/construct";
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
});
