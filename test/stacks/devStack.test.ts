import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { parseEnvironment } from "../../stacks/config";
import { MeshDeployment, deployMesh } from "../../stacks/program";
import { construct } from "../../stacks/offline";
import { installMocks, isSecretValue, ResourceLog } from "../../stacks/offline";
import { editedConfig, projectRoot, stackConfig } from "../harness/stackConfig";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const peer = (namespace: string, labels: Record<string, string>) => ({
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
    podSelector: { matchLabels: labels },
});

describe("dev stack (Bookinfo on minikube --cni calico)", () => {
    let log: ResourceLog;
    let mesh: MeshDeployment;

    before(async () => {
        log = await construct(() => {
            mesh = deployMesh(parseEnvironment(stackConfig("dev")), "dev");
        });
    });

    it("renders to rendered/dev when no cluster is configured", () => {
        assert.strictEqual(mesh.mode, "render");
        assert.match(mesh.renderDirectory!, /\/rendered\/dev$/);
        const provider = log.resources.find((r) => r.type === "pulumi:providers:kubernetes")!;
        assert.strictEqual(provider.inputs.renderYamlToDirectory, mesh.renderDirectory);
    });

    it("leaves Calico to minikube and writes Calico policy to crd.projectcalico.org/v1", () => {
        assert.deepStrictEqual(log.ofKind("Chart").map((c) => c.inputs.chart), ["base", "istiod"]);
        assert.ok(log.ofKind("GlobalNetworkPolicy").length > 0);
        assert.ok(log.ofKind("GlobalNetworkPolicy").every((p) => p.inputs.apiVersion === "crd.projectcalico.org/v1"));
    });

    it("orders and pins every chart", () => {
        const charts = log.ofKind("Chart");
        for (const chart of charts) {
            assert.match(chart.inputs.version ?? "", /^\d+\.\d+\.\d+$/, `${chart.name} has a pinned version`);
        }
        assert.ok(log.dependsOn(log.named("Chart", "istio-istiod"), log.named("Chart", "istio-base")));
        assert.strictEqual(log.named("Chart", "istio-istiod").inputs.values.global.platform, "minikube");
    });

    it("creates each service after its namespace, Istio and the Gateway object its route attaches to, not after the whole MeshGateway", () => {
        const productpage = log.named("MeshService", "productpage");
        const gatewayObject = log.ofKind("Gateway").find((r) => r.type.startsWith("kubernetes:gateway.networking.k8s.io/"))!;
        assert.ok(log.dependsOn(log.named("HTTPRoute", "productpage-httproute"), gatewayObject));
        assert.ok(log.dependsOn(productpage, log.named("Namespace", "baseline-bookinfo")));
        assert.ok(log.dependsOn(productpage, log.named("Chart", "istio-istiod")));
        // Depending on the component would list all of its children, this policy among them.
        assert.ok(!log.dependsOn(productpage, log.named("NetworkPolicy", "gateway-public-ingress")));
    });

    it("reviews: NetworkPolicy admits only productpage pods on 9080, egress only to ratings, DNS and istiod", () => {
        const spec = log.object("NetworkPolicy", "reviews", "bookinfo").spec;
        assert.deepStrictEqual(spec.podSelector, { matchLabels: { app: "reviews" } });
        assert.deepStrictEqual(spec.ingress, [{ from: [peer("bookinfo", { app: "productpage" })], ports: [{ protocol: "TCP", port: 9080 }] }]);
        assert.deepStrictEqual(spec.egress.map((rule: any) => [rule.to, rule.ports]), [
            [[peer("bookinfo", { app: "ratings" })], [{ protocol: "TCP", port: 9080 }]],
            [[peer("kube-system", { "k8s-app": "kube-dns" })], [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }]],
            [[peer("istio-system", { app: "istiod" })], [{ protocol: "TCP", port: 15012 }]],
        ]);
    });

    it("reviews: AuthorizationPolicy admits only productpage's principal with GET on /reviews/*", () => {
        const spec = log.object("AuthorizationPolicy", "reviews", "bookinfo").spec;
        assert.deepStrictEqual(spec.rules, [{
            from: [{ source: { principals: ["cluster.local/ns/bookinfo/sa/bookinfo-productpage"] } }],
            to: [{ operation: { ports: ["9080"], methods: ["GET"], paths: ["/reviews/*"] } }],
        }]);
    });

    it("derives each caller's egress from the callee's callers: productpage reaches details and reviews, ratings reaches nothing", () => {
        const egressTargets = (service: string) => log.object("NetworkPolicy", service, "bookinfo").spec.egress
            .map((rule: any) => rule.to[0].podSelector.matchLabels.app ?? rule.to[0].podSelector.matchLabels["k8s-app"]);
        assert.deepStrictEqual(egressTargets("productpage"), ["details", "reviews", "kube-dns", "istiod"]);
        assert.deepStrictEqual(egressTargets("ratings"), ["kube-dns", "istiod"]);
        assert.deepStrictEqual(log.object("NetworkPolicy", "productpage", "bookinfo").spec.ingress[0].from, [peer("istio-ingress", { "gateway.networking.k8s.io/gateway-name": "mesh-gateway" })]);
    });

    it("reviews: v1/v2/v3 canary weights in the VirtualService, with the tester route first", () => {
        const http = log.object("VirtualService", "reviews", "bookinfo").spec.http;
        assert.deepStrictEqual(http[0].match, [{ headers: { "end-user": { exact: "tester" } } }]);
        assert.deepStrictEqual(http[0].route.map((r: any) => r.weight), [0, 0, 100]);
        assert.deepStrictEqual(http[1].route.map((r: any) => [r.destination.subset, r.weight]), [["v1", 80], ["v2", 10], ["v3", 10]]);
        assert.deepStrictEqual([http[1].timeout, http[1].retries], ["10s", { attempts: 3, perTryTimeout: "2s" }]);
        assert.deepStrictEqual(["v1", "v2", "v3"].map((v) => log.object("Deployment", `reviews-${v}`, "bookinfo").spec.template.metadata.labels.version), ["v1", "v2", "v3"]);
    });

    it("exposes productpage on its public paths over HTTPS only", () => {
        const route = log.object("HTTPRoute", "productpage", "bookinfo").spec;
        assert.deepStrictEqual(route.hostnames, ["bookinfo.ztmesh.local"]);
        assert.strictEqual(route.parentRefs[0].sectionName, "https-bookinfo-ztmesh-local");
        assert.deepStrictEqual(route.rules[0].matches.map((m: any) => m.path.value), ["/productpage", "/static", "/login", "/logout", "/api/v1/products"]);
        const routes = log.ofKind("HTTPRoute").map((r) => [r.inputs.metadata.namespace, r.inputs.metadata.name, r.inputs.spec.parentRefs[0].sectionName]);
        assert.deepStrictEqual(routes.sort(), [["bookinfo", "productpage", "https-bookinfo-ztmesh-local"], ["istio-ingress", "mesh-gateway-https-redirect", "http"]]);
        assert.deepStrictEqual(log.object("Namespace", "bookinfo").metadata.labels, { "ztmesh.io/gateway-access": "mesh-gateway", "istio-injection": "enabled" });
    });

    it("uses a self-signed certificate whose key is only ever a Pulumi secret", () => {
        const certificate = log.named("SelfSignedCertificate", "gateway-https-bookinfo-ztmesh-local-cert");
        assert.deepStrictEqual(certificate.additionalSecretOutputs, ["privateKeyPem"]);
        const secret = log.object("Secret", "mesh-gateway-https-bookinfo-ztmesh-local", "istio-ingress");
        assert.strictEqual(secret.type, "kubernetes.io/tls");
        assert.ok(isSecretValue(secret.stringData), "the Secret's data is passed as a Pulumi secret");
        assert.strictEqual(mesh.gateway!.tlsSecrets["bookinfo.ztmesh.local"] !== undefined, true);
    });

    it("covers every app namespace with the baseline at both layers", () => {
        assert.deepStrictEqual(Object.keys(mesh.baseline.namespaces), ["bookinfo"]);
        assert.ok(log.object("NetworkPolicy", "default-deny", "bookinfo"));
        assert.ok(log.object("AuthorizationPolicy", "allow-nothing", "bookinfo"));
        assert.deepStrictEqual(log.object("PeerAuthentication", "default", "istio-system").spec, { mtls: { mode: "STRICT" } });
    });
});

