import * as k8s from "@pulumi/kubernetes";
import * as assert from "assert";
import { installMocks } from "../../stacks/offline";
import { packOnStack } from "../harness/packRun";
import { ofPolicy } from "../harness/policyPack";

const custom = (name: string, apiVersion: string, kind: string, namespace: string | undefined, spec: Record<string, unknown>) =>
    new k8s.apiextensions.CustomResource(name, { apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) }, spec });

describe("policy pack: reachability-matches-intent", () => {
    before(installMocks);

    it("fires on flows nobody declared: 'allow everything inside the namespace' at both layers", async () => {
        const result = await packOnStack("dev", {
            extra: () => {
                new k8s.networking.v1.NetworkPolicy("same-namespace", {
                    metadata: { name: "allow-same-namespace", namespace: "bookinfo" },
                    spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [{ from: [{ podSelector: { matchLabels: { app: "productpage" } } }] }], egress: [{ to: [{ podSelector: { matchLabels: { app: "ratings" } } }] }] },
                });
                custom("ratings-from-namespace", "security.istio.io/v1", "AuthorizationPolicy", "bookinfo", { selector: { matchLabels: { app: "ratings" } }, rules: [{ from: [{ source: { namespaces: ["bookinfo"] } }] }] });
            },
        });
        const messages = ofPolicy(result, "reachability-matches-intent").map((v) => v.message);
        assert.ok(messages.includes("Service bookinfo/ratings lets bookinfo/productpage-v1[Deployment] reach bookinfo/ratings-v1[Deployment] (All Connections), which no declared caller covers; "
            + "egress of bookinfo/productpage-v1[Deployment]: everything allowed by NetworkPolicy bookinfo/allow-same-namespace rule 1; ingress of bookinfo/ratings-v1[Deployment]: everything allowed by NetworkPolicy bookinfo/allow-same-namespace rule 1; "
            + "sidecar of bookinfo/ratings-v1[Deployment]: ALLOW by AuthorizationPolicy bookinfo/ratings-from-namespace. "
            + "Fix: remove the policy that admits it, or declare the caller in the MeshService."), messages.join("\n"));
    });

    it("fires on a declared flow that a Calico Deny ordered first blocks, naming the Deny and what each side's policies decided", async () => {
        const result = await packOnStack("dev", {
            extra: () => custom("deny-reviews-egress", "crd.projectcalico.org/v1", "GlobalNetworkPolicy", undefined, {
                order: 10, selector: "app == \"reviews\"", types: ["Egress"], egress: [{ action: "Deny", destination: { selector: "app == \"ratings\"" } }],
            }),
        });
        const messages = ofPolicy(result, "reachability-matches-intent").map((v) => v.message);
        assert.strictEqual(messages.length, 3, messages.join("\n"));
        assert.match(messages[0], /^Service bookinfo\/ratings declares bookinfo\/reviews-v1\[Deployment\] as a caller of bookinfo\/ratings-v1\[Deployment\], but TCP 9080 is blocked; egress of bookinfo\/reviews-v1\[Deployment\]: everything denied by GlobalNetworkPolicy deny-reviews-egress rule 1; ingress of bookinfo\/ratings-v1\[Deployment\]: TCP 9080 allowed by NetworkPolicy bookinfo\/ratings rule 1, the rest denied at the end of tier default; sidecar of bookinfo\/ratings-v1\[Deployment\]: ALLOW by AuthorizationPolicy bookinfo\/ratings\. Fix: /);
    });

    it("fires when an L7 rule removes the declared requests", async () => {
        const result = await packOnStack("dev", {
            extra: () => custom("ratings-no-get", "security.istio.io/v1", "AuthorizationPolicy", "bookinfo", {
                selector: { matchLabels: { app: "ratings" } }, action: "DENY", rules: [{ to: [{ operation: { methods: ["GET"] } }] }],
            }),
        });
        const messages = ofPolicy(result, "reachability-matches-intent").map((v) => v.message);
        assert.strictEqual(messages.length, 3, messages.join("\n"));
        assert.ok(messages.every((m) => /declares bookinfo\/reviews-v\d\[Deployment\] as a caller of bookinfo\/ratings-v1\[Deployment\], but TCP 9080 is blocked; egress of .* rule 1, .*; ingress of .*; sidecar of bookinfo\/ratings-v1\[Deployment\]: ALLOW by AuthorizationPolicy bookinfo\/ratings, DENY by AuthorizationPolicy bookinfo\/ratings-no-get\. /.test(m)), messages.join("\n"));
    });

    it("fires when an L7 rule admits more requests than declared, naming the requests no declared caller covers", async () => {
        const result = await packOnStack("dev", {
            extra: () => custom("ratings-any-request", "security.istio.io/v1", "AuthorizationPolicy", "bookinfo", {
                selector: { matchLabels: { app: "ratings" } }, rules: [{ from: [{ source: { principals: ["cluster.local/ns/bookinfo/sa/bookinfo-reviews"] } }], to: [{ operation: { methods: ["DELETE"] } }] }],
            }),
        });
        const messages = ofPolicy(result, "reachability-matches-intent").map((v) => v.message);
        assert.strictEqual(messages.length, 3, messages.join("\n"));
        assert.ok(messages.every((m) => /^Service bookinfo\/ratings lets bookinfo\/reviews-v\d\[Deployment\] reach bookinfo\/ratings-v1\[Deployment\] \(DELETE \*\), which no declared caller covers; .*sidecar of bookinfo\/ratings-v1\[Deployment\]: ALLOW by AuthorizationPolicy bookinfo\/ratings-any-request, AuthorizationPolicy bookinfo\/ratings\. Fix: remove the policy that admits it/.test(m)), messages.join("\n"));
    });

    it("names the Service whose hand-written declared-callers annotation cannot be read", async () => {
        const result = await packOnStack("dev", {
            extra: () => new k8s.core.v1.Service("hand-written", {
                metadata: { name: "legacy", namespace: "bookinfo", annotations: { "ztmesh.io/declared-callers": "[{\"namespace\": \"bookinfo\"}]" } },
                spec: { selector: { app: "legacy" }, ports: [{ port: 80 }] },
            }),
        });
        const messages = ofPolicy(result, "reachability-matches-intent").map((v) => v.message);
        assert.deepStrictEqual(messages, [
            "Service bookinfo/legacy has declared callers that cannot be read: metadata.annotations[\"ztmesh.io/declared-callers\"][0].podLabels: required field is missing; "
                + "it must be a mapping of label names to values. Fix: write the annotation as MeshService does, or remove it.",
        ]);
    });

    it("stays silent on dev and prod, and on a narrower-than-declared policy for a flow nobody declared", async () => {
        for (const stack of ["dev", "prod"] as const) {
            assert.deepStrictEqual(ofPolicy(await packOnStack(stack), "reachability-matches-intent"), [], stack);
        }
        const result = await packOnStack("dev", {
            extra: () => custom("ratings-no-delete", "security.istio.io/v1", "AuthorizationPolicy", "bookinfo", {
                selector: { matchLabels: { app: "ratings" } }, action: "DENY", rules: [{ to: [{ operation: { methods: ["DELETE"] } }] }],
            }),
        });
        assert.deepStrictEqual(ofPolicy(result, "reachability-matches-intent"), []);
    });
});
