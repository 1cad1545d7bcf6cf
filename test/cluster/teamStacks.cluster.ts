import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MeshPlatform, intentDifferences, platformOutputName, reachability, teamLabel } from "../../components";
import { KubeObject } from "../../analysis/manifests";
import { deployTeam } from "../../stacks/application";
import { parseEnvironment } from "../../stacks/config";
import { RecordedResource, construct } from "../../stacks/offline";
import { PulumiCli } from "../e2e/pulumiCli";
import { configValues, rawConfig, writeStackConfig } from "../e2e/stackFiles";
import { TestCluster } from "./apiServer";
import { assertOnServer, clusterConfig, expectedObjects, startWithManifestCalico } from "./stackOnServer";

/** What the reachability analysis reads of a cluster: the objects that select, enforce or run. */
const analysedKinds: [string, string][] = [
    ["v1", "Namespace"], ["v1", "Service"], ["apps/v1", "Deployment"], ["networking.k8s.io/v1", "NetworkPolicy"],
    ["crd.projectcalico.org/v1", "GlobalNetworkPolicy"], ["security.istio.io/v1", "AuthorizationPolicy"], ["security.istio.io/v1", "PeerAuthentication"],
    ["gateway.networking.k8s.io/v1", "Gateway"],
];

/**
 * The platform stack and the two Bookinfo team stacks applied to one kube-apiserver, each team
 * stack reading the platform's handle through a StackReference on a shared file backend.
 */
describe("cluster: the platform and two team stacks on one kube-apiserver", function () {
    this.timeout(1_800_000);
    let cluster: TestCluster;
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-cluster-teams-"));
    const state = path.join(work, "state");
    const stackName = (name: string) => `cluster-${name}-${process.pid}`;
    const configs: Record<string, Record<string, any>> = {};
    const clis: Record<string, PulumiCli> = {};
    const expected: Record<string, RecordedResource[]> = {};

    /** Pulumi.<file>.yaml against the test cluster; a team's platform is this run's. */
    function teamConfig(file: string): Record<string, any> {
        const config = configValues(file);
        config["ztmesh:cluster"] = { context: "test", skipAwait: true };
        config["ztmesh:platform"] = `organization/ztmesh/${stackName("platform")}`;
        return config;
    }

    /** Every object of the kinds the analysis reads, as the server holds them. */
    async function liveObjects(): Promise<KubeObject[]> {
        const lists = await Promise.all(analysedKinds.map(([apiVersion, kind]) => cluster.list(apiVersion, kind)));
        return lists.flat().map((object) => JSON.parse(JSON.stringify(object)) as KubeObject);
    }

    before(async () => {
        cluster = await startWithManifestCalico();
        fs.mkdirSync(state);
        configs.platform = clusterConfig("platform");
        configs.frontend = teamConfig("team-frontend");
        configs.reviews = teamConfig("team-reviews");
        for (const name of ["platform", "frontend", "reviews"]) {
            clis[name] = new PulumiCli(state, stackName(name), writeStackConfig(path.join(work, `Pulumi.${stackName(name)}.yaml`), configs[name]), { KUBECONFIG: cluster.kubeconfigPath });
            clis[name].ok(["stack", "init"]);
        }
    });

    after(async () => {
        for (const name of ["reviews", "frontend", "platform"]) {
            clis[name]?.run(["destroy", "--yes"]);
            clis[name]?.run(["stack", "rm", "--yes", "--force"]);
        }
        await cluster?.stop();
        fs.rmSync(work, { recursive: true, force: true });
    });

    it("pulumi up of the platform, then of both teams, puts every object of the three stacks on the server", async () => {
        clis.platform.ok(["up", "--yes", "--skip-preview"]);
        expected.platform = await expectedObjects(stackName("platform"), configs.platform);
        const handle = JSON.parse(clis.platform.ok(["stack", "output", platformOutputName, "--json"]));
        for (const team of ["frontend", "reviews"]) {
            clis[team].ok(["up", "--yes", "--skip-preview"]);
            const env = parseEnvironment(rawConfig(configs[team]));
            const log = await construct(() => deployTeam(env, stackName(team), MeshPlatform.of({ [platformOutputName]: handle })));
            expected[team] = log.resources.filter((r) => r.custom && r.inputs.kind);
        }
        for (const name of ["platform", "frontend", "reviews"]) {
            await assertOnServer(cluster, expected[name]);
        }
        const details = await cluster.read("security.istio.io/v1", "AuthorizationPolicy", "details", "bookinfo-reviews");
        assert.strictEqual(details.metadata.labels[teamLabel], "reviews", "the team's objects carry its label");
        assert.deepStrictEqual(intentDifferences(await liveObjects(), reachability(await liveObjects(), { istio: true })), []);
    });

    it("pulumi destroy of the frontend stack removes its objects only; the reviews team's flows stay as declared", async () => {
        const flowsBefore = reachability(await liveObjects(), { istio: true }).filter((flow) => flow.src.name.startsWith("bookinfo-reviews/"));
        clis.frontend.ok(["destroy", "--yes"]);
        for (const { inputs } of expected.frontend) {
            assert.strictEqual(await cluster.read(inputs.apiVersion, inputs.kind, inputs.metadata.name, inputs.metadata.namespace), undefined, `${inputs.kind} ${inputs.metadata.namespace}/${inputs.metadata.name} is gone`);
        }
        await assertOnServer(cluster, expected.platform);
        await assertOnServer(cluster, expected.reviews);
        const objects = await liveObjects();
        const flowsAfter = reachability(objects, { istio: true }).filter((flow) => flow.src.name.startsWith("bookinfo-reviews/"));
        const pairs = (flows: typeof flowsAfter) => flows.map((flow) => `${flow.src.name} => ${flow.dst.name}`).sort();
        assert.ok(pairs(flowsAfter).some((flow) => /^bookinfo-reviews\/reviews-v1\[Deployment\] => bookinfo-reviews\/ratings-v1\[Deployment\]$/.test(flow)), pairs(flowsAfter).join("\n"));
        assert.deepStrictEqual(pairs(flowsAfter), pairs(flowsBefore));
        assert.deepStrictEqual(intentDifferences(objects, reachability(objects, { istio: true })), []);
    });
});
