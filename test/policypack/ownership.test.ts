import * as assert from "assert";
import { PlatformHandle, platformReferenceType, teamLabel } from "../../components";
import { policies } from "../../policypack/policies";
import { RecordedResource } from "../../stacks/offline";
import { mandatory, ofPolicy, runPolicyPack } from "../harness/policyPack";
import { parseEnvironment } from "../../stacks/config";
import { construct } from "../../stacks/offline";
import { deployMesh } from "../../stacks/program";
import { rawConfig } from "../e2e/stackFiles";
import { platformUnderMocks, singleStackConfig, platformReference, teamUnderMocks } from "../harness/teamStacks";

const rule = "team-objects-in-own-namespaces";

/** A Kubernetes object as a stack resource, as `ztmesh:manifests` would add it. */
function object(apiVersion: string, kind: string, metadata: Record<string, unknown>, spec: Record<string, unknown> = {}): RecordedResource {
    const group = apiVersion.includes("/") ? apiVersion : `core/${apiVersion}`;
    return {
        urn: `urn:pulumi:team::ztmesh::kubernetes:${group}:${kind}::${String(metadata.name)}`, type: `kubernetes:${group}:${kind}`, name: String(metadata.name), custom: true,
        inputs: { apiVersion, kind, metadata, spec }, parent: "", dependencies: [], transforms: [], additionalSecretOutputs: [], retainOnDelete: false,
    };
}

/** An egress NetworkPolicy of the gateway's pods into `namespace`, in the gateway's namespace. */
const gatewayEgress = (namespace: string) => object("networking.k8s.io/v1", "NetworkPolicy", { name: `to-${namespace}-extra`, namespace: "istio-ingress", labels: { [teamLabel]: "frontend" } }, {
    podSelector: { matchLabels: { "gateway.networking.k8s.io/gateway-name": "mesh-gateway" } },
    policyTypes: ["Egress"],
    egress: [{ to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } }, podSelector: { matchLabels: { app: "productpage" } } }], ports: [{ protocol: "TCP", port: 9080 }] }],
});

