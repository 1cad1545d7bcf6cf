import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadManifests } from "../../analysis/manifests";
import { writeClusterFiles } from "./clusterFiles";
import { syntheticCluster } from "./syntheticCluster";
import { measure } from "./worker";

/**
 * The benchmark compares like with like: the raw run writes exactly the objects the components
 * made. `npm run bench` runs each measurement in a fresh process; here they run in this one.
 */
describe("benchmark worker (npm run bench)", () => {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-bench-test-"));
    after(() => fs.rmSync(scratch, { recursive: true, force: true }));

    it("measures components, raw objects and the pack on the same synthetic stack", async function () {
        this.timeout(120000);
        const objectsFile = path.join(scratch, "objects.json");
        const resourcesFile = path.join(scratch, "resources.json");
        const components = await measure("components", 12, objectsFile, resourcesFile);
        const objects = JSON.parse(fs.readFileSync(objectsFile, "utf8")) as { kind: string }[];
        assert.strictEqual(objects.filter((o) => o.kind === "Deployment").length, 24, "two versions of twelve services");
        const raw = await measure("raw", 12, objectsFile);
        assert.strictEqual(raw.resources, objects.length, "every object once");
        const pack = await measure("pack", 12, resourcesFile);
        assert.strictEqual(pack.resources, components.resources, "the pack sees every resource the program registered");
        for (const sample of [components, raw, pack]) {
            assert.ok(sample.ms > 0 && sample.cpuMs > 0 && sample.peakRssMb > 0);
        }
        assert.ok(components.resources > raw.resources, "components add their own component resources");
    });

    it("analyses a synthetic cluster whose allowed flows are known: each app reaches the next one's five workloads", async () => {
        const sample = await measure("reach", 100);
        // 20 apps of 5 workloads in a chain: 19 links × 5 × 5 workload pairs, nothing else allowed.
        assert.strictEqual(sample.flows, 19 * 25);
    });

    it("writes a synthetic cluster as manifest files that read back as the same objects (the whole-CLI figures)", () => {
        const folder = path.join(scratch, "cluster");
        assert.strictEqual(writeClusterFiles(30, folder), syntheticCluster(30).length);
        assert.deepStrictEqual(fs.readdirSync(folder).sort(), ["cluster.yaml", "team-0.yaml", "team-1.yaml", "team-2.yaml"]);
        const key = (object: { kind: string; metadata?: { namespace?: string; name?: string } }) => `${object.kind} ${object.metadata?.namespace ?? ""}/${object.metadata?.name}`;
        const byKey = (objects: ReturnType<typeof syntheticCluster>) => [...objects].sort((a, b) => key(a).localeCompare(key(b)));
        assert.deepStrictEqual(byKey(loadManifests(folder)), byKey(syntheticCluster(30)));
    });
});
