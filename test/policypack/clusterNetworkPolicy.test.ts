import * as k8s from "@pulumi/kubernetes";
import * as assert from "assert";
import { installMocks } from "../../stacks/offline";
import { StackRunOptions, packOnStack } from "../harness/packRun";
import { ofPolicy } from "../harness/policyPack";

type Config = Record<string, any>;

const cnpMode = (config: Config) => { config["ztmesh:baseline"] = { clusterPolicy: "clusterNetworkPolicy" }; };

/** A ClusterNetworkPolicy the user adds beside the stack. */
const cnp = (name: string, spec: Record<string, unknown>) =>
    new k8s.apiextensions.CustomResource(name, { apiVersion: "policy.networking.k8s.io/v1alpha2", kind: "ClusterNetworkPolicy", metadata: { name }, spec });

const everyNamespace = { namespaces: {} };
const onCnpStack = (options: StackRunOptions = {}) => packOnStack("dev", { ...options, editConfig: cnpMode });
const messages = (result: Awaited<ReturnType<typeof packOnStack>>, policy: string) => ofPolicy(result, policy).map((v) => v.message);

describe("policy pack: ClusterNetworkPolicy rules", () => {
    before(installMocks);

    for (const stack of ["dev", "ambient"] as const) {
        it(`${stack} in clusterNetworkPolicy mode: zero violations`, async () => {
            const result = await packOnStack(stack, { editConfig: cnpMode });
            assert.deepStrictEqual(result.violations.map((v) => `${v.policyName}: ${v.message}`), []);
            assert.ok(result.resources.some((r) => r.inputs?.kind === "ClusterNetworkPolicy"), "the stack's guardrails are ClusterNetworkPolicies");
        });
    }

    describe("cluster-network-policy-no-open-tier", () => {
        it("fires on an Admin Accept of ingress from every pod, and of egress to every address, for app namespaces", async () => {
            const result = await onCnpStack({
                extra: () => {
                    cnp("open-ingress", { tier: "Admin", priority: 5, subject: everyNamespace, ingress: [{ name: "all-in", action: "Accept", from: [{ namespaces: {} }] }] });
                    cnp("open-egress", { tier: "Admin", priority: 6, subject: { pods: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "bookinfo" } }, podSelector: { matchLabels: { app: "reviews" } } } },
                        egress: [{ action: "Accept", to: [{ networks: ["::/0"] }] }] });
                },
            });
            assert.deepStrictEqual(messages(result, "cluster-network-policy-no-open-tier").map((m) => m.replace(/ Fix: .*/, "")).sort(), [
                "ClusterNetworkPolicy open-egress is a zero-trust hole: Admin Accept of egress to every address (networks ::/0) in spec.egress[0] opens bookinfo before every NetworkPolicy of the namespace, which cannot close it.",
                "ClusterNetworkPolicy open-ingress is a zero-trust hole: Admin Accept of ingress from every pod in every namespace (namespaces: {}) in spec.ingress[0] (\"all-in\") opens bookinfo, istio-ingress before every NetworkPolicy of the namespace, which cannot close it.",
            ]);
        });

        it("stays silent on an Admin Accept with ports, on one for the control plane only, and on ztmesh's own guardrails", async () => {
            const result = await onCnpStack({
                extra: () => {
                    cnp("dns-anywhere", { tier: "Admin", priority: 5, subject: everyNamespace, egress: [{ action: "Accept", to: [{ namespaces: {} }], protocols: [{ udp: { destinationPort: { number: 53 } } }] }] });
                    cnp("system-open", { tier: "Admin", priority: 6, subject: { namespaces: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } } }, ingress: [{ action: "Accept", from: [{ namespaces: {} }] }] });
                },
            });
            assert.deepStrictEqual(messages(result, "cluster-network-policy-no-open-tier"), []);
        });

        it("fires on a Baseline Pass or Accept of everything that may come before the deny-by-default (equal priority: either may go first)", async () => {
            const result = await onCnpStack({
                extra: () => cnp("baseline-pass", { tier: "Baseline", priority: 0, subject: everyNamespace, egress: [{ action: "Pass", to: [{ networks: ["0.0.0.0/0"] }] }] }),
            });
            assert.match(messages(result, "cluster-network-policy-no-open-tier").join("\n"),
                /^ClusterNetworkPolicy baseline-pass is a zero-trust hole: Baseline Pass of egress to every address \(networks 0\.0\.0\.0\/0\) in spec\.egress\[0\] opens bookinfo, istio-ingress for every pod no NetworkPolicy selects: Pass skips the rest of the Baseline tier, the deny-by-default included, and the connection is allowed\. Fix: /);
        });

        it("stays silent on a Baseline Accept of everything after the deny-by-default, which it never reaches", async () => {
            const result = await onCnpStack({
                extra: () => cnp("baseline-late", { tier: "Baseline", priority: 500, subject: everyNamespace, ingress: [{ action: "Accept", from: [{ pods: { namespaceSelector: {}, podSelector: {} } }] }] }),
            });
            assert.deepStrictEqual(messages(result, "cluster-network-policy-no-open-tier"), []);
        });

        it("an Admin Pass of everything: silent alone (the namespaces' policies and the Baseline tier still decide), a hole before an Admin Deny it skips", async () => {
            const pass = () => cnp("admin-pass", { tier: "Admin", priority: 10, subject: everyNamespace, ingress: [{ action: "Pass", from: [{ namespaces: {} }] }] });
            assert.deepStrictEqual(messages(await onCnpStack({ extra: pass }), "cluster-network-policy-no-open-tier"), []);
            const result = await onCnpStack({
                extra: () => {
                    pass();
                    cnp("quarantine", { tier: "Admin", priority: 20, subject: everyNamespace, ingress: [{ name: "from-quarantine", action: "Deny", from: [{ namespaces: { matchLabels: { quarantine: "true" } } }] }] });
                },
            });
            assert.match(messages(result, "cluster-network-policy-no-open-tier").join("\n"),
                /^ClusterNetworkPolicy admin-pass is a zero-trust hole: Admin Pass of ingress from every pod in every namespace \(namespaces: \{\}\) in spec\.ingress\[0\] opens bookinfo, istio-ingress past the Admin Deny of ClusterNetworkPolicy quarantine spec\.ingress\[0\] \("from-quarantine"\)\./);
        });
    });

    describe("cluster-network-policy-default-deny", () => {
        const without = (name: string) => ({ editResources: (resources: { inputs: any }[]) => {
            resources.splice(resources.findIndex((r) => r.inputs?.kind === "ClusterNetworkPolicy" && r.inputs.metadata.name === name), 1);
        } });

        it("refuses a clusterNetworkPolicy-mode stack without its deny-by-default", async () => {
            const result = await onCnpStack(without("ztmesh-default-deny"));
            assert.deepStrictEqual(messages(result, "cluster-network-policy-default-deny").map((m) => m.replace(/ Fix: .*/, "")), [
                "Namespace bookinfo has no Baseline-tier ClusterNetworkPolicy deny-by-default for ingress and egress: what no NetworkPolicy decides is allowed.",
                "Namespace istio-ingress has no Baseline-tier ClusterNetworkPolicy deny-by-default for ingress and egress: what no NetworkPolicy decides is allowed.",
            ]);
        });

        it("fires for the direction a narrowed deny leaves out: egress to pods only misses every address outside the cluster", async () => {
            const result = await onCnpStack({
                editResources: (resources: { inputs: any }[]) => {
                    const deny = resources.find((r) => r.inputs?.kind === "ClusterNetworkPolicy" && r.inputs.metadata.name === "ztmesh-default-deny")!;
                    deny.inputs = { ...deny.inputs, spec: { ...deny.inputs.spec, egress: [{ name: "pods-only", action: "Deny", to: [{ namespaces: {} }] }] } };
                },
            });
            assert.deepStrictEqual(messages(result, "cluster-network-policy-default-deny").map((m) => m.replace(/:.*/, "")), [
                "Namespace bookinfo has no Baseline-tier ClusterNetworkPolicy deny-by-default for egress",
                "Namespace istio-ingress has no Baseline-tier ClusterNetworkPolicy deny-by-default for egress",
            ]);
        });

        it("stays silent on a calico-mode stack that also carries a ClusterNetworkPolicy: Calico's default-deny guards it", async () => {
            const result = await packOnStack("dev", { extra: () => cnp("team-quarantine", { tier: "Admin", priority: 20, subject: everyNamespace, ingress: [{ action: "Deny", from: [{ namespaces: { matchLabels: { quarantine: "true" } } }] }] }) });
            assert.deepStrictEqual(result.violations.map((v) => v.policyName), []);
        });
    });

    describe("namespace-default-deny-both-layers in clusterNetworkPolicy mode", () => {
        it("counts the Baseline deny for egress, not for ingress, whose peers cannot name sources outside the cluster", async () => {
            const legacy = () => {
                new k8s.core.v1.Namespace("legacy-ns", { metadata: { name: "legacy", labels: { "istio-injection": "enabled" } } });
            };
            const cnpResult = await onCnpStack({ extra: legacy });
            assert.deepStrictEqual(messages(cnpResult, "namespace-default-deny-both-layers").map((m) => m.replace(/ Fix: .*/, "")), [
                "Namespace legacy has no Layer 3/4 default-deny for Ingress.",
                "Namespace legacy has no Istio allow-nothing AuthorizationPolicy.",
            ]);
            const calicoResult = await packOnStack("dev", { extra: legacy });
            assert.deepStrictEqual(messages(calicoResult, "namespace-default-deny-both-layers").map((m) => m.replace(/ Fix: .*/, "")), [
                "Namespace legacy has no Istio allow-nothing AuthorizationPolicy.",
            ]);
        });
    });
});
