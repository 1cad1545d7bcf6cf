import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../../analysis/cli";
import { formatFlows } from "../../analysis/flowFormat";
import { loadManifests } from "../../analysis/manifests";
import { reachability } from "../../analysis/reach";

/**
 * A listing longer than one output chunk (about a megabyte): 160 workloads that no policy
 * isolates, each reaching every other one and the outside, about 26,000 lines.
 */
function openCluster(): string {
    return Array.from({ length: 160 }, (_, i) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: workload-${i}, namespace: team-${Math.floor(i / 10)}}
spec:
  selector: {matchLabels: {app: app-${i}}}
  template:
    metadata: {labels: {app: app-${i}}}
    spec: {containers: [{name: main, image: example/app:1}]}
`).join("---\n");
}

describe("ztmesh reach: a long listing, written in chunks", () => {
    let folder: string;
    let expected: string;
    before(() => {
        folder = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-cli-output-"));
        fs.writeFileSync(path.join(folder, "cluster.yaml"), openCluster());
        expected = formatFlows(reachability(loadManifests(folder)));
    });
    after(() => fs.rmSync(folder, { recursive: true, force: true }));

    it("prints every line once, in order, in whole lines per chunk", async () => {
        assert.ok(expected.length > 1.5 * (1 << 20), `the listing is only ${expected.length} characters`);
        const chunks: string[] = [];
        const code = await main(["reach", path.join(folder, "cluster.yaml")], { stdout: (text) => chunks.push(text), stderr: assert.fail });
        assert.strictEqual(code, 0);
        assert.ok(chunks.length >= 2, `one chunk of ${chunks[0]?.length} characters`);
        assert.ok(chunks.every((chunk) => chunk.endsWith("\n")), "a chunk ends inside a line");
        assert.strictEqual(chunks.join(""), expected);
    });

    it("writes the same to --output", async () => {
        const output = path.join(folder, "flows.txt");
        let stderr = "";
        const code = await main(["reach", path.join(folder, "cluster.yaml"), "--output", output], { stdout: assert.fail, stderr: (text) => { stderr += text; } });
        assert.strictEqual(code, 0, stderr);
        assert.strictEqual(stderr, `ztmesh reach: wrote ${output}\n`);
        assert.strictEqual(fs.readFileSync(output, "utf8"), expected);
    });
});
