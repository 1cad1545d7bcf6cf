import * as k8s from "@pulumi/kubernetes";
import * as assert from "assert";
import { installMocks } from "../../stacks/offline";
import { packOnStack } from "../harness/packRun";
import { mandatory, ofPolicy } from "../harness/policyPack";

const custom = (name: string, apiVersion: string, kind: string, namespace: string, spec: Record<string, unknown>, labels?: Record<string, string>) =>
    new k8s.apiextensions.CustomResource(name, { apiVersion, kind, metadata: { name, namespace, ...(labels ? { labels } : {}) }, spec });
const messages = (result: Awaited<ReturnType<typeof packOnStack>>, policy: string) => ofPolicy(result, policy).map((v) => v.message);
const getOnly = [{ from: [{ source: { principals: ["cluster.local/ns/bookinfo/sa/bookinfo-productpage"] } }], to: [{ operation: { methods: ["GET"] } }] }];

describe("policy pack: ambient rules", () => {
    before(installMocks);

    it("the ambient stack is clean: zero violations, the ambient rules included", async () => {
        const result = await packOnStack("ambient");
        assert.deepStrictEqual(result.violations.map((v) => `${v.policyName}: ${v.message}`), []);
    });

    describe("ambient-l7-policy-has-waypoint", () => {
        it("fires on a selector policy with methods over ambient pods, and on a policy attached to a Service without waypoint", async () => {
            const result = await packOnStack("ambient", {
                extra: () => {
                    custom("ratings-get", "security.istio.io/v1", "AuthorizationPolicy", "bookinfo", { selector: { matchLabels: { app: "ratings" } }, rules: getOnly });
                    custom("ghost", "security.istio.io/v1", "AuthorizationPolicy", "bookinfo", { targetRefs: [{ group: "", kind: "Service", name: "ghost" }], rules: getOnly });
                    // A dry run is judged as what promotion makes of it: istiod withholds it from ztunnel only until then.
                    new k8s.apiextensions.CustomResource("ratings-get-dry-run", { apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: "ratings-get-dry-run", namespace: "bookinfo", annotations: { "istio.io/dry-run": "true" } }, spec: { selector: { matchLabels: { app: "ratings" } }, rules: getOnly } });
                },
            });
            assert.deepStrictEqual(messages(result, "ambient-l7-policy-has-waypoint").map((m) => m.replace(/ Fix: .*/, "")).sort(), [
                "AuthorizationPolicy bookinfo/ghost is attached to Service bookinfo/ghost, which the stack does not declare, so no proxy enforces it.",
                "AuthorizationPolicy bookinfo/ratings-get selects Deployment bookinfo/ratings-v1 in the ambient mesh, where ztunnel enforces it, but has Layer 7 fields (rules[0].to[0].operation.methods) that ztunnel cannot evaluate.",
                "AuthorizationPolicy bookinfo/ratings-get-dry-run selects Deployment bookinfo/ratings-v1 in the ambient mesh, where ztunnel enforces it (a dry run now: it takes effect when promoted to enforce), but has Layer 7 fields (rules[0].to[0].operation.methods) that ztunnel cannot evaluate.",
            ]);
            assert.ok(mandatory(result).some((v) => v.policyName === "ambient-l7-policy-has-waypoint"));
        });

        it("near miss: the same selector policy with principals and ports only, and the same L7 policy in sidecar mode, are in order", async () => {
            const layer4 = [{ from: [{ source: { principals: ["cluster.local/ns/bookinfo/sa/bookinfo-productpage"] } }], to: [{ operation: { ports: ["9080"] } }] }];
            const ambientResult = await packOnStack("ambient", { extra: () => custom("ratings-l4", "security.istio.io/v1", "AuthorizationPolicy", "bookinfo", { selector: { matchLabels: { app: "ratings" } }, rules: layer4 }) });
            assert.deepStrictEqual(messages(ambientResult, "ambient-l7-policy-has-waypoint"), []);
            const sidecarResult = await packOnStack("dev", { extra: () => custom("ratings-get", "security.istio.io/v1", "AuthorizationPolicy", "bookinfo", { selector: { matchLabels: { app: "ratings" } }, rules: getOnly }) });
            assert.deepStrictEqual(messages(sidecarResult, "ambient-l7-policy-has-waypoint"), []);
        });
    });

    describe("ambient-service-has-waypoint", () => {
        it("fires on a Service with method-limited callers but no waypoint, and on a waypoint label naming no waypoint", async () => {
            const result = await packOnStack("ambient", {
                editResources: (resources) => {
                    for (const resource of resources) {
                        const labels = resource.inputs.kind === "Service" ? resource.inputs.metadata.labels : undefined;
                        if (labels && resource.inputs.metadata.name === "details") {
                            delete labels["istio.io/use-waypoint"];
                        } else if (labels && resource.inputs.metadata.name === "ratings") {
                            labels["istio.io/use-waypoint"] = "waypoint-typo";
                        }
                    }
                },
            });
            assert.deepStrictEqual(messages(result, "ambient-service-has-waypoint").map((m) => m.replace(/ Fix: .*/, "")).sort(), [
                "Service bookinfo/details declares callers limited by methods and paths, but uses no waypoint, so only ztunnel's Layer 4 check applies.",
                "Service bookinfo/ratings uses waypoint \"waypoint-typo\", which is no Gateway of class istio-waypoint in bookinfo.",
            ]);
        });

        it("near miss: the same Services in sidecar mode need no waypoint", async () => {
            assert.deepStrictEqual(messages(await packOnStack("dev"), "ambient-service-has-waypoint"), []);
        });
    });

    describe("no-sidecar-config-in-ambient", () => {
        it("fires on a Sidecar and an EnvoyFilter in an ambient namespace, and on a namespace both injected and ambient", async () => {
            const result = await packOnStack("ambient", {
                extra: () => {
                    custom("egress-scope", "networking.istio.io/v1", "Sidecar", "bookinfo", { egress: [{ hosts: ["./*"] }] });
                    custom("lua", "networking.istio.io/v1alpha3", "EnvoyFilter", "bookinfo", { workloadSelector: { labels: { app: "ratings" } }, configPatches: [] });
                    new k8s.core.v1.Namespace("both", { metadata: { name: "both", labels: { "istio-injection": "enabled", "istio.io/dataplane-mode": "ambient" } } });
                },
            });
            assert.deepStrictEqual(messages(result, "no-sidecar-config-in-ambient").map((m) => m.replace(/ Fix: .*/, "")).sort(), [
                "EnvoyFilter bookinfo/lua configures sidecars in bookinfo, whose pods are in the ambient mesh and have none, so it is ignored.",
                "Namespace both is labelled both istio-injection=enabled and istio.io/dataplane-mode=ambient: injected pods bypass ztunnel and the namespace means two things.",
                "Sidecar bookinfo/egress-scope configures sidecars in bookinfo, whose pods are in the ambient mesh and have none, so it is ignored.",
            ]);
        });

        it("near miss: the same Sidecar in sidecar mode, and an EnvoyFilter attached to a waypoint, are in order", async () => {
            const sidecarResult = await packOnStack("dev", { extra: () => custom("egress-scope", "networking.istio.io/v1", "Sidecar", "bookinfo", { egress: [{ hosts: ["./*"] }] }) });
            assert.deepStrictEqual(messages(sidecarResult, "no-sidecar-config-in-ambient"), []);
            const ambientResult = await packOnStack("ambient", {
                extra: () => custom("lua", "networking.istio.io/v1alpha3", "EnvoyFilter", "bookinfo", { targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "waypoint" }], configPatches: [] }),
            });
            assert.deepStrictEqual(messages(ambientResult, "no-sidecar-config-in-ambient"), []);
        });
    });

    it("workloads-injected counts ambient pods as meshed, and still fires on a pod that opts out with dataplane-mode none", async () => {
        const result = await packOnStack("ambient", {
            editResources: (resources) => {
                const ratings = resources.find((r) => r.inputs.kind === "Deployment" && r.inputs.metadata.name === "ratings-v1")!;
                ratings.inputs.spec.template.metadata.labels["istio.io/dataplane-mode"] = "none";
            },
        });
        assert.deepStrictEqual(messages(result, "workloads-injected").map((m) => m.replace(/ Fix: .*/, "")), [
            "Deployment bookinfo/ratings-v1 runs without a sidecar (IST0102): neither namespace bookinfo nor its pods enable injection.",
        ]);
    });
});
