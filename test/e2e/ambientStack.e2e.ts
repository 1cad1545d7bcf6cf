import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { chartFixtures } from "../harness/chartFixtures";
import { PulumiCli } from "./pulumiCli";
import { renderConfig, writeStackConfig } from "./stackFiles";

/**
 * The ambient stack with the real Pulumi CLI and Kubernetes provider, in render mode, with the
 * upstream Istio charts of the pinned version: the ambient profile and ztmesh's values must
 * render through the real charts, and the policy pack must pass on everything they render.
 */
describe("e2e: the ambient stack with the real Pulumi CLI (render mode)", function () {
    this.timeout(1_800_000);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-e2e-ambient-"));
    const renderDirectory = path.join(work, "rendered");
    const stack = `e2e-ambient-${process.pid}`;
    const state = path.join(work, "state");
    const config = renderConfig("ambient", renderDirectory);
    const pulumi = new PulumiCli(state, stack, writeStackConfig(path.join(work, `Pulumi.${stack}.yaml`), config));
    let rendered: Record<string, any>[] = [];
    const byKey = () => new Map(rendered.map((o) => [`${o.kind} ${o.metadata?.namespace ?? ""}/${o.metadata?.name}`, o]));

    before(() => {
        fs.mkdirSync(state);
        pulumi.ok(["stack", "init"]);
    });

    after(() => {
        pulumi.run(["destroy", "--yes"]);
        pulumi.run(["stack", "rm", "--yes", "--force"]);
        fs.rmSync(work, { recursive: true, force: true });
    });

    it("pulumi preview --policy-pack policypack finds no mandatory violation, chart objects included", () => {
        const output = pulumi.ok(["preview", "--policy-pack", "policypack"]);
        assert.doesNotMatch(output, /mandatory/i, output);
        assert.match(output, /istio-ztunnel:istio-system\/ztunnel/, "the ztunnel chart was expanded");
    });

    it("pulumi up renders the charts with Istio's ambient profile: ztunnel, the CNI agent in ambient mode, istiod with ambient on", () => {
        pulumi.ok(["up", "--yes", "--skip-preview"]);
        const files = fs.readdirSync(renderDirectory, { recursive: true }).map(String).filter((f) => f.endsWith(".yaml"));
        rendered = files.flatMap((file) => YAML.parseAllDocuments(fs.readFileSync(path.join(renderDirectory, file), "utf8")).map((d) => d.toJSON())).filter(Boolean);
        const objects = byKey();
        const ztunnel = objects.get("DaemonSet istio-system/ztunnel");
        assert.ok(ztunnel, "the ztunnel DaemonSet");
        assert.strictEqual(objects.get("ConfigMap istio-system/istio-cni-config")?.data.AMBIENT_ENABLED, "true");
        const istiodEnv = objects.get("Deployment istio-system/istiod")!.spec.template.spec.containers[0].env;
        assert.ok(istiodEnv.some((e: any) => e.name === "PILOT_ENABLE_AMBIENT" && e.value === "true"), "istiod runs with ambient enabled");
        assert.ok(objects.get("NetworkPolicy istio-system/ztunnel"), "global.networkPolicy made ztunnel's NetworkPolicy");
        assert.strictEqual(objects.get("Gateway bookinfo/waypoint")?.spec.gatewayClassName, "istio-waypoint");
    });

    it("the ztunnel chart fixture of the fast tier matches what the chart renders", () => {
        const objects = byKey();
        for (const fixture of chartFixtures.ztunnel("istio-system")) {
            const real = objects.get(`${fixture.kind} istio-system/${fixture.metadata.name}`)!;
            const template = fixture.spec.template;
            assert.ok(Object.entries(template.metadata.labels).every(([k, v]) => real.spec.template.metadata.labels[k] === v), "pod labels");
            assert.strictEqual(real.spec.template.spec.serviceAccountName, template.spec.serviceAccountName);
            assert.deepStrictEqual(real.spec.template.spec.containers.map((c: any) => c.image), template.spec.containers.map((c: any) => c.image));
        }
    });
});
