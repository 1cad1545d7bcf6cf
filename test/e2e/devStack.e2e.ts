import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { parseEnvironment } from "../../stacks/config";
import { deployMesh } from "../../stacks/program";
import { construct } from "../../stacks/offline";
import { projectRoot, stackConfig } from "../harness/stackConfig";
import { PulumiCli } from "./pulumiCli";

/**
 * The dev stack with the real Pulumi CLI, Node.js language host and Kubernetes provider, in
 * render mode. Chart repositories are unreachable here, so every chart comes from a local copy
 * of test/fixtures/chart (it tests the chart plumbing, not upstream chart content) and the
 * Gateway API CRDs from ../shared/crds.
 */
describe("e2e: the dev stack with the real Pulumi CLI (render mode)", function () {
    this.timeout(1_800_000);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-e2e-"));
    const renderDirectory = path.join(work, "rendered");
    const stack = `e2e-${process.pid}`;
    const configFile = path.join(work, `Pulumi.${stack}.yaml`);
    const brokenConfigFile = path.join(work, `Pulumi.${stack}-broken.yaml`);
    const pulumi = new PulumiCli(path.join(work, "state"), stack, configFile);
    const broken = new PulumiCli(path.join(work, "state"), stack, brokenConfigFile);

    /** The dev config, pointed at local charts, the shared CRDs and a render folder in `work`. */
    function writeConfig(file: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
        const config: Record<string, unknown> = Object.fromEntries(Object.entries(stackConfig("dev")).map(([key, value]) => [key, JSON.parse(value)]));
        config["ztmesh:charts"] = { localDirectory: path.join(work, "charts") };
        config["ztmesh:cluster"] = { renderDirectory };
        config["ztmesh:gateway"] = { ...(config["ztmesh:gateway"] as object), crdsSource: path.resolve(projectRoot, "..", "shared", "crds", "gateway-api-v1.5.1-standard.yaml") };
        Object.assign(config, extra);
        fs.writeFileSync(file, YAML.stringify({ config }));
        return config;
    }

    before(() => {
        for (const chart of ["base", "istiod"]) {
            const target = path.join(work, "charts", chart);
            fs.cpSync(path.join(projectRoot, "test", "fixtures", "chart"), target, { recursive: true });
            const chartYaml = path.join(target, "Chart.yaml");
            fs.writeFileSync(chartYaml, fs.readFileSync(chartYaml, "utf8").replace(/^name: fixture$/m, `name: ${chart}`));
        }
        writeConfig(configFile);
        pulumi.ok(["stack", "init", stack]);
    });

    after(() => {
        // Leave nothing behind, also when a step failed.
        pulumi.run(["destroy", "--yes"]);
        pulumi.run(["stack", "rm", "--yes", "--force"]);
        fs.rmSync(work, { recursive: true, force: true });
    });

    it("pulumi preview with the policy pack: no mandatory violation", () => {
        const output = pulumi.ok(["preview", "--policy-pack", path.join(projectRoot, "policypack")]);
        assert.doesNotMatch(output, /mandatory/i, output);
        assert.match(output, /ztmesh-zero-trust/, "the pack ran");
    });

    let rendered: Record<string, any>[] = [];

    it("pulumi up renders every object the mocked program registers, with the same content", async () => {
        pulumi.ok(["up", "--yes", "--skip-preview"]);
        const files = fs.readdirSync(renderDirectory, { recursive: true }).map(String).filter((f) => f.endsWith(".yaml"));
        rendered = files.flatMap((file) => YAML.parseAllDocuments(fs.readFileSync(path.join(renderDirectory, file), "utf8")).map((d) => d.toJSON())).filter(Boolean);
        const key = (o: any) => `${o.kind} ${o.metadata?.namespace ?? ""}/${o.metadata?.name}`;
        const renderedByKey = new Map(rendered.map((o) => [key(o), o]));
        const log = await construct(() => deployMesh(parseEnvironment(Object.fromEntries(Object.entries(stackConfig("dev")))), "dev"));
        const expected = log.resources.filter((r) => r.custom && r.inputs.kind && r.inputs.kind !== "Secret");
        assert.ok(expected.length > 40);
        for (const resource of expected) {
            const object = renderedByKey.get(key(resource.inputs));
            assert.ok(object, `${key(resource.inputs)} was rendered (have ${renderedByKey.size} objects)`);
            if (resource.inputs.spec) {
                assert.deepStrictEqual(object.spec, JSON.parse(JSON.stringify(resource.inputs.spec)), `${key(resource.inputs)} has the same spec`);
            }
        }
        // The fixture charts received ztmesh's values in the right namespace.
        const istiodValues = YAML.parse(renderedByKey.get("ConfigMap istio-system/istiod-values")!.data["values.yaml"]);
        assert.deepStrictEqual(istiodValues.meshConfig.outboundTrafficPolicy, { mode: "REGISTRY_ONLY" });
        assert.strictEqual(renderedByKey.get("Secret istio-ingress/mesh-gateway-https-bookinfo-ztmesh-local")?.type, "kubernetes.io/tls");
    });

    it("a second preview changes nothing", () => {
        pulumi.ok(["preview", "--expect-no-changes"]);
    });

    it("a broken config (allow-all from every caller, a plain-HTTP route) is refused by the pack, naming both rules", () => {
        const manifest = path.join(work, "broken.yaml");
        fs.writeFileSync(manifest, [
            YAML.stringify({ apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: "ratings-open", namespace: "bookinfo" }, spec: { selector: { matchLabels: { app: "ratings" } }, rules: [{ from: [{ source: { principals: ["*"] } }] }] } }),
            YAML.stringify({ apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: "plain-http", namespace: "istio-ingress" }, spec: { parentRefs: [{ name: "mesh-gateway", sectionName: "http" }], rules: [{ backendRefs: [{ name: "productpage", namespace: "bookinfo", port: 9080 }] }] } }),
        ].join("---\n"));
        writeConfig(brokenConfigFile, { "ztmesh:manifests": [manifest] });
        const { status, output } = broken.run(["preview", "--policy-pack", path.join(projectRoot, "policypack")]);
        assert.notStrictEqual(status, 0, output);
        assert.match(output, /authorization-policy-no-allow-all/);
        assert.match(output, /gateway-https-only/);
    });

    it("pulumi destroy removes the rendered files", () => {
        pulumi.ok(["destroy", "--yes"]);
        const left = fs.existsSync(renderDirectory) ? fs.readdirSync(renderDirectory, { recursive: true }).map(String).filter((f) => f.endsWith(".yaml")) : [];
        assert.deepStrictEqual(left, []);
    });

    it("without reachable chart repositories, preview stops with one line naming the chart, the repository and the air-gapped option", () => {
        const offline = path.join(work, `Pulumi.${stack}-offline.yaml`);
        const config = writeConfig(offline);
        delete config["ztmesh:charts"];
        fs.writeFileSync(offline, YAML.stringify({ config }));
        const { status, output } = new PulumiCli(path.join(work, "state"), stack, offline).run(["preview"]);
        assert.notStrictEqual(status, 0);
        assert.match(output, /chart "base" cannot be fetched from https:\/\/istio-release\.storage\.googleapis\.com\/charts \(.+\); for air-gapped clusters set ztmesh:charts\.localDirectory/);
    });
});
