import * as assert from "assert";
import { namespaceDefaultDenyBothLayers } from "../../policypack/rules/stackWide";
import { calicoPolicyNoAllowAll, networkPolicyNoAllowAll } from "../../policypack/rules/network";
import { authorizationPolicyNoAllowAll } from "../../policypack/rules/meshIdentity";
import { productionNotInAudit } from "../../policypack/rules/rollout";
import { RecordedResource, installMocks } from "../../stacks/offline";
import { stackResources } from "../harness/packRun";
import { StackUnderReview, runPolicyPack } from "../harness/policyPack";

/**
 * The dev stack as audit mode deploys it, written by hand from the pinned Calico CRDs
 * (crd.projectcalico.org/v1 StagedKubernetesNetworkPolicy and StagedGlobalNetworkPolicy take
 * the spec of the policy they stage) and Istio's dry-run annotation: every default-deny and
 * allow observes instead of enforcing; the control plane's own policy stays as it is.
 */
function audited(resources: readonly RecordedResource[]): RecordedResource[] {
    const staged = (resource: RecordedResource, kind: string): RecordedResource =>
        ({ ...resource, type: `kubernetes:crd.projectcalico.org/v1:${kind}`, inputs: { ...resource.inputs, apiVersion: "crd.projectcalico.org/v1", kind } });
    return resources.map((resource) => {
        const namespace = resource.inputs.metadata?.namespace;
        if (resource.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" && namespace !== "istio-system") {
            return staged(resource, "StagedKubernetesNetworkPolicy");
        }
        if (resource.type === "kubernetes:crd.projectcalico.org/v1:GlobalNetworkPolicy" && resource.inputs.metadata.name === "default.ztmesh-default-deny") {
            return staged(resource, "StagedGlobalNetworkPolicy");
        }
        if (resource.type === "kubernetes:security.istio.io/v1:AuthorizationPolicy" && namespace === "bookinfo") {
            const metadata = { ...resource.inputs.metadata, annotations: { ...resource.inputs.metadata.annotations, "istio.io/dry-run": "true" } };
            return { ...resource, inputs: { ...resource.inputs, metadata } };
        }
        return resource;
    });
}

const messages = (violations: { message: string }[]) => violations.map((v) => v.message);

