import * as assert from "assert";
import { parseEnvironment } from "../../stacks/config";
import { deployMesh } from "../../stacks/program";
import { construct } from "../../stacks/offline";
import { errorOf } from "../harness/construct";
import { isSecretValue, ResourceLog } from "../../stacks/offline";
import { editedConfig, kubeconfigIsSecret, stackConfig } from "../harness/stackConfig";

describe("prod stack (production-shaped example)", () => {
    let log: ResourceLog;

    before(async () => {
        log = await construct(() => deployMesh(parseEnvironment({ ...stackConfig("prod"), "ztmesh:kubeconfig": "apiVersion: v1\nkind: Config\n" }, kubeconfigIsSecret), "prod"));
    });

    it("deploys to the configured cluster with the kubeconfig as a secret", () => {
        const provider = log.resources.find((r) => r.type === "pulumi:providers:kubernetes")!;
        assert.strictEqual(provider.name, "cluster");
        assert.strictEqual(provider.inputs.renderYamlToDirectory, undefined);
        assert.ok(isSecretValue(provider.inputs.kubeconfig), "the kubeconfig reaches the provider only as a secret");
    });

    it("installs Calico with the operator and writes Calico policy to projectcalico.org/v3", () => {
        assert.deepStrictEqual(log.ofKind("Chart").map((c) => c.inputs.chart).sort(), ["base", "crd.projectcalico.org.v1", "istiod", "tigera-operator"]);
        assert.deepStrictEqual(log.object("Installation", "default").spec.calicoNetwork.ipPools[0].cidr, "10.244.0.0/16");
        assert.ok(log.ofKind("GlobalNetworkPolicy").every((p) => p.inputs.apiVersion === "projectcalico.org/v3"));
        const istio = log.named("Chart", "istio-base");
        assert.ok(log.dependsOn(istio, log.named("APIServer", "calico-apiserver")), "Istio waits for Calico");
    });

    it("runs istiod in HA", () => {
        const values = log.named("Chart", "istio-istiod").inputs.values;
        assert.deepStrictEqual([values.replicaCount, values.autoscaleMin], [3, 3]);
    });

    it("terminates TLS with the existing Secret and makes no certificate", () => {
        const listener = log.object("Gateway", "mesh-gateway", "istio-ingress").spec.listeners[1];
        assert.deepStrictEqual(listener.tls.certificateRefs, [{ group: "", kind: "Secret", name: "shop-example-com-tls" }]);
        assert.strictEqual(log.ofKind("SelfSignedCertificate").length, 0);
        assert.strictEqual(log.ofKind("Secret").length, 0);
    });

    it("splits public traffic 90/10 between stable and canary Services", () => {
        const rule = log.object("HTTPRoute", "storefront", "shop").spec.rules[0];
        assert.deepStrictEqual(rule.backendRefs, [{ name: "storefront-stable", port: 8080, weight: 90 }, { name: "storefront-canary", port: 8080, weight: 10 }]);
    });

    it("lets Prometheus scrape metrics ports at both ends, and no one else", () => {
        const ingress = log.object("NetworkPolicy", "catalog", "shop").spec.ingress;
        assert.deepStrictEqual(ingress.map((r: any) => [r.from[0].podSelector.matchLabels, r.ports]), [
            [{ app: "storefront" }, [{ protocol: "TCP", port: 9000 }]],
            [{ "app.kubernetes.io/name": "prometheus" }, [{ protocol: "TCP", port: 9090 }]],
        ]);
        const egress = log.object("GlobalNetworkPolicy", "ztmesh-allow-monitoring-egress").spec.egress;
        assert.deepStrictEqual(egress[0].destination.ports, [15020, 15090, 9090]);
    });

    it("adds policy to an existing workload without deploying it", () => {
        assert.deepStrictEqual(log.ofKind("Deployment").map((d) => d.inputs.metadata.name).sort(), ["catalog-v1", "storefront-canary", "storefront-stable"]);
        assert.deepStrictEqual(log.object("NetworkPolicy", "payments", "payments").spec.podSelector.matchLabels, { "app.kubernetes.io/name": "payments" });
        const rules = log.object("AuthorizationPolicy", "payments", "payments").spec.rules;
        assert.deepStrictEqual(rules, [{
            from: [{ source: { principals: ["cluster.local/ns/shop/sa/storefront"] } }],
            to: [{ operation: { ports: ["8443"], methods: ["POST"], paths: ["/v1/charges", "/v1/refunds"] } }],
        }]);
        const storefrontEgress = log.object("NetworkPolicy", "storefront", "shop").spec.egress.map((r: any) => r.to[0].namespaceSelector.matchLabels["kubernetes.io/metadata.name"]);
        assert.deepStrictEqual(storefrontEgress, ["shop", "payments", "kube-system", "istio-system"]);
    });

    it("puts the gateway route label only on namespaces with public services", () => {
        assert.deepStrictEqual(log.object("Namespace", "shop").metadata.labels["ztmesh.io/gateway-access"], "mesh-gateway");
        assert.strictEqual(log.object("Namespace", "payments").metadata.labels["ztmesh.io/gateway-access"], undefined);
    });

    it("fails at preview when a public hostname has no TLS listener", async () => {
        const config = editedConfig("prod", "ztmesh:gateway", (gateway) => ({ ...gateway, listeners: [{ hostname: "shop.example.com" }] }));
        await construct(() => undefined);
        const message = errorOf(() => deployMesh(parseEnvironment(config), "prod"));
        assert.match(message, /invalid stack configuration:\n {2}- ztmesh:gateway\.listeners\[0\]\.tls: public hostname "shop\.example\.com" has no TLS/);
    });
});
