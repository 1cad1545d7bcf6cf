import * as k8s from "@pulumi/kubernetes";
import * as assert from "assert";
import { installMocks } from "../../stacks/offline";
import { packOnStack } from "../harness/packRun";
import { ofPolicy } from "../harness/policyPack";

const istio = (name: string, apiVersion: string, kind: string, namespace: string, spec: Record<string, unknown>) =>
    new k8s.apiextensions.CustomResource(name, { apiVersion, kind, metadata: { name, namespace }, spec });

const deployment = (name: string, namespace: string, template: { labels?: Record<string, string>; annotations?: Record<string, string>; serviceAccountName?: string; image?: string }) =>
    new k8s.apps.v1.Deployment(name, {
        metadata: { name, namespace },
        spec: {
            selector: { matchLabels: { app: name } },
            template: {
                metadata: { labels: { app: name, ...template.labels }, annotations: template.annotations },
                spec: { serviceAccountName: template.serviceAccountName, containers: [{ name, image: template.image ?? `registry.example.com/${name}:1.0.0` }] },
            },
        },
    });

describe("policy pack: mesh identity rules", () => {
    before(installMocks);

    describe("peer-authentication-strict", () => {
        it("fires on a PERMISSIVE namespace 'for the migration' and a port left in plain text", async () => {
            const result = await packOnStack("dev", {
                extra: () => istio("legacy-migration", "security.istio.io/v1", "PeerAuthentication", "bookinfo", {
                    mtls: { mode: "PERMISSIVE" },
                    portLevelMtls: { "9090": { mode: "DISABLE" } },
                }),
            });
            assert.deepStrictEqual(ofPolicy(result, "peer-authentication-strict").map((v) => v.message), [
                "PeerAuthentication bookinfo/legacy-migration sets mtls.mode PERMISSIVE, which accepts plain-text traffic. Fix: set spec.mtls.mode to STRICT (migrate clients to the mesh first).",
                "PeerAuthentication bookinfo/legacy-migration sets mtls.mode DISABLE on port 9090. Fix: remove spec.portLevelMtls[\"9090\"] or set it to STRICT.",
            ]);
        });

        it("fires on a mesh-wide policy that leaves the mode unset", async () => {
            const result = await packOnStack("dev", { extra: () => istio("mesh-unset", "security.istio.io/v1", "PeerAuthentication", "istio-system", { mtls: {} }) });
            assert.match(ofPolicy(result, "peer-authentication-strict")[0].message, /istio-system\/mesh-unset is the mesh-wide policy but leaves mtls.mode unset \(PERMISSIVE\)/);
        });

        it("stays silent on a workload policy that inherits (UNSET) or restates STRICT", async () => {
            const result = await packOnStack("dev", {
                extra: () => istio("ratings-inherit", "security.istio.io/v1", "PeerAuthentication", "bookinfo", { selector: { matchLabels: { app: "ratings" } }, mtls: { mode: "UNSET" }, portLevelMtls: { "9080": { mode: "STRICT" } } }),
            });
            assert.deepStrictEqual(ofPolicy(result, "peer-authentication-strict"), []);
        });
    });

    describe("destination-rule-no-tls-disable", () => {
        it("fires on TLS turned off for a subset's port", async () => {
            const result = await packOnStack("dev", {
                extra: () => istio("ratings-debug", "networking.istio.io/v1", "DestinationRule", "bookinfo", {
                    host: "ratings",
                    subsets: [{ name: "v1", labels: { version: "v1" }, trafficPolicy: { portLevelSettings: [{ port: { number: 9080 }, tls: { mode: "DISABLE" } }] } }],
                }),
            });
            assert.deepStrictEqual(ofPolicy(result, "destination-rule-no-tls-disable").map((v) => v.message), [
                "DestinationRule bookinfo/ratings-debug sends plain text: spec.subsets[0].trafficPolicy.portLevelSettings[0].tls.mode is DISABLE. Fix: set spec.subsets[0].trafficPolicy.portLevelSettings[0].tls.mode to ISTIO_MUTUAL (or remove it).",
            ]);
        });

        it("stays silent on ISTIO_MUTUAL and on SIMPLE TLS to an external host", async () => {
            const result = await packOnStack("dev", {
                extra: () => istio("payments-api", "networking.istio.io/v1", "DestinationRule", "bookinfo", { host: "api.payments.example", trafficPolicy: { tls: { mode: "SIMPLE" } } }),
            });
            assert.deepStrictEqual(ofPolicy(result, "destination-rule-no-tls-disable"), []);
        });
    });

    describe("authorization-policy-no-allow-all", () => {
        it("fires on the classic mistakes: an empty rule, a rule without from, and principals: [\"*\"]", async () => {
            const result = await packOnStack("dev", {
                extra: () => istio("details-open", "security.istio.io/v1", "AuthorizationPolicy", "bookinfo", {
                    selector: { matchLabels: { app: "details" } },
                    rules: [{}, { to: [{ operation: { methods: ["GET"] } }] }, { from: [{ source: { principals: ["*"] } }] }],
                }),
            });
            assert.deepStrictEqual(ofPolicy(result, "authorization-policy-no-allow-all").map((v) => v.message.replace(/ Fix: .*/, "")), [
                "AuthorizationPolicy bookinfo/details-open rule spec.rules[0] has no `from`, so it admits every caller.",
                "AuthorizationPolicy bookinfo/details-open rule spec.rules[1] has no `from`, so it admits every caller.",
                "AuthorizationPolicy bookinfo/details-open rule spec.rules[2] admits `*`, i.e. every caller.",
            ]);
            assert.match(ofPolicy(result, "authorization-policy-no-allow-all")[0].message, /Fix: allow the callers' principals \(cluster\.local\/ns\/<ns>\/sa\/<sa>\)/);
        });

        it("fires on a source that names only IP blocks", async () => {
            const result = await packOnStack("dev", {
                extra: () => istio("by-ip", "security.istio.io/v1", "AuthorizationPolicy", "bookinfo", { rules: [{ from: [{ source: { ipBlocks: ["10.0.0.0/8"] } }] }] }),
            });
            assert.match(ofPolicy(result, "authorization-policy-no-allow-all")[0].message, /has a source with no principals, namespaces or requestPrincipals/);
        });

        it("stays silent on allow-nothing, on ztmesh's principal rules, and on a DENY from *", async () => {
            const result = await packOnStack("dev", {
                extra: () => istio("deny-admin", "security.istio.io/v1", "AuthorizationPolicy", "bookinfo", { action: "DENY", rules: [{ from: [{ source: { principals: ["*"] } }], to: [{ operation: { paths: ["/admin*"] } }] }] }),
            });
            assert.deepStrictEqual(ofPolicy(result, "authorization-policy-no-allow-all"), []);
        });
    });

    describe("no-sidecar-injection-opt-out", () => {
        it("fires on an application pod annotated sidecar.istio.io/inject: \"false\"", async () => {
            const result = await packOnStack("dev", {
                extra: () => deployment("batch-export", "bookinfo", { annotations: { "sidecar.istio.io/inject": "false" }, serviceAccountName: "batch-export" }),
            });
            assert.deepStrictEqual(ofPolicy(result, "no-sidecar-injection-opt-out").map((v) => v.message), [
                "Deployment bookinfo/batch-export opts its pods out of the mesh (pod annotation sidecar.istio.io/inject: \"false\"). Fix: remove the annotation; if the workload cannot run a sidecar, exempt it in the policy config with a reason.",
            ]);
        });

        it("stays silent on the control plane's own pods (istiod and the CNI agent opt out by design)", async () => {
            const result = await packOnStack("dev", { editConfig: (config) => { config["ztmesh:istio"].cni = true; } });
            assert.ok(result.resources.some((r) => r.inputs.kind === "DaemonSet" && r.inputs.spec.template.metadata.annotations["sidecar.istio.io/inject"] === "false"));
            assert.deepStrictEqual(ofPolicy(result, "no-sidecar-injection-opt-out"), []);
        });
    });

    describe("no-default-service-account", () => {
        it("fires on a workload without serviceAccountName, and one that names default", async () => {
            const result = await packOnStack("dev", {
                extra: () => {
                    deployment("cron-cleanup", "bookinfo", {});
                    deployment("reports", "bookinfo", { serviceAccountName: "default" });
                },
            });
            assert.deepStrictEqual(ofPolicy(result, "no-default-service-account").map((v) => v.message.split(" runs")[0]), ["Deployment bookinfo/cron-cleanup", "Deployment bookinfo/reports"]);
        });

        it("stays silent on a workload with its own ServiceAccount", async () => {
            const result = await packOnStack("dev", { extra: () => deployment("reports", "bookinfo", { serviceAccountName: "reports" }) });
            assert.deepStrictEqual(ofPolicy(result, "no-default-service-account"), []);
        });
    });
});
