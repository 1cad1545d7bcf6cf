import * as assert from "assert";
import * as path from "path";
import { Step, readSteps } from "./eventLog";
import { effectChanges, effectOf, enforcementOrderProblems } from "./enforcementOrder";

/**
 * The ordering checks of the promotion tests, on the event log of a real `pulumi up` (recorded by
 * test/e2e/recordEventLog.ts: the dev stack switched from ClusterNetworkPolicy guardrails back to
 * Calico's, which the engine runs with no order among the policies) and on variants of it.
 */
describe("engine event log: the order in which policy objects begin and stop enforcing", () => {
    const recorded = readSteps(path.join(__dirname, "..", "fixtures", "guardrails-to-calico.events.jsonl"));
    const step = (op: string, name: string) => recorded.find((s) => s.op === op && s.urn.endsWith(`::${name}`))!;
    const created = (name: string) => step("create", name);
    /** The ClusterNetworkPolicy default-deny, which the update deletes once the Calico one is created. */
    const cnpDeny = step("delete", "baseline-ztmesh-default-deny");
    /** The recorded steps with those `which` picks moved to begin at `started` and end one event later. */
    const moved = (which: (step: Step) => boolean, started: number): Step[] => recorded.map((s) => (which(s) ? { ...s, started, finished: started + 1 } : s));

    it("reads every step of the update with when it began and ended, in the engine's order", () => {
        assert.strictEqual(recorded.length, 62);
        const ops = recorded.map((s) => s.op).reduce<Record<string, number>>((counts, op) => ({ ...counts, [op]: (counts[op] ?? 0) + 1 }), {});
        assert.deepStrictEqual(ops, { same: 54, update: 1, create: 4, delete: 3 });
        assert.ok(recorded.every((s) => s.started < s.finished && s.finished < Infinity), "every step ended");
        // The engine's own guarantee: a resource's provider is updated before the resource is created with it.
        const provider = recorded.find((s) => s.type === "pulumi:providers:pulumi-nodejs")!;
        assert.ok(recorded.filter((s) => s.op === "create" && s.type.startsWith("pulumi-nodejs:")).every((s) => s.started > provider.finished));
        assert.deepStrictEqual(created("baseline-ztmesh-default-deny").after?.spec.types, ["Ingress", "Egress"]);
        assert.strictEqual(cnpDeny.after, undefined, "a delete has no inputs after it");
        assert.strictEqual(cnpDeny.before?.kind, "ClusterNetworkPolicy");
    });

    it("finds, in the real update, the Calico default-deny created alongside its allows and the guardrails deleted in parallel", () => {
        assert.deepStrictEqual(effectChanges(recorded), { "none → allow": 3, "none → deny": 1, "allow → none": 2, "deny → none": 1 });
        const problems = enforcementOrderProblems(recorded);
        assert.deepStrictEqual(problems.map((problem) => problem.replace(/ \(\w+, events [^)]*\)/g, "")), [
            "GlobalNetworkPolicy default.ztmesh-default-deny began enforcing before the allow GlobalNetworkPolicy default.ztmesh-allow-dns was on the server",
            "GlobalNetworkPolicy default.ztmesh-default-deny began enforcing before the allow GlobalNetworkPolicy default.ztmesh-allow-gateway-health was on the server",
            "GlobalNetworkPolicy default.ztmesh-default-deny began enforcing before the allow GlobalNetworkPolicy default.ztmesh-allow-istiod was on the server",
            "ClusterNetworkPolicy ztmesh-guardrails stopped allowing while the deny ClusterNetworkPolicy ztmesh-default-deny still enforced",
            "NetworkPolicy istio-ingress/ztmesh-allow-gateway-health stopped allowing while the deny ClusterNetworkPolicy ztmesh-default-deny still enforced",
        ]);
        assert.match(problems[0], /\(create, events 147–170\).*\(create, events 136–151\)/);
    });

    it("a deny begun one event after its last allow is on the server passes; one event earlier fails", () => {
        const deny = created("baseline-ztmesh-default-deny");
        const lastAllow = Math.max(...["allow-dns", "allow-gateway-health", "allow-istiod"].map((name) => created(`baseline-ztmesh-${name}`).finished));
        const denyFirst = (started: number) => enforcementOrderProblems(moved((s) => s === deny, started)).filter((problem) => problem.includes("began enforcing"));
        assert.deepStrictEqual(denyFirst(lastAllow + 1), []);
        assert.match(denyFirst(lastAllow - 1).join("\n"), /^GlobalNetworkPolicy default\.ztmesh-default-deny \(create, events \d+–\d+\) began enforcing before the allow GlobalNetworkPolicy default\.ztmesh-allow-istiod \(create, events \d+–\d+\) was on the server$/);
    });

    it("allows removed one event after their deny is gone pass; removed while it is being deleted, they fail", () => {
        const allowsGone = (started: number) => enforcementOrderProblems(moved((s) => s.op === "delete" && s !== cnpDeny, started)).filter((problem) => problem.includes("stopped allowing"));
        assert.deepStrictEqual(allowsGone(cnpDeny.finished + 1), []);
        assert.strictEqual(allowsGone(cnpDeny.finished).length, 2);
    });

    it("a policy deleted before what replaces it in its scope is on the server fails (delete before replace); after all of it, passes", () => {
        const replacement = created("baseline-ztmesh-default-deny");
        const lastWrite = Math.max(...recorded.filter((s) => s.op === "create").map((s) => s.finished));
        const deletedEarly = (started: number) => enforcementOrderProblems(moved((s) => s === cnpDeny, started)).filter((problem) => problem.includes("was deleted before"));
        assert.deepStrictEqual(deletedEarly(lastWrite + 1), []);
        const early = deletedEarly(replacement.finished);
        assert.ok(early.some((problem) => /^ClusterNetworkPolicy ztmesh-default-deny .* was deleted before GlobalNetworkPolicy default\.ztmesh-default-deny /.test(problem)), early.join("\n"));
    });

    it("a replacement that creates first passes; one that deletes first (deleteBeforeReplace) fails, naming the object", () => {
        const policy = { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "cart", namespace: "shop" }, spec: { podSelector: {}, ingress: [{}] } };
        const step = (op: "create-replacement" | "delete-replaced", started: number): Step => ({
            op, urn: "urn:pulumi:s::p::kubernetes:networking.k8s.io/v1:NetworkPolicy::cart", type: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            before: policy, after: op === "create-replacement" ? { ...policy, spec: { ...policy.spec, ingress: [{}, {}] } } : undefined, started, finished: started + 1,
        });
        assert.deepStrictEqual(enforcementOrderProblems([step("create-replacement", 1), step("delete-replaced", 3)]), []);
        assert.deepStrictEqual(enforcementOrderProblems([step("delete-replaced", 1), step("create-replacement", 3)]), [
            "NetworkPolicy shop/cart (delete-replaced, events 1–2) was deleted before NetworkPolicy shop/cart (create-replacement, events 3–4) was on the server",
        ]);
    });

    describe("what each policy object does", () => {
        const calico = (apiVersion: string, kind: string, spec: Record<string, unknown>, namespace?: string) => ({ apiVersion, kind, metadata: { name: "p", namespace }, spec });
        const deny = { types: ["Ingress", "Egress"], selector: "all()" };
        const allow = { types: ["Ingress"], ingress: [{ action: "Allow" }] };

        it("staged Calico policies observe in both API groups, whatever their rules; their enforcing kinds deny or allow by their rules", () => {
            for (const group of ["projectcalico.org/v3", "crd.projectcalico.org/v1"]) {
                for (const kind of ["StagedGlobalNetworkPolicy", "StagedNetworkPolicy", "StagedKubernetesNetworkPolicy"]) {
                    assert.strictEqual(effectOf(calico(group, kind, deny, kind === "StagedGlobalNetworkPolicy" ? undefined : "shop"))?.effect, "observe", `${group} ${kind}`);
                }
                assert.strictEqual(effectOf(calico(group, "GlobalNetworkPolicy", deny))?.effect, "deny");
                assert.strictEqual(effectOf(calico(group, "GlobalNetworkPolicy", allow))?.effect, "allow");
                assert.strictEqual(effectOf(calico(group, "NetworkPolicy", { ...allow, egress: [{ action: "Deny" }], types: ["Ingress", "Egress"] }, "shop"))?.effect, "deny");
            }
        });

        it("a Kubernetes NetworkPolicy denies the directions it lists without rules; one with Ingress rules only and no policyTypes allows", () => {
            const policy = (spec: Record<string, unknown>) => effectOf({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "p", namespace: "shop" }, spec });
            assert.strictEqual(policy({ podSelector: {}, policyTypes: ["Ingress", "Egress"] })?.effect, "deny");
            assert.strictEqual(policy({ podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [{}] })?.effect, "deny", "no egress rule: egress denied");
            assert.strictEqual(policy({ podSelector: {}, ingress: [{}] })?.effect, "allow");
            assert.deepStrictEqual(policy({ podSelector: {}, ingress: [{}] })?.scope, "shop");
        });

        it("Istio: dry-run observes; allow-nothing and DENY deny; ALLOW with rules allows; PeerAuthentication decides no declared flow; root-namespace policies without selector are mesh-wide", () => {
            const policy = (kind: string, spec: Record<string, unknown>, annotations?: Record<string, string>, namespace = "shop") =>
                effectOf({ apiVersion: "security.istio.io/v1", kind, metadata: { name: "p", namespace, annotations }, spec });
            assert.strictEqual(policy("AuthorizationPolicy", {})?.effect, "deny");
            assert.strictEqual(policy("AuthorizationPolicy", {}, { "istio.io/dry-run": "true" })?.effect, "observe");
            assert.strictEqual(policy("AuthorizationPolicy", {}, { "istio.io/dry-run": "false" })?.effect, "deny", "only \"true\" turns dry-run on");
            assert.strictEqual(policy("AuthorizationPolicy", { action: "DENY", rules: [{}] })?.effect, "deny");
            assert.strictEqual(policy("AuthorizationPolicy", { rules: [{ from: [] }] })?.effect, "allow");
            assert.strictEqual(policy("PeerAuthentication", { mtls: { mode: "STRICT" } }), undefined, "mTLS modes decide no declared flow");
            assert.strictEqual(policy("AuthorizationPolicy", {}, undefined, "istio-system")?.scope, "(cluster)");
            assert.strictEqual(policy("AuthorizationPolicy", { selector: { matchLabels: { app: "istiod" } } }, undefined, "istio-system")?.scope, "istio-system");
            assert.strictEqual(effectOf({ apiVersion: "v1", kind: "Service", metadata: { name: "s" } }), undefined);
        });

        it("promotion in the mesh layer: the allow-nothing leaving dry-run after the ALLOWs passes; before them, fails; demotion mirrors it", () => {
            const version = (name: string, spec: Record<string, unknown>, dryRun: boolean) => ({ apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name, namespace: "shop", annotations: dryRun ? { "istio.io/dry-run": "true" } : undefined }, spec });
            const update = (name: string, spec: Record<string, unknown>, from: boolean, started: number): Step => ({
                op: "update", urn: `urn:pulumi:s::p::kubernetes:security.istio.io/v1:AuthorizationPolicy::${name}`, type: "kubernetes:security.istio.io/v1:AuthorizationPolicy",
                before: version(name, spec, from), after: version(name, spec, !from), started, finished: started + 1,
            });
            const rules = { rules: [{ from: [{ source: { principals: ["cluster.local/ns/shop/sa/web"] } }] }] };
            assert.deepStrictEqual(enforcementOrderProblems([update("cart", rules, true, 1), update("allow-nothing", {}, true, 3)]), []);
            assert.strictEqual(enforcementOrderProblems([update("cart", rules, true, 2), update("allow-nothing", {}, true, 1)]).length, 1);
            assert.deepStrictEqual(enforcementOrderProblems([update("allow-nothing", {}, false, 1), update("cart", rules, false, 3)]), []);
            assert.match(enforcementOrderProblems([update("cart", rules, false, 1), update("allow-nothing", {}, false, 2)])[0], /^AuthorizationPolicy shop\/cart \(update, events 1–2\) stopped allowing while the deny AuthorizationPolicy shop\/allow-nothing \(update, events 2–3\) still enforced$/);
        });
    });
});