describe("dev stack in clusterNetworkPolicy mode (ztmesh:baseline.clusterPolicy)", () => {
    const cnpConfig = (stack: string) => ({ ...stackConfig(stack), "ztmesh:baseline": JSON.stringify({ clusterPolicy: "clusterNetworkPolicy" }) });

    it("defaults to the calico mode", () => {
        assert.strictEqual(parseEnvironment(stackConfig("dev")).baseline?.clusterPolicy, undefined);
        assert.strictEqual(parseEnvironment(cnpConfig("dev")).baseline?.clusterPolicy, "clusterNetworkPolicy");
    });

    for (const stack of ["dev", "ambient"]) {
        it(`${stack}: the guardrails are ClusterNetworkPolicies, no Calico policy is written, and the services' own policies are those of the calico mode`, async () => {
            const calicoLog = await construct(() => deployMesh(parseEnvironment(stackConfig(stack)), stack));
            const log = await construct(() => deployMesh(parseEnvironment(cnpConfig(stack)), stack));
            assert.deepStrictEqual(log.ofKind("GlobalNetworkPolicy"), []);
            assert.deepStrictEqual(log.ofKind("ClusterNetworkPolicy").map((p) => `${p.inputs.spec.tier} ${p.inputs.metadata.name}`).sort(), ["Admin ztmesh-guardrails", "Baseline ztmesh-default-deny"]);
            // Everything but the guardrails is the same object in both modes.
            const namespaced = (l: ResourceLog) => l.resources.filter((r) => r.custom && r.inputs.metadata?.namespace && !r.inputs.metadata.name.startsWith("ztmesh-"))
                .map((r) => JSON.stringify([r.type, r.inputs])).sort();
            assert.deepStrictEqual(namespaced(log), namespaced(calicoLog));
        });
    }

    it("writes the gateway's health NetworkPolicy into its namespace after the MeshGateway created it", async () => {
        const log = await construct(() => deployMesh(parseEnvironment(cnpConfig("dev")), "dev"));
        const health = log.named("NetworkPolicy", "baseline-ztmesh-allow-gateway-health");
        const gatewayObject = log.ofKind("Gateway").find((r) => r.type.startsWith("kubernetes:gateway.networking.k8s.io/"))!;
        assert.strictEqual(health.inputs.metadata.namespace, gatewayObject.inputs.metadata.namespace);
        assert.ok(log.dependsOn(health, gatewayObject));
    });
});

