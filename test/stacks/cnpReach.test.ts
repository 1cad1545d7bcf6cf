import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { main } from "../../analysis/cli";
import { intentDifferences, summarize } from "../../analysis/intent";
import { KubeObject } from "../../analysis/manifests";
import { reachability } from "../../analysis/reach";
import { parseEnvironment } from "../../stacks/config";
import { stackObjects } from "../../stacks/offline";
import { stackConfig } from "../harness/stackConfig";

/**
 * `ztmesh reach` over the dev stack in clusterNetworkPolicy mode: the analyzer evaluates the
 * ClusterNetworkPolicies (Admin, then NetworkPolicy, then Baseline), the flows are what the
 * services declare, and between pods they are exactly the calico mode's: same declarations,
 * same result. Two workloads in a namespace no NetworkPolicy covers show the Baseline deny at
 * work: the calico mode's GlobalNetworkPolicy denies them everything, the Baseline tier must too.
 */

/** Two workloads the stack does not declare, in a namespace without NetworkPolicies. */
const unmanaged: KubeObject[] = [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "legacy" } },
    ...["a", "b"].map((name): KubeObject => ({
        apiVersion: "apps/v1", kind: "Deployment", metadata: { name: `legacy-${name}`, namespace: "legacy" },
        spec: {
            selector: { matchLabels: { app: `legacy-${name}` } },
            template: { metadata: { labels: { app: `legacy-${name}` } }, spec: { serviceAccountName: `legacy-${name}`, containers: [{ name: "app", image: "registry.example.com/legacy:1.0.0", ports: [{ containerPort: 8080 }] }] } },
        },
    })),
];

async function devObjects(clusterPolicy: "calico" | "clusterNetworkPolicy"): Promise<KubeObject[]> {
    const config = { ...stackConfig("dev"), "ztmesh:baseline": JSON.stringify({ clusterPolicy }) };
    return [...await stackObjects(parseEnvironment(config), "dev"), ...unmanaged];
}

/** `ztmesh reach --l7` over the objects, written to a folder as a user would render them. */
async function reach(objects: readonly KubeObject[], folder: string): Promise<{ code: number; stdout: string; stderr: string }> {
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, "stack.yaml"), objects.map((object) => YAML.stringify(object)).join("---\n"));
    let stdout = "";
    let stderr = "";
    const code = await main(["reach", "--l7", folder], { stdout: (text) => { stdout += text; }, stderr: (text) => { stderr += text; } });
    return { code, stdout, stderr };
}

/** The flows between pods: what no address outside the cluster takes part in. */
const podToPod = (listing: string) => listing.trim().split("\n").filter((line) => !line.includes("[External]"));

describe("ztmesh reach over the dev stack in clusterNetworkPolicy mode", () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-cnp-reach-"));
    after(() => fs.rmSync(work, { recursive: true, force: true }));

    it("evaluates every ClusterNetworkPolicy, allows exactly the declared flows, and between pods exactly what the calico mode allows", async () => {
        const cnpObjects = await devObjects("clusterNetworkPolicy");
        assert.ok(cnpObjects.some((object) => object.kind === "ClusterNetworkPolicy"));
        const cnp = await reach(cnpObjects, path.join(work, "cnp"));
        assert.strictEqual(cnp.code, 0, cnp.stderr);
        assert.doesNotMatch(cnp.stderr, /ClusterNetworkPolicy[^\n]*not evaluated/, "the analyzer evaluates the guardrails");

        assert.deepStrictEqual(intentDifferences(cnpObjects, reachability(cnpObjects, { istio: true })).map(summarize), []);

        const calico = await reach(await devObjects("calico"), path.join(work, "calico"));
        assert.strictEqual(calico.code, 0, calico.stderr);
        assert.deepStrictEqual(podToPod(cnp.stdout), podToPod(calico.stdout));
        assert.ok(!podToPod(cnp.stdout).some((line) => line.includes("legacy/")), "the Baseline deny holds the workloads no NetworkPolicy selects");
    });
});
