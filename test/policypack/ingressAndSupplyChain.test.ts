import * as k8s from "@pulumi/kubernetes";
import { helmChartPinnedVersion } from "../../policypack/rules/supplyChain";
import * as assert from "assert";
import { installMocks } from "../../stacks/offline";
import { packOnStack } from "../harness/packRun";
import { ofPolicy } from "../harness/policyPack";

const httpRoute = (name: string, namespace: string, spec: Record<string, unknown>) =>
    new k8s.apiextensions.CustomResource(name, { apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name, namespace }, spec });

describe("policy pack: ingress and supply-chain rules", () => {
    before(installMocks);

    describe("no-public-service-except-gateway", () => {
        it("fires on a LoadBalancer Service that bypasses the gateway", async () => {
            const result = await packOnStack("dev", {
                extra: () => new k8s.core.v1.Service("productpage-lb", {
                    metadata: { name: "productpage-lb", namespace: "bookinfo" },
                    spec: { type: "LoadBalancer", selector: { app: "productpage" }, ports: [{ port: 80, targetPort: 9080 }] },
                }),
            });
            assert.deepStrictEqual(ofPolicy(result, "no-public-service-except-gateway").map((v) => v.message), [
                "Service bookinfo/productpage-lb is of type LoadBalancer, which exposes it outside the cluster. Fix: use type ClusterIP and expose it through the MeshGateway (a public route), or add it to publicServices if it fronts an approved gateway.",
            ]);
        });

        it("fires on a NodePort and on externalIPs", async () => {
            const result = await packOnStack("dev", {
                extra: () => new k8s.core.v1.Service("ratings-np", {
                    metadata: { name: "ratings-np", namespace: "bookinfo" },
                    spec: { type: "NodePort", externalIPs: ["198.51.100.7"], selector: { app: "ratings" }, ports: [{ port: 9080 }] },
                }),
            });
            assert.strictEqual(ofPolicy(result, "no-public-service-except-gateway").length, 2);
        });

        it("checks what a chart renders: the classic gateway chart's LoadBalancer fires once it is no approved public Service", async () => {
            const result = await packOnStack("dev", {
                editConfig: (config) => { config["ztmesh:istio"].ingressMode = "classic"; },
                packConfig: { "no-public-service-except-gateway": { publicServices: [] } },
            });
            const violations = ofPolicy(result, "no-public-service-except-gateway");
            assert.deepStrictEqual(violations.map((v) => v.message.replace(/ Fix: .*/, "")), ["Service istio-ingress/istio-ingressgateway is of type LoadBalancer, which exposes it outside the cluster."]);
            const chart = result.resources.find((r) => r.name === "istio-gateway")!;
            assert.ok(violations[0].urn!.startsWith(chart.urn), "reported against the chart's child");
        });

        it("stays silent on the classic gateway chart's LoadBalancer and on ClusterIP Services", async () => {
            const result = await packOnStack("dev", { editConfig: (config) => { config["ztmesh:istio"].ingressMode = "classic"; } });
            assert.deepStrictEqual(ofPolicy(result, "no-public-service-except-gateway"), []);
        });
    });

    describe("routes-on-approved-gateways", () => {
        it("fires on an HTTPRoute attached to a team's own Gateway", async () => {
            const result = await packOnStack("dev", {
                extra: () => httpRoute("details-public", "bookinfo", { parentRefs: [{ name: "team-gateway" }], rules: [{ backendRefs: [{ name: "details", port: 9080 }] }] }),
            });
            assert.deepStrictEqual(ofPolicy(result, "routes-on-approved-gateways").map((v) => v.message), [
                "HTTPRoute bookinfo/details-public attaches to Gateway bookinfo/team-gateway, which is not approved. Fix: attach it to an approved Gateway (istio-ingress/mesh-gateway) or add this one to approvedGateways.",
            ]);
        });

        it("fires on a VirtualService bound to an unapproved Istio Gateway, and accepts one approved in config", async () => {
            const extra = () => new k8s.apiextensions.CustomResource("vs-legacy", {
                apiVersion: "networking.istio.io/v1", kind: "VirtualService", metadata: { name: "legacy", namespace: "bookinfo" },
                spec: { hosts: ["legacy.example.com"], gateways: ["legacy/edge", "mesh"], http: [{ route: [{ destination: { host: "details" } }] }] },
            });
            const refused = await packOnStack("dev", { extra });
            assert.match(ofPolicy(refused, "routes-on-approved-gateways")[0].message, /VirtualService bookinfo\/legacy binds to gateway legacy\/edge, which is not approved/);
            const approved = await packOnStack("dev", { extra, packConfig: { "routes-on-approved-gateways": { approvedGateways: ["istio-ingress/mesh-gateway", "legacy/edge"] } } });
            assert.deepStrictEqual(ofPolicy(approved, "routes-on-approved-gateways"), []);
        });

        it("stays silent on ztmesh's routes and on mesh (Service-parent) routes", async () => {
            const result = await packOnStack("dev", {
                extra: () => httpRoute("ratings-mesh", "bookinfo", { parentRefs: [{ group: "", kind: "Service", name: "ratings" }], rules: [{ backendRefs: [{ name: "ratings", port: 9080 }] }] }),
            });
            assert.deepStrictEqual(ofPolicy(result, "routes-on-approved-gateways"), []);
        });
    });

    describe("route-weights-not-all-zero", () => {
        it("fires on a canary 'paused' by zeroing every weight, in a VirtualService and an HTTPRoute", async () => {
            const result = await packOnStack("dev", {
                extra: () => {
                    new k8s.apiextensions.CustomResource("vs-paused", {
                        apiVersion: "networking.istio.io/v1", kind: "VirtualService", metadata: { name: "reviews-paused", namespace: "bookinfo" },
                        spec: { hosts: ["reviews"], http: [{ route: [{ destination: { host: "reviews", subset: "v1" }, weight: 0 }, { destination: { host: "reviews", subset: "v2" }, weight: 0 }] }] },
                    });
                    httpRoute("route-paused", "bookinfo", { parentRefs: [{ name: "mesh-gateway", namespace: "istio-ingress", sectionName: "https-bookinfo-ztmesh-local" }], rules: [{ backendRefs: [{ name: "productpage", port: 9080, weight: 0 }] }] });
                },
            });
            assert.deepStrictEqual(ofPolicy(result, "route-weights-not-all-zero").map((v) => v.message.replace(/ Fix: .*/, "")).sort(), [
                "HTTPRoute bookinfo/route-paused sends no traffic anywhere: every backendRef of spec.rules[0] has weight 0.",
                "VirtualService bookinfo/reviews-paused sends no traffic anywhere: every destination of spec.http[0] has weight 0.",
            ]);
        });

        it("stays silent on the dev stack's tester route (0/0/100) and on a lone unweighted destination", async () => {
            const result = await packOnStack("dev");
            assert.ok(result.resources.some((r) => r.inputs.kind === "VirtualService" && r.inputs.spec.http.some((h: any) => h.route.some((d: any) => d.weight === 0))));
            assert.deepStrictEqual(ofPolicy(result, "route-weights-not-all-zero"), []);
        });
    });

    describe("helm-chart-pinned-version", () => {
        it("fires on a chart from a repository without a version, or with a range", async () => {
            const result = await packOnStack("dev", {
                extra: () => {
                    new k8s.helm.v4.Chart("redis", { chart: "redis", repositoryOpts: { repo: "https://charts.example.com" } });
                    new k8s.helm.v4.Chart("kiali", { chart: "kiali-server", version: "~2.0", repositoryOpts: { repo: "https://kiali.org/helm-charts" } });
                },
            });
            assert.deepStrictEqual(ofPolicy(result, "helm-chart-pinned-version").map((v) => v.message), [
                "Chart redis (redis) has no version. Fix: pin an exact chart version (ztmesh pins its charts in components/versions.ts).",
                "Chart kiali (kiali-server) has version \"~2.0\", which is not exact. Fix: pin an exact chart version (ztmesh pins its charts in components/versions.ts).",
            ]);
        });

        it("does not judge a chart whose inputs the engine withholds (a helm.v4.Chart under the real engine)", () => {
            const reported: string[] = [];
            const validate = helmChartPinnedVersion.validateResource as (args: any, report: (message: string) => void) => void;
            validate({ type: "kubernetes:helm.sh/v4:Chart", name: "istio-base", props: {} }, (message) => reported.push(message));
            validate({ type: "kubernetes:helm.sh/v4:Chart", name: "redis", props: { chart: "redis" } }, (message) => reported.push(message));
            assert.deepStrictEqual(reported, ["Chart redis (redis) has no version. Fix: pin an exact chart version (ztmesh pins its charts in components/versions.ts)."]);
        });

        it("stays silent on ztmesh's pinned charts and on local (air-gapped) charts", async () => {
            const result = await packOnStack("dev", { editConfig: (config) => { config["ztmesh:charts"] = { localDirectory: "/opt/charts" }; } });
            assert.deepStrictEqual(result.resources.filter((r) => r.type.endsWith(":Chart")).map((r) => r.inputs.chart), ["/opt/charts/base", "/opt/charts/istiod"]);
            assert.deepStrictEqual(ofPolicy(result, "helm-chart-pinned-version"), []);
        });
    });

    describe("container-images-pinned (advisory)", () => {
        it("reports :latest and untagged images as advisory", async () => {
            const result = await packOnStack("dev", {
                extra: () => new k8s.apps.v1.Deployment("debug", {
                    metadata: { name: "debug", namespace: "bookinfo" },
                    spec: { selector: { matchLabels: { app: "debug" } }, template: { metadata: { labels: { app: "debug" } }, spec: { serviceAccountName: "debug", initContainers: [{ name: "init", image: "busybox" }], containers: [{ name: "debug", image: "registry.example.com:5000/tools/netshoot:latest" }] } } },
                }),
            });
            const violations = ofPolicy(result, "container-images-pinned");
            assert.deepStrictEqual(violations.map((v) => [v.enforcementLevel, v.message.replace(/ Fix: .*/, "")]), [
                ["advisory", "Deployment bookinfo/debug runs image \"busybox\" without a fixed tag."],
                ["advisory", "Deployment bookinfo/debug runs image \"registry.example.com:5000/tools/netshoot:latest\" without a fixed tag."],
            ]);
        });

        it("stays silent on tagged images, a registry port not mistaken for a tag, and digests", async () => {
            const result = await packOnStack("dev", {
                extra: () => new k8s.apps.v1.Deployment("tools", {
                    metadata: { name: "tools", namespace: "bookinfo" },
                    spec: { selector: { matchLabels: { app: "tools" } }, template: { metadata: { labels: { app: "tools" } }, spec: { serviceAccountName: "tools", containers: [{ name: "a", image: "registry.example.com:5000/tools/a:1.2.3" }, { name: "b", image: "ghcr.io/x/b@sha256:0123456789abcdef" }] } } },
                }),
            });
            assert.deepStrictEqual(ofPolicy(result, "container-images-pinned"), []);
        });
    });
});
