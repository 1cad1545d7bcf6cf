import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { formatFlows, intentDifferences, loadManifests, reachability } from "../../components";
import { parseEnvironment } from "../../stacks/config";
import { construct } from "../../stacks/offline";
import { deployMesh } from "../../stacks/program";
import { singleStackConfig, withoutTeamLabels } from "../harness/teamStacks";
import { PulumiCli } from "./pulumiCli";
import { configValues, crdFile, istioCharts, rawConfig, withoutEmptyLists, writeStackConfig } from "./stackFiles";

/** The kinds that decide who may reach whom. */
const policyKinds = ["Namespace", "NetworkPolicy", "GlobalNetworkPolicy", "AuthorizationPolicy", "PeerAuthentication"];

/**
 * The platform stack and the two Bookinfo team stacks with the real Pulumi CLI on one file
 * backend, in render mode: each team stack reads the platform's handle through a real
 * StackReference, and the pack checks each of them at preview.
 */
describe("e2e: the platform and two team stacks with the real Pulumi CLI (render mode)", function () {
    this.timeout(1_800_000);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-e2e-teams-"));
    const state = path.join(work, "state");
    const rendered = (name: string) => path.join(work, "rendered", name);
    const pack = "policypack";
    const stackName = (name: string) => `e2e-${name}-${process.pid}`;

    /** `Pulumi.<file>.yaml` for a throw-away stack `name`, rendering into `work`, its platform this run's. */
    function stack(name: string, file: string, edit: (config: Record<string, any>) => void = () => {}, configName = name): PulumiCli {
        const config = configValues(file);
        config["ztmesh:cluster"] = { renderDirectory: rendered(name) };
        if (config["ztmesh:role"] === "platform") {
            config["ztmesh:charts"] = { localDirectory: istioCharts };
            config["ztmesh:gateway"] = { ...config["ztmesh:gateway"], crdsSource: crdFile("gateway-api-v1.5.1-standard.yaml") };
        } else {
            config["ztmesh:platform"] = `organization/ztmesh/${stackName("platform")}`;
        }
        edit(config);
        return new PulumiCli(state, stackName(name), writeStackConfig(path.join(work, `Pulumi.${stackName(configName)}.yaml`), config));
    }
    const platform = stack("platform", "platform");
    const frontend = stack("frontend", "team-frontend");
    const reviews = stack("reviews", "team-reviews");

    before(() => {
        fs.mkdirSync(state);
        for (const cli of [platform, frontend, reviews]) {
            cli.ok(["stack", "init"]);
        }
    });

    after(() => {
        // Leave nothing behind, also when a step failed: the teams first, then their platform.
        for (const cli of [reviews, frontend, platform]) {
            cli.run(["destroy", "--yes"]);
            cli.run(["stack", "rm", "--yes", "--force"]);
        }
        fs.rmSync(work, { recursive: true, force: true });
    });

    it("the platform stack passes the pack at preview and renders, exporting its handle", () => {
        assert.doesNotMatch(platform.ok(["preview", "--policy-pack", pack]), /mandatory/i);
        platform.ok(["up", "--yes", "--skip-preview"]);
        const handle = JSON.parse(platform.ok(["stack", "output", "ztmeshPlatform", "--json"]));
        assert.strictEqual(handle.version, 1);
        assert.ok(handle.policyObjects.some((o: any) => o.kind === "NetworkPolicy" && o.metadata.name === "default-deny" && o.metadata.namespace === "bookinfo-reviews"), "the handle holds the platform's policy objects");
    });

    it("both team stacks, reading the handle through a StackReference, pass the pack at preview and render", () => {
        for (const team of [frontend, reviews]) {
            const output = team.ok(["preview", "--policy-pack", pack]);
            assert.doesNotMatch(output, /mandatory/i, output);
            assert.match(output, /ztmesh:index:PlatformReference/, "the platform's handle is registered for the pack");
            team.ok(["up", "--yes", "--skip-preview"]);
        }
    });

    /** Every object of the rendered folders of `names`. */
    const renderedObjects = (names: string[]) => names.flatMap((name) => fs.readdirSync(rendered(name), { recursive: true }).map(String)
        .filter((file) => file.endsWith(".yaml"))
        .flatMap((file) => YAML.parseAllDocuments(fs.readFileSync(path.join(rendered(name), file), "utf8")).map((d) => d.toJSON()).filter(Boolean)));

    it("the three rendered folders hold the policy objects of one stack with the same declarations, but for the team labels", async () => {
        const key = (o: any) => `${o.kind} ${o.metadata?.namespace ?? ""}/${o.metadata?.name}`;
        const union = new Map(renderedObjects(["platform", "frontend", "reviews"]).filter((o) => policyKinds.includes(o.kind)).map((o) => [key(o), o]));
        const log = await construct(() => deployMesh(parseEnvironment(rawConfig(singleStackConfig())), "single"));
        const single = log.resources.filter((r) => r.custom && policyKinds.includes(r.inputs.kind)).map((r) => JSON.parse(JSON.stringify(r.inputs)));
        for (const object of single) {
            const found = union.get(key(object));
            assert.ok(found, `${key(object)} is rendered by one of the three stacks`);
            const strip = (o: any) => withoutEmptyLists({ labels: withoutTeamLabels(o).metadata.labels, spec: o.spec });
            assert.deepStrictEqual(strip(found), strip(object), key(object));
        }
        // The rest are the charts' own (the platform renders them; under mocks charts have no children).
        const extra = [...union.keys()].filter((name) => !single.some((object) => key(object) === name));
        assert.ok(extra.every((name) => name.includes("istio-system/")), extra.join(", "));
    });

    it("ztmesh reach over the union equals the declared intent", () => {
        const objects = ["platform", "frontend", "reviews"].flatMap((name) => loadManifests(rendered(name)));
        const flows = reachability(objects, { istio: true });
        assert.deepStrictEqual(intentDifferences(objects, flows), []);
        const listing = formatFlows(flows, { l7: true });
        assert.match(listing, /bookinfo-frontend\/productpage-v1\[Deployment\] => bookinfo-reviews\/details-v1\[Deployment\] : TCP 9080 \[GET \/details\/\*\]/);
        assert.match(listing, /bookinfo-reviews\/reviews-v[123]\[Deployment\] => bookinfo-reviews\/ratings-v1\[Deployment\] : TCP 9080 \[GET \/ratings\/\*\]/);
    });

    it("a team stack that puts a service in the other team's namespace is refused at preview by team-objects-in-own-namespaces", () => {
        const manifest = path.join(work, "intruder.yaml");
        fs.writeFileSync(manifest, YAML.stringify({ apiVersion: "v1", kind: "Service", metadata: { name: "ledger", namespace: "bookinfo-reviews" }, spec: { selector: { app: "ledger" }, ports: [{ port: 80 }] } }));
        const intruder = stack("frontend", "team-frontend", (config) => { config["ztmesh:manifests"] = [manifest]; }, "frontend-intruder");
        const { status, output } = intruder.run(["preview", "--policy-pack", pack]);
        assert.notStrictEqual(status, 0, output);
        assert.match(output, /\[mandatory\]\s+team-objects-in-own-namespaces[\s\S]*Service bookinfo-reviews\/ledger is in namespace "bookinfo-reviews", which team "reviews" owns, not in a namespace of team "frontend"/);
    });
});
