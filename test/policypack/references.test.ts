import * as k8s from "@pulumi/kubernetes";
import * as assert from "assert";
import { installMocks } from "../../stacks/offline";
import { packOnStack } from "../harness/packRun";
import { ofPolicy } from "../harness/policyPack";

const custom = (name: string, apiVersion: string, kind: string, namespace: string, spec: Record<string, unknown>) =>
    new k8s.apiextensions.CustomResource(name, { apiVersion, kind, metadata: { name, namespace }, spec });

const stripFix = (messages: { message: string }[]) => messages.map((v) => v.message.replace(/ Fix: .*/, "")).sort();

describe("policy pack: references resolve (istioctl analyze style)", () => {
    before(installMocks);

    describe("virtualservice-references-resolve", () => {
        it("fires on a route to a subset no DestinationRule defines, and to a host that does not exist (IST0101)", async () => {
            const result = await packOnStack("dev", {
                extra: () => custom("reviews-v4", "networking.istio.io/v1", "VirtualService", "bookinfo", {
                    hosts: ["reviews"],
                    http: [{ route: [{ destination: { host: "reviews", subset: "v4" }, weight: 50 }, { destination: { host: "reveiws", subset: "v1" }, weight: 50 }] }],
                }),
            });
            assert.deepStrictEqual(stripFix(ofPolicy(result, "virtualservice-references-resolve")), [
                "VirtualService bookinfo/reviews-v4 sends traffic to reveiws, which is no Service or ServiceEntry of the stack (IST0101).",
                "VirtualService bookinfo/reviews-v4 sends traffic to subset v4 of reviews, which no DestinationRule defines (IST0101).",
            ]);
        });

        it("fires on a missing gateway and on a host the gateway does not serve (IST0132)", async () => {
            const result = await packOnStack("dev", {
                editConfig: (config) => { config["ztmesh:istio"].ingressMode = "classic"; },
                extra: () => {
                    custom("wrong-host", "networking.istio.io/v1", "VirtualService", "bookinfo", { hosts: ["admin.ztmesh.local"], gateways: ["istio-ingress/mesh-gateway"], http: [{ route: [{ destination: { host: "details" } }] }] });
                    custom("no-gateway", "networking.istio.io/v1", "VirtualService", "bookinfo", { hosts: ["bookinfo.ztmesh.local"], gateways: ["istio-ingress/edge"], http: [{ route: [{ destination: { host: "details" } }] }] });
                },
            });
            assert.deepStrictEqual(stripFix(ofPolicy(result, "virtualservice-references-resolve")), [
                "VirtualService bookinfo/no-gateway binds to gateway istio-ingress/edge, which does not exist (IST0101).",
                "VirtualService bookinfo/wrong-host binds host admin.ztmesh.local to gateway istio-ingress/mesh-gateway, whose servers do not serve it (IST0132).",
            ]);
        });

        it("stays silent on ztmesh's VirtualServices (short, namespaced and FQDN hosts) and on ServiceEntry hosts", async () => {
            const result = await packOnStack("dev", {
                extra: () => {
                    custom("ratings-short", "networking.istio.io/v1", "VirtualService", "bookinfo", { hosts: ["ratings.bookinfo"], http: [{ route: [{ destination: { host: "ratings", subset: "v1" } }] }] });
                    custom("external-api", "networking.istio.io/v1", "ServiceEntry", "bookinfo", { hosts: ["api.example.com"], ports: [{ number: 443, name: "https", protocol: "TLS" }], resolution: "DNS" });
                    custom("external-api-vs", "networking.istio.io/v1", "VirtualService", "bookinfo", { hosts: ["api.example.com"], tls: [{ match: [{ sniHosts: ["api.example.com"], port: 443 }], route: [{ destination: { host: "api.example.com" } }] }] });
                },
            });
            assert.deepStrictEqual(ofPolicy(result, "virtualservice-references-resolve"), []);
        });
    });

    describe("httproute-references-resolve", () => {
        it("fires on a missing backend, a port the Service lacks, and a listener the Gateway lacks (IST0101)", async () => {
            const result = await packOnStack("dev", {
                extra: () => custom("typos", "gateway.networking.k8s.io/v1", "HTTPRoute", "bookinfo", {
                    parentRefs: [{ name: "mesh-gateway", namespace: "istio-ingress", sectionName: "https-bookinfo" }],
                    rules: [{ backendRefs: [{ name: "productpage", port: 8080 }] }, { backendRefs: [{ name: "product-page", port: 9080 }] }],
                }),
            });
            assert.deepStrictEqual(stripFix(ofPolicy(result, "httproute-references-resolve")), [
                "HTTPRoute bookinfo/typos attaches to listener https-bookinfo of Gateway istio-ingress/mesh-gateway, which has no such listener (IST0101).",
                "HTTPRoute bookinfo/typos routes to Service bookinfo/product-page, which does not exist (IST0101).",
                "HTTPRoute bookinfo/typos routes to port 8080 of Service bookinfo/productpage, which does not serve it (IST0101).",
            ]);
        });

        it("stays silent on the productpage route, the HTTPS redirect and prod's canary Services", async () => {
            for (const stack of ["dev", "prod"] as const) {
                assert.deepStrictEqual(ofPolicy(await packOnStack(stack), "httproute-references-resolve"), [], stack);
            }
        });
    });

    describe("authorization-policy-selects-workloads (IST0127)", () => {
        it("fires on a selector with a label typo, which protects nothing", async () => {
            const result = await packOnStack("dev", {
                extra: () => custom("reviews-deny-post", "security.istio.io/v1", "AuthorizationPolicy", "bookinfo", {
                    selector: { matchLabels: { app: "reveiws" } }, action: "DENY", rules: [{ to: [{ operation: { methods: ["POST"] } }] }],
                }),
            });
            assert.deepStrictEqual(stripFix(ofPolicy(result, "authorization-policy-selects-workloads")), [
                "AuthorizationPolicy bookinfo/reviews-deny-post selects no workload: no pod in bookinfo carries {\"app\":\"reveiws\"} (IST0127).",
            ]);
        });

        it("stays silent on prod's policy for a workload deployed elsewhere (declared by existingWorkload)", async () => {
            const result = await packOnStack("prod");
            assert.ok(result.resources.some((r) => r.inputs.kind === "AuthorizationPolicy" && r.inputs.metadata.name === "payments"));
            assert.deepStrictEqual(ofPolicy(result, "authorization-policy-selects-workloads"), []);
        });
    });

    describe("destination-rule-subsets-select-pods (IST0173)", () => {
        it("fires on a subset for a version that was never deployed", async () => {
            const result = await packOnStack("dev", {
                extra: () => custom("ratings-v2", "networking.istio.io/v1", "DestinationRule", "bookinfo", { host: "ratings.bookinfo.svc.cluster.local", subsets: [{ name: "v2", labels: { version: "v2" } }] }),
            });
            assert.deepStrictEqual(stripFix(ofPolicy(result, "destination-rule-subsets-select-pods")), [
                "DestinationRule bookinfo/ratings-v2 defines subset v2, whose labels {\"version\":\"v2\"} select no pod of Service bookinfo/ratings (IST0173).",
            ]);
        });

        it("stays silent on the three reviews subsets of the dev canary", async () => {
            const result = await packOnStack("dev");
            assert.strictEqual(result.resources.find((r) => r.inputs.kind === "DestinationRule" && r.inputs.metadata.name === "reviews")!.inputs.spec.subsets.length, 3);
            assert.deepStrictEqual(ofPolicy(result, "destination-rule-subsets-select-pods"), []);
        });
    });
});