describe("policy pack: team stacks", function () {
    this.timeout(120_000);
    let handle: PlatformHandle;
    let frontend: RecordedResource[];
    let reviews: RecordedResource[];
    before(async () => {
        ({ handle } = await platformUnderMocks());
        frontend = await teamUnderMocks("team-frontend", handle);
        reviews = await teamUnderMocks("team-reviews", handle);
    });

    it("both team stacks pass the whole pack, checked with the platform's objects from their PlatformReference", async () => {
        for (const stack of [frontend, reviews]) {
            const result = await runPolicyPack(policies, stack);
            assert.deepStrictEqual(mandatory(result), []);
        }
        // Without the platform's objects the same stack would fail: the pack really evaluates them.
        const alone = await runPolicyPack(policies, reviews.filter((r) => r.type !== platformReferenceType));
        assert.ok(ofPolicy(alone, "namespace-default-deny-both-layers").length > 0 && ofPolicy(alone, "mesh-wide-strict-mtls").length > 0, alone.violations.map((v) => v.message).join("\n"));
    });

    it("fires on an object in the other team's namespace, naming its owner", async () => {
        const intruder = object("v1", "Service", { name: "ledger", namespace: "bookinfo-reviews", labels: { [teamLabel]: "frontend" } }, { selector: { app: "ledger" }, ports: [{ port: 80 }] });
        const messages = ofPolicy(await runPolicyPack(policies, [...frontend, intruder]), rule).map((v) => v.message);
        assert.deepStrictEqual(messages, ["Service bookinfo-reviews/ledger is in namespace \"bookinfo-reviews\", which team \"reviews\" owns, not in a namespace of team \"frontend\". "
            + "Fix: create it in one of bookinfo-frontend, or from the stack of the team that owns \"bookinfo-reviews\"."]);
    });

    it("fires on an object without a team, a cluster-scoped one, and objects of two teams in one stack", async () => {
        const unlabelled = object("v1", "ConfigMap", { name: "settings", namespace: "bookinfo-frontend" });
        const clusterWide = object("crd.projectcalico.org/v1", "GlobalNetworkPolicy", { name: "frontend-open", labels: { [teamLabel]: "frontend" } }, { selector: "all()" });
        const messages = ofPolicy(await runPolicyPack(policies, [...frontend, unlabelled, clusterWide]), rule).map((v) => v.message);
        assert.ok(messages.some((m) => /^ConfigMap bookinfo-frontend\/settings carries no ztmesh\.io\/team label/.test(m)), messages.join("\n"));
        assert.ok(messages.some((m) => /^GlobalNetworkPolicy frontend-open has no namespace \(it is cluster-scoped, or lands in "default"\), and cluster-wide objects are the platform's/.test(m)), messages.join("\n"));
        const mixed = ofPolicy(await runPolicyPack(policies, [...frontend, object("v1", "ConfigMap", { name: "x", namespace: "bookinfo-reviews", labels: { [teamLabel]: "reviews" } })]), rule);
        assert.ok(mixed.length > 0 && mixed.every((v) => /objects of teams frontend, reviews in one stack/.test(v.message)), mixed.map((v) => v.message).join("\n"));
    });

    it("near miss: the gateway's egress into the team's own namespace is the team's; into the other team's it is not", async () => {
        assert.deepStrictEqual(ofPolicy(await runPolicyPack(policies, [...frontend, gatewayEgress("bookinfo-frontend")]), rule), []);
        const messages = ofPolicy(await runPolicyPack(policies, [...frontend, gatewayEgress("bookinfo-reviews")]), rule).map((v) => v.message);
        assert.strictEqual(messages.length, 1, messages.join("\n"));
        assert.match(messages[0], /^NetworkPolicy istio-ingress\/to-bookinfo-reviews-extra is in namespace "istio-ingress", which is not an application namespace of the platform, not in a namespace of team "frontend"/);
    });

    it("near miss: in audit mode the same egress, staged as a StagedKubernetesNetworkPolicy, is the team's too", async () => {
        const enforced = gatewayEgress("bookinfo-frontend");
        const staged = { ...enforced, type: "kubernetes:projectcalico.org/v3:StagedKubernetesNetworkPolicy", inputs: { ...enforced.inputs, apiVersion: "projectcalico.org/v3", kind: "StagedKubernetesNetworkPolicy" } };
        const ownership = policies.filter((policy) => policy.name === rule);
        assert.deepStrictEqual(ofPolicy(await runPolicyPack(ownership, [...frontend, staged]), rule), []);
    });

    it("a handle of an unknown version is refused, not read", async () => {
        const stack = [...frontend.filter((r) => r.type !== platformReferenceType), platformReference("organization/ztmesh/platform", { ...handle, version: 99 })];
        const messages = ofPolicy(await runPolicyPack(policies, stack), rule).map((v) => v.message);
        assert.deepStrictEqual(messages, ["PlatformReference organization/ztmesh/platform stack organization/ztmesh/platform: platform handle version 99 is not supported (this ztmesh reads version 1); run the platform stack and this stack with the same ztmesh release. "
            + "Fix: reference one platform stack whose handle this pack reads (run both with the same ztmesh release)."]);
    });

    it("the verdict on a team stack is the single stack's: an allow-all for ratings widens reviews' requests in both", async () => {
        const openRatings = (namespace: string) => object("security.istio.io/v1", "AuthorizationPolicy", { name: "ratings-open", namespace, labels: { [teamLabel]: "reviews" } }, {
            selector: { matchLabels: { app: "ratings" } }, rules: [{ from: [{ source: { namespaces: [namespace] } }] }],
        });
        const widened = "Service bookinfo-reviews/ratings lets bookinfo-reviews/reviews-v1[Deployment] reach bookinfo-reviews/ratings-v1[Deployment] (all requests), which no declared caller covers";
        const split = ofPolicy(await runPolicyPack(policies, [...reviews, openRatings("bookinfo-reviews")]), "reachability-matches-intent").map((v) => v.message);
        const singleStack = (await construct(() => deployMesh(parseEnvironment(rawConfig(singleStackConfig())), "single"))).resources;
        const single = ofPolicy(await runPolicyPack(policies, [...singleStack, openRatings("bookinfo-reviews")]), "reachability-matches-intent").map((v) => v.message);
        assert.deepStrictEqual(split.filter((m) => m.startsWith(widened)), single.filter((m) => m.startsWith(widened)));
        assert.strictEqual(split.filter((m) => m.startsWith(widened)).length, 1, split.join("\n"));
    });
});
