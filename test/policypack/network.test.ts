import * as k8s from "@pulumi/kubernetes";
import * as assert from "assert";
import { installMocks } from "../../stacks/offline";
import { packOnStack } from "../harness/packRun";
import { ofPolicy } from "../harness/policyPack";

const calicoPolicy = (name: string, spec: Record<string, unknown>) =>
    new k8s.apiextensions.CustomResource(name, { apiVersion: "crd.projectcalico.org/v1", kind: "GlobalNetworkPolicy", metadata: { name: `default.${name}` }, spec });

describe("policy pack: network rules", () => {
    before(installMocks);

    describe("network-policy-no-allow-all", () => {
        it("fires on the 'temporary' allow-all someone adds to debug, naming the rule index and the fix", async () => {
            const result = await packOnStack("dev", {
                extra: () => new k8s.networking.v1.NetworkPolicy("debug-allow-all", {
                    metadata: { name: "allow-all-ingress", namespace: "bookinfo" },
                    spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [{}], egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }] },
                }),
            });
            assert.deepStrictEqual(ofPolicy(result, "network-policy-no-allow-all").map((v) => v.message), [
                "NetworkPolicy bookinfo/allow-all-ingress admits ingress from every source or destination (the rule lists no peers) in spec.ingress[0]. Fix: list the callers' pods (namespaceSelector + podSelector); declare them as callers of the MeshService.",
                "NetworkPolicy bookinfo/allow-all-ingress allows egress to every address (ipBlock 0.0.0.0/0) in spec.egress[0]. Fix: list the destinations' pods or a narrow ipBlock; declare them as dependencies.",
            ]);
        });

        it("fires on an empty namespaceSelector (every pod of the cluster)", async () => {
            const result = await packOnStack("dev", {
                extra: () => new k8s.networking.v1.NetworkPolicy("from-anywhere", {
                    metadata: { name: "ratings-from-cluster", namespace: "bookinfo" },
                    spec: { podSelector: { matchLabels: { app: "ratings" } }, ingress: [{ from: [{ namespaceSelector: {} }] }] },
                }),
            });
            assert.match(ofPolicy(result, "network-policy-no-allow-all")[0].message, /admits ingress from every pod in every namespace \(empty namespaceSelector\)/);
        });

        it("stays silent on the gateway's public ingress, a narrow ipBlock and control-plane chart policies", async () => {
            const result = await packOnStack("dev", {
                extra: () => new k8s.networking.v1.NetworkPolicy("office", {
                    metadata: { name: "office-to-productpage", namespace: "bookinfo" },
                    spec: { podSelector: { matchLabels: { app: "productpage" } }, ingress: [{ from: [{ ipBlock: { cidr: "203.0.113.0/24" } }] }] },
                }),
            });
            assert.deepStrictEqual(ofPolicy(result, "network-policy-no-allow-all"), []);
            assert.ok(result.resources.some((r) => r.inputs.metadata?.name === "mesh-gateway-public-ingress"));
        });

        it("still fires when the wide-open policy selects pods next to the gateway that are not the gateway", async () => {
            const result = await packOnStack("dev", {
                extra: () => new k8s.networking.v1.NetworkPolicy("ingress-ns-open", {
                    metadata: { name: "open", namespace: "istio-ingress" },
                    spec: { podSelector: {}, ingress: [{}] },
                }),
            });
            assert.strictEqual(ofPolicy(result, "network-policy-no-allow-all").length, 1);
        });
    });

    describe("calico-policy-no-allow-all", () => {
        it("fires on a GlobalNetworkPolicy Allow without source, with all(), or from 0.0.0.0/0", async () => {
            const result = await packOnStack("dev", {
                extra: () => calicoPolicy("allow-everything", {
                    order: 10,
                    selector: "all()",
                    types: ["Ingress", "Egress"],
                    ingress: [{ action: "Allow" }, { action: "Allow", source: { nets: ["0.0.0.0/0"] } }],
                    egress: [{ action: "Allow", destination: { selector: "all()" } }],
                }),
            });
            assert.deepStrictEqual(ofPolicy(result, "calico-policy-no-allow-all").map((v) => v.message), [
                "GlobalNetworkPolicy default.allow-everything allows ingress from every endpoint (no selector or nets) in spec.ingress[0]. Fix: narrow spec.ingress[0].source with a selector and namespaceSelector, or nets.",
                "GlobalNetworkPolicy default.allow-everything allows ingress from every address (nets 0.0.0.0/0) in spec.ingress[1]. Fix: narrow spec.ingress[1].source with a selector and namespaceSelector, or nets.",
                "GlobalNetworkPolicy default.allow-everything allows egress to every endpoint (all()) in spec.egress[0]. Fix: narrow spec.egress[0].destination with a selector and namespaceSelector, or nets.",
            ]);
        });

        it("stays silent on Deny rules, all() with exclusions, and the gateway health allow", async () => {
            const result = await packOnStack("dev", {
                extra: () => calicoPolicy("deny-and-narrow", {
                    selector: "app == \"ratings\"",
                    types: ["Ingress"],
                    ingress: [{ action: "Deny" }, { action: "Allow", source: { selector: "all()", notSelector: "app == \"untrusted\"" } }],
                }),
            });
            assert.deepStrictEqual(ofPolicy(result, "calico-policy-no-allow-all"), []);
            assert.ok(result.resources.some((r) => r.inputs.metadata?.name === "default.ztmesh-allow-gateway-health"));
        });
    });
});
