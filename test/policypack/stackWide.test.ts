import * as k8s from "@pulumi/kubernetes";
import * as assert from "assert";
import { installMocks } from "../../stacks/offline";
import { packOnStack } from "../harness/packRun";
import { ofPolicy } from "../harness/policyPack";

const custom = (name: string, apiVersion: string, kind: string, namespace: string | undefined, spec: Record<string, unknown>) =>
    new k8s.apiextensions.CustomResource(name, { apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) }, spec });

const legacyWorkload = (namespace: string, podLabels: Record<string, string> = {}) =>
    new k8s.apps.v1.Deployment(`legacy-${namespace}`, {
        metadata: { name: "legacy", namespace },
        spec: { selector: { matchLabels: { app: "legacy" } }, template: { metadata: { labels: { app: "legacy", ...podLabels } }, spec: { serviceAccountName: "legacy", containers: [{ name: "legacy", image: "registry.example.com/legacy:3.1.0" }] } } },
    });

describe("policy pack: stack-wide rules", () => {
    before(installMocks);

    describe("gateway-https-only", () => {
        it("fires on an app route attached to the plain-HTTP listener, a TCP listener, and an HTTP listener open to all namespaces", async () => {
            const result = await packOnStack("dev", {
                extra: () => {
                    custom("http-shortcut", "gateway.networking.k8s.io/v1", "HTTPRoute", "istio-ingress", { parentRefs: [{ name: "mesh-gateway", sectionName: "http" }], rules: [{ backendRefs: [{ name: "productpage", namespace: "bookinfo", port: 9080 }] }] });
                    custom("team-gw", "gateway.networking.k8s.io/v1", "Gateway", "istio-ingress", {
                        gatewayClassName: "istio",
                        listeners: [{ name: "http", protocol: "HTTP", port: 80, allowedRoutes: { namespaces: { from: "All" } } }, { name: "db", protocol: "TCP", port: 5432 }],
                    });
                },
            });
            assert.deepStrictEqual(ofPolicy(result, "gateway-https-only").map((v) => v.message.replace(/ Fix: .*/, "")).sort(), [
                "Gateway istio-ingress/team-gw has TCP listener \"db\" (port 5432), which is not encrypted.",
                "Gateway istio-ingress/team-gw lets other namespaces attach plain-HTTP routes to listener \"http\" (port 80).",
                "HTTPRoute istio-ingress/http-shortcut serves plain HTTP on Gateway istio-ingress/mesh-gateway listener \"http\" (port 80).",
            ]);
        });

        it("fires on a classic Istio Gateway whose HTTP server does not redirect", async () => {
            const result = await packOnStack("dev", {
                extra: () => custom("legacy-edge", "networking.istio.io/v1", "Gateway", "istio-ingress", { selector: { istio: "ingressgateway" }, servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }] }),
            });
            assert.match(ofPolicy(result, "gateway-https-only")[0].message, /Gateway istio-ingress\/legacy-edge serves plain HTTP on port 80 without redirecting\. Fix: set tls\.httpsRedirect: true/);
        });

        it("stays silent on ztmesh's gateways: the redirect-only HTTP listener, in both ingress modes", async () => {
            for (const mode of ["gateway-api", "classic"]) {
                const result = await packOnStack("dev", { editConfig: (config) => { config["ztmesh:istio"].ingressMode = mode; } });
                assert.deepStrictEqual(ofPolicy(result, "gateway-https-only"), [], mode);
            }
        });
    });

    describe("namespace-default-deny-both-layers", () => {
        const exemptLegacy = (config: Record<string, any>) => {
            // The mistake: "it only works if we exempt it" — the namespace joins the exemption list.
            config["ztmesh:baseline"] = { controlPlaneNamespaces: ["kube-system", "calico-system", "calico-apiserver", "tigera-operator", "istio-system", "legacy"] };
        };
        const legacyNamespace = () => {
            new k8s.core.v1.Namespace("legacy-ns", { metadata: { name: "legacy", labels: { "istio-injection": "enabled" } } });
            legacyWorkload("legacy");
        };

        it("fires on a namespace exempted from the cluster default-deny and left without policy, naming both layers", async () => {
            const result = await packOnStack("dev", { editConfig: exemptLegacy, extra: legacyNamespace });
            const violations = ofPolicy(result, "namespace-default-deny-both-layers");
            assert.deepStrictEqual(violations.map((v) => v.message.replace(/ Fix: .*/, "")), [
                "Namespace legacy has no Layer 3/4 default-deny for Ingress and Egress.",
                "Namespace legacy has no Istio allow-nothing AuthorizationPolicy.",
            ]);
            assert.ok(violations.every((v) => v.urn?.endsWith("::legacy-ns")), "reported against the Namespace resource");
        });

        it("counts Calico default-denies (cluster-wide or namespaced) for Layer 3/4, but still wants the Layer 7 half", async () => {
            const clusterWide = await packOnStack("dev", { extra: legacyNamespace });
            const namespaced = await packOnStack("dev", {
                editConfig: exemptLegacy,
                extra: () => {
                    legacyNamespace();
                    custom("legacy-deny", "projectcalico.org/v3", "NetworkPolicy", "legacy", { selector: "all()", types: ["Ingress", "Egress"] });
                },
            });
            for (const result of [clusterWide, namespaced]) {
                assert.deepStrictEqual(ofPolicy(result, "namespace-default-deny-both-layers").map((v) => v.message.replace(/ Fix: .*/, "")), [
                    "Namespace legacy has no Istio allow-nothing AuthorizationPolicy.",
                ]);
            }
        });

        it("stays silent on bookinfo (ZeroTrustBaseline) and on the gateway namespace, which needs no allow-nothing", async () => {
            const result = await packOnStack("dev");
            assert.deepStrictEqual(ofPolicy(result, "namespace-default-deny-both-layers"), []);
        });
    });

    describe("mesh-wide-strict-mtls", () => {
        it("fires when the mesh-wide PeerAuthentication is not STRICT", async () => {
            const result = await packOnStack("dev", {
                editResources: (resources) => {
                    const meshPolicy = resources.find((r) => r.inputs.kind === "PeerAuthentication")!;
                    meshPolicy.inputs = { ...meshPolicy.inputs, spec: { mtls: { mode: "PERMISSIVE" } } };
                },
            });
            assert.deepStrictEqual(ofPolicy(result, "mesh-wide-strict-mtls").map((v) => v.message), [
                "PeerAuthentication istio-system/default is missing: the stack sets no mesh-wide STRICT mTLS. Fix: add a PeerAuthentication without selector in istio-system with spec.mtls.mode STRICT (the Istio component does).",
            ]);
        });

        it("stays silent when a STRICT policy exists, even beside a workload-level one", async () => {
            const result = await packOnStack("dev", { extra: () => custom("ratings-pa", "security.istio.io/v1", "PeerAuthentication", "bookinfo", { selector: { matchLabels: { app: "ratings" } }, mtls: { mode: "STRICT" } }) });
            assert.deepStrictEqual(ofPolicy(result, "mesh-wide-strict-mtls"), []);
        });
    });

    describe("workloads-injected (IST0102)", () => {
        it("fires on workloads of a namespace someone labelled istio-injection: disabled", async () => {
            const result = await packOnStack("dev", {
                extra: () => {
                    new k8s.core.v1.Namespace("legacy-ns", { metadata: { name: "legacy", labels: { "istio-injection": "disabled" } } });
                    legacyWorkload("legacy", { "sidecar.istio.io/inject": "true" });
                },
            });
            assert.deepStrictEqual(ofPolicy(result, "workloads-injected").map((v) => v.message.replace(/ Fix: .*/, "")), [
                "Deployment legacy/legacy runs without a sidecar (IST0102): namespace legacy is labelled istio-injection=disabled.",
            ]);
        });

        it("fires on pods in a namespace that never enabled injection", async () => {
            const result = await packOnStack("dev", { extra: () => legacyWorkload("batch") });
            assert.match(ofPolicy(result, "workloads-injected")[0].message, /neither namespace batch nor its pods enable injection/);
        });

        it("stays silent on pods that ask for injection in an unlabelled namespace (ztmesh's pod label)", async () => {
            const result = await packOnStack("dev", { extra: () => legacyWorkload("batch", { "sidecar.istio.io/inject": "true" }) });
            assert.deepStrictEqual(ofPolicy(result, "workloads-injected"), []);
        });
    });
});
