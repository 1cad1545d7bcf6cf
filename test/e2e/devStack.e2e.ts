import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { parseEnvironment } from "../../stacks/config";
import { deployMesh } from "../../stacks/program";
import { construct } from "../../stacks/offline";
import { stackConfig } from "../harness/stackConfig";
import { chartFixtures } from "../harness/chartFixtures";
import { PulumiCli } from "./pulumiCli";
import { renderConfig, withoutEmptyLists, writeStackConfig } from "./stackFiles";

/**
 * The dev stack with the real Pulumi CLI, Node.js language host and Kubernetes provider, in
 * render mode, with the upstream Istio charts of the pinned version (the chart repositories
 * are unreachable here, so they come from a local folder, as in an air-gapped cluster).
 */
describe("e2e: the dev stack with the real Pulumi CLI (render mode)", function () {
    this.timeout(1_800_000);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-e2e-"));
    const renderDirectory = path.join(work, "rendered");
    const stack = `e2e-${process.pid}`;
    const state = path.join(work, "state");
    const configFile = path.join(work, `Pulumi.${stack}.yaml`);
    const pulumi = new PulumiCli(state, stack, configFile);
    const pack = "policypack"; // the directory form users type, relative to the project

    /** The dev config, pointed at the upstream charts, the pinned CRDs and a render folder in `work`; `edit` changes it. */
    function writeConfig(name: string, edit: (config: Record<string, any>) => void = () => {}): PulumiCli {
        const config = renderConfig("dev", renderDirectory);
        edit(config);
        return new PulumiCli(state, stack, writeStackConfig(path.join(work, `Pulumi.${stack}-${name}.yaml`), config));
    }

    before(() => {
        fs.mkdirSync(state);
        fs.copyFileSync(writeConfig("dev").configFile, configFile);
        pulumi.ok(["stack", "init"]);
    });

    after(() => {
        // Leave nothing behind, also when a step failed.
        pulumi.run(["destroy", "--yes"]);
        pulumi.run(["stack", "rm", "--yes", "--force"]);
        fs.rmSync(work, { recursive: true, force: true });
    });

    it("pulumi preview --policy-pack policypack: the pack checks every object, charts included, and finds no mandatory violation", () => {
        const output = pulumi.ok(["preview", "--policy-pack", pack]);
        assert.doesNotMatch(output, /mandatory/i, output);
        assert.match(output, /ztmesh-zero-trust/, "the pack ran");
        assert.match(output, /kubernetes:apps\/v1:Deployment\s+istiod\b|istio-istiod:istio-system\/istiod/, "the istiod chart was expanded");
    });

    let rendered: Record<string, any>[] = [];
    const key = (o: any) => `${o.kind} ${o.metadata?.namespace ?? ""}/${o.metadata?.name}`;

    it("pulumi up renders every object the mocked program registers, with the same content", async () => {
        pulumi.ok(["up", "--yes", "--skip-preview"]);
        const files = fs.readdirSync(renderDirectory, { recursive: true }).map(String).filter((f) => f.endsWith(".yaml"));
        rendered = files.flatMap((file) => YAML.parseAllDocuments(fs.readFileSync(path.join(renderDirectory, file), "utf8")).map((d) => d.toJSON())).filter(Boolean);
        const renderedByKey = new Map(rendered.map((o) => [key(o), o]));
        const log = await construct(() => deployMesh(parseEnvironment(Object.fromEntries(Object.entries(stackConfig("dev")))), "dev"));
        const expected = log.resources.filter((r) => r.custom && r.inputs.kind && r.inputs.kind !== "Secret");
        assert.ok(expected.length > 40);
        for (const resource of expected) {
            const object = renderedByKey.get(key(resource.inputs));
            assert.ok(object, `${key(resource.inputs)} was rendered (have ${renderedByKey.size} objects)`);
            if (resource.inputs.spec) {
                assert.deepStrictEqual(withoutEmptyLists(object.spec), withoutEmptyLists(JSON.parse(JSON.stringify(resource.inputs.spec))), `${key(resource.inputs)} has the same spec`);
            }
        }
        assert.strictEqual(renderedByKey.get("Secret istio-ingress/mesh-gateway-https-bookinfo-ztmesh-local")?.type, "kubernetes.io/tls");
    });

    it("the upstream charts render with ztmesh's values, in istio-system", () => {
        const byKey = new Map(rendered.map((o) => [key(o), o]));
        const istiod = byKey.get("Deployment istio-system/istiod");
        assert.ok(istiod, "the istiod Deployment of the istiod chart");
        assert.strictEqual(istiod.spec.template.spec.containers[0].image, "docker.io/istio/pilot:1.30.3");
        const mesh = YAML.parse(byKey.get("ConfigMap istio-system/istio")!.data.mesh);
        assert.deepStrictEqual(mesh.outboundTrafficPolicy, { mode: "REGISTRY_ONLY" }, "meshConfig reached the chart");
        assert.strictEqual(mesh.trustDomain, "cluster.local");
        assert.ok(byKey.get("NetworkPolicy istio-system/istiod"), "global.networkPolicy made istiod's NetworkPolicy");
        const crds = rendered.filter((o) => o.kind === "CustomResourceDefinition").map((o) => o.metadata.name);
        for (const crd of ["authorizationpolicies.security.istio.io", "peerauthentications.security.istio.io", "httproutes.gateway.networking.k8s.io"]) {
            assert.ok(crds.includes(crd), `CRD ${crd} (have ${crds.length})`);
        }
    });

    it("the chart fixtures that stand in for chart output under mocks match what the upstream charts render", () => {
        // The fast tier's pack tests fabricate a few objects per chart (test/harness/chartFixtures.ts);
        // here they are held against the real rendering, field by field where rules read them.
        const byKey = new Map(rendered.map((o) => [key(o), o]));
        const subset = (part: Record<string, string> | undefined, whole: Record<string, string> | undefined) =>
            Object.entries(part ?? {}).every(([k, v]) => whole?.[k] === v);
        for (const chart of ["base", "istiod"]) {
            for (const fixture of chartFixtures[chart]("istio-system")) {
                const real = byKey.get(key(fixture));
                assert.ok(real, `fixture ${key(fixture)} of chart ${chart} is rendered by the upstream chart`);
                const template = fixture.spec?.template;
                if (template) {
                    assert.ok(subset(template.metadata.labels, real.spec.template.metadata.labels), `${key(fixture)} pod labels`);
                    assert.ok(subset(template.metadata.annotations, real.spec.template.metadata.annotations), `${key(fixture)} pod annotations`);
                    assert.strictEqual(real.spec.template.spec.serviceAccountName, template.spec.serviceAccountName, `${key(fixture)} service account`);
                    assert.deepStrictEqual(real.spec.template.spec.containers.map((c: any) => c.image), template.spec.containers.map((c: any) => c.image), `${key(fixture)} images`);
                }
                if (fixture.kind === "Service") {
                    assert.strictEqual(real.spec.type ?? "ClusterIP", fixture.spec.type ?? "ClusterIP", `${key(fixture)} type`);
                    assert.deepStrictEqual(real.spec.selector, fixture.spec.selector, `${key(fixture)} selector`);
                    assert.deepStrictEqual(real.spec.ports, fixture.spec.ports, `${key(fixture)} ports`);
                }
                if (fixture.kind === "NetworkPolicy") {
                    assert.deepStrictEqual(real.spec, fixture.spec, `${key(fixture)} spec`);
                }
            }
        }
    });

    it("a second preview changes nothing", () => {
        pulumi.ok(["preview", "--expect-no-changes"]);
    });

    /** The dev config plus an AuthorizationPolicy admitting every caller and a plain-HTTP route. */
    function brokenConfig(): PulumiCli {
        const manifest = path.join(work, "broken.yaml");
        fs.writeFileSync(manifest, [
            YAML.stringify({ apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: "ratings-open", namespace: "bookinfo" }, spec: { selector: { matchLabels: { app: "ratings" } }, rules: [{ from: [{ source: { principals: ["*"] } }] }] } }),
            YAML.stringify({ apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: "plain-http", namespace: "istio-ingress" }, spec: { parentRefs: [{ name: "mesh-gateway", sectionName: "http" }], rules: [{ backendRefs: [{ name: "productpage", namespace: "bookinfo", port: 9080 }] }] } }),
        ].join("---\n"));
        return writeConfig("broken", (config) => { config["ztmesh:manifests"] = [manifest]; });
    }

    it("a broken config (allow-all from every caller, a plain-HTTP route) is refused by the pack, naming both rules", () => {
        const { status, output } = brokenConfig().run(["preview", "--policy-pack", pack]);
        assert.notStrictEqual(status, 0, output);
        assert.match(output, /\[mandatory\]\s+authorization-policy-no-allow-all/);
        assert.match(output, /\[mandatory\]\s+gateway-https-only/);
    });

    it("--policy-pack-config levels are honoured: one rule disabled, two advisory, and the preview passes", () => {
        const packConfig = path.join(work, "pack-config.json");
        // The allow-all also widens what the declared callers of ratings may request (any request
        // instead of GET /ratings/*), which reachability-matches-intent reports at Layer 7.
        fs.writeFileSync(packConfig, JSON.stringify({ "authorization-policy-no-allow-all": "disabled", "gateway-https-only": "advisory", "reachability-matches-intent": "advisory" }));
        const { status, output } = brokenConfig().run(["preview", "--policy-pack", pack, "--policy-pack-config", packConfig]);
        assert.strictEqual(status, 0, output);
        assert.match(output, /\[advisory\]\s+gateway-https-only/);
        assert.match(output, /\[advisory\]\s+reachability-matches-intent[\s\S]*bookinfo\/reviews-v1\[Deployment\] reach bookinfo\/ratings-v1\[Deployment\] \(all requests\), which no declared caller covers/);
        assert.doesNotMatch(output, /authorization-policy-no-allow-all/);
    });

    it("clusterNetworkPolicy mode: the preview with the pack passes, replacing the Calico guardrails with ClusterNetworkPolicies", () => {
        const cnp = writeConfig("cnp", (config) => { config["ztmesh:baseline"] = { clusterPolicy: "clusterNetworkPolicy" }; });
        const output = cnp.ok(["preview", "--policy-pack", pack]);
        assert.doesNotMatch(output, /mandatory/i, output);
        assert.match(output, /ztmesh-zero-trust/, "the pack ran");
        assert.match(output, /\+ +kubernetes:policy\.networking\.k8s\.io\/v1alpha2:ClusterNetworkPolicy +baseline-ztmesh-default-deny +create/, output);
        assert.match(output, /- +kubernetes:crd\.projectcalico\.org\/v1:GlobalNetworkPolicy +baseline-ztmesh-default-deny +delete/, output);
    });

    it("a render without reachable chart repositories completes, and names in one line what it left out", () => {
        const offline = writeConfig("offline", (config) => {
            delete config["ztmesh:charts"];
            delete config["ztmesh:gateway"].crdsSource;
        });
        const { status, output } = offline.run(["preview"]);
        assert.strictEqual(status, 0, output);
        assert.match(output, /warning: not rendered: chart "base", chart "istiod", the Gateway API CRDs \(cannot be fetched: [^\n]+\)\. The cluster still needs them; to render them too, set ztmesh:charts\.localDirectory/);
        // The chart objects would go away; everything ztmesh itself makes stays.
        assert.match(output, /- +kubernetes:apps\/v1:Deployment +istio-istiod:istio-system\/istiod +delete/);
        assert.doesNotMatch(output, /- +kubernetes:networking\.k8s\.io\/v1:NetworkPolicy +\S*(ratings|reviews|details|productpage)\S* +delete/);
    });

    it("a deploy without reachable chart repositories stops before anything changes, with one line naming the chart, the repository and the air-gapped option", () => {
        const deploy = writeConfig("deploy", (config) => {
            delete config["ztmesh:charts"];
            config["ztmesh:cluster"] = { context: "no-such-cluster" };
        });
        const { status, output } = deploy.run(["preview"]);
        assert.notStrictEqual(status, 0);
        assert.match(output, /chart "base" cannot be fetched from https:\/\/istio-release\.storage\.googleapis\.com\/charts \(.+\); for air-gapped clusters set ztmesh:charts\.localDirectory/);
    });

    it("pulumi destroy removes the rendered files, except the CRDs and their admission policies, which are retained", () => {
        pulumi.ok(["destroy", "--yes"]);
        const left = fs.readdirSync(renderDirectory, { recursive: true }).map(String).filter((f) => f.endsWith(".yaml")).sort();
        const retained = rendered.filter((o) => o.kind === "CustomResourceDefinition" || o.kind.startsWith("ValidatingAdmissionPolicy"));
        assert.strictEqual(left.length, retained.length, left.join("\n"));
        assert.ok(left.every((file) => /customresourcedefinition|validatingadmissionpolicy/.test(file)), left.join("\n"));
    });
});