describe("dev stack with extra manifests (ztmesh:manifests)", () => {
    it("deploys them after the baseline and the services, as one ConfigGroup", async () => {
        const config = { ...stackConfig("dev"), "ztmesh:manifests": JSON.stringify(["team/extra.yaml", "team/*.yaml"]) };
        const log = await construct(() => deployMesh(parseEnvironment(config), "dev"));
        const group = log.named("ConfigGroup", "manifests");
        assert.deepStrictEqual(group.inputs.files, [path.resolve("team/extra.yaml"), path.resolve("team/*.yaml")]);
        assert.ok(log.dependsOn(group, log.named("MeshService", "ratings")));
        assert.ok(log.dependsOn(group, log.named("ZeroTrustBaseline", "baseline")));
    });
});

describe("stack entry point (stacks/index.ts)", () => {
    before(installMocks);

    it("reads the stack config, checks its downloads, deploys, and exports the outputs", async () => {
        // Charts from a local folder and the CRDs from a file: nothing to download.
        const config = editedConfig("dev", "ztmesh:gateway", (gateway) => ({ ...gateway, crdsSource: path.join(projectRoot, "..", "shared", "crds", "gateway-api-v1.5.1-standard.yaml") }));
        config["ztmesh:charts"] = JSON.stringify({ localDirectory: "/opt/charts" });
        const renderDirectory = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-dev-")), "rendered");
        config["ztmesh:cluster"] = JSON.stringify({ renderDirectory });
        pulumi.runtime.setAllConfig(config);
        // Imported only now: the program reads config when it runs.
        const program = require("../../stacks") as () => Promise<Record<string, unknown>>;
        let outputs: Record<string, unknown> = {};
        const log = await construct(() => program().then((result) => { outputs = result; }));
        assert.strictEqual(log.named("Chart", "istio-istiod").inputs.chart, "/opt/charts/istiod");
        assert.strictEqual(outputs.mode, "render");
        // The mocks run as `pulumi up`: the folder is marked as this stack's render before anything is written.
        assert.deepStrictEqual(JSON.parse(fs.readFileSync(path.join(renderDirectory, ".ztmesh-render"), "utf8")), { renderedBy: "ztmesh", stack: "dev" });
        fs.rmSync(path.dirname(renderDirectory), { recursive: true, force: true });
        assert.strictEqual(outputs.calicoPolicyApi, "crd.projectcalico.org/v1");
        assert.deepStrictEqual(outputs.appNamespaces, ["bookinfo"]);
        assert.deepStrictEqual([outputs.dataplaneMode, outputs.waypoints], ["sidecar", []]);
        assert.deepStrictEqual(outputs.gatewayHostnames, ["bookinfo.ztmesh.local"]);
        assert.deepStrictEqual(outputs.servicePrincipals, {
            productpage: "cluster.local/ns/bookinfo/sa/bookinfo-productpage",
            details: "cluster.local/ns/bookinfo/sa/bookinfo-details",
            reviews: "cluster.local/ns/bookinfo/sa/bookinfo-reviews",
            ratings: "cluster.local/ns/bookinfo/sa/bookinfo-ratings",
        });
    });
});