describe("policy pack: audit mode", () => {
    let dev: { resources: RecordedResource[]; stack: StackUnderReview };
    let audit: RecordedResource[];
    const declaring = (enforcement: string, name = "dev"): StackUnderReview => ({ name, config: { ...dev.stack.config, "ztmesh:enforcement": enforcement } });

    before(async () => {
        await installMocks();
        dev = await stackResources("dev");
        audit = audited(dev.resources);
    });

    describe("production-not-in-audit", () => {
        it("refuses a production-named stack that deploys staged and dry-run policy though it declares enforce: the objects decide", async () => {
            const result = await runPolicyPack([productionNotInAudit], audit, { stack: declaring("enforce", "prod-eu") });
            assert.strictEqual(result.violations.length, 1);
            const [violation] = result.violations;
            assert.strictEqual(violation.enforcementLevel, "mandatory");
            assert.match(violation.message, /^Stack prod-eu is a production stack \(productionStacks "prod\*"\) in audit mode: \d+ of its objects observe instead of enforcing \(/);
            for (const object of ["StagedGlobalNetworkPolicy default.ztmesh-default-deny", "StagedKubernetesNetworkPolicy bookinfo/default-deny", "AuthorizationPolicy bookinfo/allow-nothing"]) {
                assert.ok(violation.message.includes(object), object);
            }
        });

        it("refuses a production-named stack that declares audit, whatever it deploys", async () => {
            const result = await runPolicyPack([productionNotInAudit], dev.resources, { stack: declaring("audit", "prod") });
            assert.deepStrictEqual(messages(result.violations).map((m) => m.replace(/ Fix: .*/, "")), [
                "Stack prod is a production stack (productionStacks \"prod*\") in audit mode: it declares ztmesh:enforcement: audit, so its default-deny and allow policies enforce nothing.",
            ]);
        });

        it("stays silent on the same audit objects in a stack not named like production, on productionStacks set otherwise, and on exempt previews", async () => {
            for (const name of ["dev", "preprod", "staging-prod"]) {
                assert.deepStrictEqual(messages((await runPolicyPack([productionNotInAudit], audit, { stack: declaring("audit", name) })).violations), [], name);
            }
            const elsewhere = await runPolicyPack([productionNotInAudit], audit, { stack: declaring("audit", "prod"), config: { "production-not-in-audit": { productionStacks: ["production", "live-*"] } } });
            assert.deepStrictEqual(messages(elsewhere.violations), []);
            const enforcedProd = await runPolicyPack([productionNotInAudit], dev.resources, { stack: declaring("enforce", "prod") });
            assert.deepStrictEqual(messages(enforcedProd.violations), []);
            const exempt = await runPolicyPack([productionNotInAudit], audit, {
                stack: declaring("enforce", "prod"),
                config: { "production-not-in-audit": { exemptions: ["StagedGlobalNetworkPolicy/*", "StagedKubernetesNetworkPolicy/*/*", "AuthorizationPolicy/bookinfo/*"] } },
            });
            assert.deepStrictEqual(messages(exempt.violations), []);
        });
    });

    describe("namespace-default-deny-both-layers", () => {
        it("accepts a staged default-deny and a dry-run allow-nothing in a stack that declares audit", async () => {
            const result = await runPolicyPack([namespaceDefaultDenyBothLayers], audit, { stack: declaring("audit") });
            assert.deepStrictEqual(messages(result.violations), []);
        });

        it("refuses them in a stack that declares enforce: a staged default-deny and a dry-run allow-nothing enforce nothing", async () => {
            const result = await runPolicyPack([namespaceDefaultDenyBothLayers], audit, { stack: declaring("enforce") });
            const found = messages(result.violations).map((m) => m.replace(/ Fix: .*/, "")).sort();
            assert.deepStrictEqual(found, [
                "Namespace bookinfo has no Istio allow-nothing AuthorizationPolicy; AuthorizationPolicy bookinfo/allow-nothing only observes (it carries istio.io/dry-run, so Istio only logs what it would decide), and the stack declares ztmesh:enforcement: enforce.",
                "Namespace bookinfo has no Layer 3/4 default-deny for Ingress and Egress; StagedKubernetesNetworkPolicy bookinfo/default-deny only observes (it is a StagedKubernetesNetworkPolicy, which Calico evaluates and reports but never enforces); StagedGlobalNetworkPolicy default.ztmesh-default-deny only observes (it is a StagedGlobalNetworkPolicy, which Calico evaluates and reports but never enforces), and the stack declares ztmesh:enforcement: enforce.",
                "Namespace istio-ingress has no Layer 3/4 default-deny for Ingress and Egress; StagedKubernetesNetworkPolicy istio-ingress/default-deny only observes (it is a StagedKubernetesNetworkPolicy, which Calico evaluates and reports but never enforces); StagedGlobalNetworkPolicy default.ztmesh-default-deny only observes (it is a StagedGlobalNetworkPolicy, which Calico evaluates and reports but never enforces), and the stack declares ztmesh:enforcement: enforce.",
            ]);
            assert.match(result.violations[0].message, /declare ztmesh:enforcement: audit for the stack/);
        });

        it("stays silent where an enforcing default-deny stands beside a staged one", async () => {
            const both = [...dev.resources, ...audited(dev.resources).filter((resource) => /Staged/.test(resource.type)).map((resource) => ({ ...resource, urn: `${resource.urn}-staged` }))];
            assert.deepStrictEqual(messages((await runPolicyPack([namespaceDefaultDenyBothLayers], both, { stack: declaring("enforce") })).violations), []);
        });
    });

    describe("rules about what a policy allows read staged and dry-run content as what promotion enforces", () => {
        const object = (type: string, inputs: Record<string, any>): RecordedResource =>
            ({ urn: `urn:pulumi:dev::ztmesh::${type}::${inputs.metadata.name}`, type, name: inputs.metadata.name, custom: true, inputs, parent: "", dependencies: [], transforms: [], additionalSecretOutputs: [], retainOnDelete: false });
        const stagedKnp = (name: string, stagedAction?: string) => object("kubernetes:projectcalico.org/v3:StagedKubernetesNetworkPolicy", {
            apiVersion: "projectcalico.org/v3", kind: "StagedKubernetesNetworkPolicy", metadata: { name, namespace: "bookinfo" },
            spec: { ...(stagedAction ? { stagedAction } : {}), podSelector: { matchLabels: { app: "ratings" } }, policyTypes: ["Ingress"], ingress: [{ from: [{ namespaceSelector: {} }] }] },
        });
        const stagedCalico = (name: string, stagedAction?: string) => object("kubernetes:crd.projectcalico.org/v1:StagedNetworkPolicy", {
            apiVersion: "crd.projectcalico.org/v1", kind: "StagedNetworkPolicy", metadata: { name, namespace: "bookinfo" },
            spec: { ...(stagedAction ? { stagedAction } : {}), selector: "app == 'ratings'", types: ["Ingress"], ingress: [{ action: "Allow", source: {} }] },
        });
        const dryRunOpen = object("kubernetes:security.istio.io/v1:AuthorizationPolicy", {
            apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: "open", namespace: "bookinfo", annotations: { "istio.io/dry-run": "true" } },
            spec: { selector: { matchLabels: { app: "ratings" } }, rules: [{ to: [{ operation: { methods: ["GET"] } }] }] },
        });

        it("reports a staged allow-all (both staged Calico kinds) and a dry-run ALLOW without sources, saying they take effect at promotion", async () => {
            const result = await runPolicyPack([networkPolicyNoAllowAll, calicoPolicyNoAllowAll, authorizationPolicyNoAllowAll], [stagedKnp("wide"), stagedCalico("wide"), dryRunOpen]);
            assert.deepStrictEqual(messages(result.violations).map((m) => m.replace(/ Fix: .*/, "")), [
                "StagedKubernetesNetworkPolicy bookinfo/wide admits ingress from every pod in every namespace (empty namespaceSelector) in spec.ingress[0] (staged now: it takes effect when promoted to enforce).",
                "StagedNetworkPolicy bookinfo/wide allows ingress from every endpoint (no selector or nets) in spec.ingress[0] (staged now: it takes effect when promoted to enforce).",
                "AuthorizationPolicy bookinfo/open rule spec.rules[0] has no `from`, so it admits every caller (a dry run now: it takes effect when promoted to enforce).",
            ]);
        });

        it("stays silent on staged objects that stage no content of their own (stagedAction Delete)", async () => {
            const result = await runPolicyPack([networkPolicyNoAllowAll, calicoPolicyNoAllowAll], [stagedKnp("gone", "Delete"), stagedCalico("gone", "Delete")]);
            assert.deepStrictEqual(messages(result.violations), []);
        });
    });
});
