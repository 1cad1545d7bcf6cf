import * as assert from "assert";
import { meshWideStrictMtls, namespaceDefaultDenyBothLayers } from "../../policypack/rules/stackWide";
import { calicoPolicyNoAllowAll, networkPolicyNoAllowAll } from "../../policypack/rules/network";
import { authorizationPolicyNoAllowAll, peerAuthenticationStrict } from "../../policypack/rules/meshIdentity";
import { reachabilityMatchesIntent } from "../../policypack/rules/intent";
import { auditEnforcementImpact, productionNotInAudit } from "../../policypack/rules/rollout";
import { RecordedResource, installMocks } from "../../stacks/offline";
import { KubeObject } from "../../analysis/manifests";
import { auditObjects } from "../harness/auditStack";
import { stackResources } from "../harness/packRun";
import { StackUnderReview, runPolicyPack } from "../harness/policyPack";

/**
 * The dev stack as audit mode deploys it, converted by the analyzer tests' fixture (written from
 * the pinned Calico CRDs and Istio's dry-run annotation): every Calico policy and Kubernetes
 * NetworkPolicy staged, every AuthorizationPolicy a dry run, mTLS PERMISSIVE.
 */
function audited(resources: readonly RecordedResource[]): RecordedResource[] {
    return resources.map((resource) => {
        const [object] = auditObjects([resource.inputs as KubeObject]);
        if (object === resource.inputs) {
            return resource;
        }
        const groupVersion = (object.apiVersion ?? "").includes("/") ? object.apiVersion : `core/${object.apiVersion}`;
        return { ...resource, type: `kubernetes:${groupVersion}:${object.kind}`, inputs: object };
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
                "Stack prod is a production stack (productionStacks \"prod*\") in audit mode: it declares audit mode for the stack (ztmesh:enforcement), so its default-deny and allow policies enforce nothing.",
            ]);
        });

        it("refuses the real audit stack (Pulumi.audit.yaml) under a production name, and declared audit of one namespace or service", async () => {
            const real = await stackResources("audit", { stackName: "prod-bookinfo" });
            const result = await runPolicyPack([productionNotInAudit], real.resources, { stack: real.stack });
            assert.strictEqual(result.violations.length, 1);
            assert.match(result.violations[0].message, /^Stack prod-bookinfo is a production stack \(productionStacks "prod\*"\) in audit mode: it declares audit mode for the stack \(ztmesh:enforcement\); \d+ of its objects observe instead of enforcing \(.*StagedGlobalNetworkPolicy default\.ztmesh-default-deny.*AuthorizationPolicy bookinfo\/allow-nothing-dry-run/);
            const scoped = { name: "prod", config: { ...dev.stack.config, "ztmesh:baseline": JSON.stringify({ namespaceEnforcement: { bookinfo: "audit" } }), "ztmesh:services": JSON.stringify([{ name: "reviews", enforcement: "audit" }]) } };
            assert.match((await runPolicyPack([productionNotInAudit], dev.resources, { stack: scoped })).violations[0].message,
                /in audit mode: it declares audit mode for namespace bookinfo \(ztmesh:baseline\.namespaceEnforcement\), service reviews \(ztmesh:services\[\]\.enforcement\), so/);
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
                "Namespace bookinfo has no Istio allow-nothing AuthorizationPolicy; AuthorizationPolicy bookinfo/allow-nothing only observes (it carries istio.io/dry-run, so Istio only logs what it would decide), and the stack declares the namespace enforced.",
                "Namespace bookinfo has no Layer 3/4 default-deny for Ingress and Egress; StagedKubernetesNetworkPolicy bookinfo/default-deny only observes (it is a StagedKubernetesNetworkPolicy, which Calico evaluates and reports but never enforces); StagedGlobalNetworkPolicy default.ztmesh-default-deny only observes (it is a StagedGlobalNetworkPolicy, which Calico evaluates and reports but never enforces), and the stack declares the namespace enforced.",
                "Namespace istio-ingress has no Layer 3/4 default-deny for Ingress and Egress; StagedKubernetesNetworkPolicy istio-ingress/default-deny only observes (it is a StagedKubernetesNetworkPolicy, which Calico evaluates and reports but never enforces); StagedGlobalNetworkPolicy default.ztmesh-default-deny only observes (it is a StagedGlobalNetworkPolicy, which Calico evaluates and reports but never enforces), and the stack declares the namespace enforced.",
            ]);
            assert.match(result.violations[0].message, /declare it: ztmesh:enforcement: audit for the stack, or ztmesh:baseline.namespaceEnforcement for the namespace/);
        });

        it("takes each namespace's declared mode: audit declared for bookinfo alone accepts its staged denies, not istio-ingress's", async () => {
            const stack = { ...declaring("enforce"), config: { ...declaring("enforce").config, "ztmesh:baseline": JSON.stringify({ namespaceEnforcement: { bookinfo: "audit" } }) } };
            const result = await runPolicyPack([namespaceDefaultDenyBothLayers], audit, { stack });
            assert.deepStrictEqual(messages(result.violations).map((m) => m.replace(/;.*/, "")), ["Namespace istio-ingress has no Layer 3/4 default-deny for Ingress and Egress"]);
        });

        it("stays silent where an enforcing default-deny stands beside a staged one", async () => {
            const both = [...dev.resources, ...audited(dev.resources).filter((resource) => /Staged/.test(resource.type)).map((resource) => ({ ...resource, urn: `${resource.urn}-staged` }))];
            assert.deepStrictEqual(messages((await runPolicyPack([namespaceDefaultDenyBothLayers], both, { stack: declaring("enforce") })).violations), []);
        });
    });

    describe("peer-authentication-strict and mesh-wide-strict-mtls", () => {
        it("accept the audit stack's PERMISSIVE mesh-wide mTLS where the stack declares audit, and refuse it where it declares enforce", async () => {
            const mtls = async (enforcement: string) => messages((await runPolicyPack([peerAuthenticationStrict, meshWideStrictMtls], audit, { stack: declaring(enforcement) })).violations).map((m) => m.replace(/ Fix: .*/, ""));
            assert.deepStrictEqual(await mtls("audit"), []);
            assert.deepStrictEqual(await mtls("enforce"), [
                "PeerAuthentication istio-system/default sets mtls.mode PERMISSIVE, which accepts plain-text traffic.",
                "PeerAuthentication istio-system/default is missing: the stack sets no mesh-wide STRICT mTLS.",
            ]);
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

    describe("the as-enforced view: reachability-matches-intent and audit-enforcement-impact", () => {
        // The audit stack without the dry-run ALLOW of ratings: once enforced, allow-nothing refuses its declared caller.
        const withoutRatingsAllow = () => audit.filter((resource) => !(resource.type.endsWith(":AuthorizationPolicy") && resource.inputs.metadata.name === "ratings"));

        it("reachability-matches-intent checks what promotion enforces: silent on the audit stack, whose current view allows everything", async () => {
            const result = await runPolicyPack([reachabilityMatchesIntent], audit, { stack: declaring("audit") });
            assert.deepStrictEqual(messages(result.violations), []);
        });

        it("reachability-matches-intent names a declared caller that promotion would refuse", async () => {
            const result = await runPolicyPack([reachabilityMatchesIntent], withoutRatingsAllow(), { stack: declaring("audit") });
            assert.deepStrictEqual(messages(result.violations).map((m) => m.replace(/; .*/, "")), ["v1", "v2", "v3"].map((version) =>
                `Service bookinfo/ratings once enforced declares bookinfo/reviews-${version}[Deployment] as a caller of bookinfo/ratings-v1[Deployment], but TCP 9080 is blocked`));
        });

        it("reachability-matches-intent refuses an audit stack that refuses a declared caller now: an enforcing Calico allow isolates the pods it selects", async () => {
            // The allow of DNS left enforcing: it selects every app pod for egress, so the end of tier default denies the rest.
            const enforcedDns = dev.resources.find((resource) => resource.inputs.metadata?.name === "default.ztmesh-allow-dns")!;
            const mixed = [...audit.filter((resource) => resource.inputs.metadata?.name !== "default.ztmesh-allow-dns"), enforcedDns];
            const result = await runPolicyPack([reachabilityMatchesIntent], mixed, { stack: declaring("audit") });
            const found = messages(result.violations);
            assert.ok(found.length > 0 && found.every((m) => m.includes(" is in audit mode, which must refuse nothing, yet now declares ")), found.join("\n"));
            assert.ok(found.some((m) => m.startsWith("Service bookinfo/ratings is in audit mode, which must refuse nothing, yet now declares bookinfo/reviews-v1[Deployment] as a caller of bookinfo/ratings-v1[Deployment], but TCP 9080 is blocked; egress of bookinfo/reviews-v1[Deployment]: everything denied at the end of tier default")), found.join("\n"));
        });

        it("audit-enforcement-impact lists, per declared Service, the flows promotion cuts, and the declared callers it would break", async () => {
            const impact = async (resources: RecordedResource[]) => (await runPolicyPack([auditEnforcementImpact], resources, { stack: declaring("audit") })).violations;
            const broken = await impact(withoutRatingsAllow());
            assert.ok(broken.every((v) => v.enforcementLevel === "advisory"));
            assert.deepStrictEqual(broken.map((v) => v.message.replace(/ .*/, "") + " " + v.message.split(" ")[1]), [
                "Service bookinfo/productpage", "Service bookinfo/details", "Service bookinfo/reviews", "Service bookinfo/ratings", "Stack dev",
            ]);
            const ratings = broken[3].message;
            assert.match(ratings, /^Service bookinfo\/ratings once enforced would cut 8 flow\(s\) the policies allow now: /);
            assert.ok(ratings.includes("bookinfo/details-v1[Deployment] → bookinfo/ratings-v1[Deployment] (All Connections)"));
            assert.match(ratings, /and would break what it declares: it declares bookinfo\/reviews-v1\[Deployment\] as a caller of bookinfo\/ratings-v1\[Deployment\], but TCP 9080 is blocked;/);
            assert.match(broken[4].message, /^Stack dev once enforced would cut \d+ flow\(s\) into workloads no MeshService declares: .*bookinfo\/details-v1\[Deployment\] → 0\.0\.0\.0-255\.255\.255\.255\[External\] \(All Connections\)/);
            // With the declared callers allowed, promotion cuts only what no declared caller covers: the declared TCP 9080 stays.
            const kept = (await impact(audit)).find((v) => v.message.startsWith("Service bookinfo/ratings"))!.message;
            assert.doesNotMatch(kept, /would break/);
            assert.match(kept, /bookinfo\/reviews-v1\[Deployment\] → bookinfo\/ratings-v1\[Deployment\] \(SCTP 1-65535,TCP 1-9079,9081-65535,UDP 1-65535\)/);
        });

        it("audit-enforcement-impact stays silent on a stack that enforces: nothing is staged or a dry run, so nothing changes at promotion", async () => {
            const result = await runPolicyPack([auditEnforcementImpact], dev.resources, { stack: declaring("enforce") });
            assert.deepStrictEqual(messages(result.violations), []);
        });
    });
});
