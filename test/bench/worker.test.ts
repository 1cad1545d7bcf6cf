import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** The benchmark compares like with like: the raw run writes exactly the objects the components made. */
describe("benchmark worker (npm run bench)", () => {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-bench-test-"));
    after(() => fs.rmSync(scratch, { recursive: true, force: true }));
    const run = (...args: string[]) => JSON.parse(execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "worker.ts"), ...args], { encoding: "utf8" }).trim().split("\n").pop()!);

    it("measures components, raw objects and the pack on the same synthetic stack", function () {
        this.timeout(120000);
        const objectsFile = path.join(scratch, "objects.json");
        const components = run("components", "12", objectsFile);
        const objects = JSON.parse(fs.readFileSync(objectsFile, "utf8")) as { kind: string }[];
        assert.strictEqual(objects.filter((o) => o.kind === "Deployment").length, 24, "two versions of twelve services");
        const raw = run("raw", "12", objectsFile);
        assert.strictEqual(raw.resources, objects.length, "every object once");
        const pack = run("pack", "12");
        for (const sample of [components, raw, pack]) {
            assert.ok(sample.ms > 0 && sample.cpuMs > 0 && sample.peakRssMb > 0);
        }
        assert.ok(components.resources > raw.resources, "components add their own component resources");
    });

    it("analyses a synthetic cluster whose allowed flows are known: each app reaches the next one's five workloads", function () {
        this.timeout(60000);
        const sample = run("reach", "100");
        // 20 apps of 5 workloads in a chain: 19 links × 5 × 5 workload pairs, nothing else allowed.
        assert.strictEqual(sample.flows, 19 * 25);
    });
});
