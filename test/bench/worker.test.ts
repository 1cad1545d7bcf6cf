import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadManifests } from "../../analysis/manifests";
import { writeClusterFiles } from "./clusterFiles";
import { syntheticCluster } from "./syntheticCluster";
import type { RecordedResource } from "../../stacks/offline";
import type { DirectResource } from "./programInput";
import { measure } from "./worker";

/**
 * The benchmark compares like with like: the raw run writes exactly what the components
 * registered besides themselves. `npm run bench` runs each measurement in a fresh process;
 * here they run in this one.
 */
describe("benchmark worker (npm run bench)", () => {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-bench-test-"));
    after(() => fs.rmSync(scratch, { recursive: true, force: true }));

    it("measures components, the same resources written directly and the pack on the same synthetic stack", async function () {
        this.timeout(120000);
        const directFile = path.join(scratch, "direct.json");
        const resourcesFile = path.join(scratch, "resources.json");
        const components = await measure("components", 12, directFile, resourcesFile);
        const direct = JSON.parse(fs.readFileSync(directFile, "utf8")) as DirectResource[];
        const registered = JSON.parse(fs.readFileSync(resourcesFile, "utf8")) as RecordedResource[];
        assert.strictEqual(direct.filter((resource) => resource.type === "kubernetes:apps/v1:Deployment").length, 24, "two versions of twelve services");
        assert.deepStrictEqual(direct.filter((resource) => !resource.type.startsWith("kubernetes:")).map((resource) => resource.type), ["pulumi:providers:kubernetes"]);
        const componentTypes = registered.filter((resource) => resource.type.startsWith("ztmesh:")).map((resource) => resource.type);
        assert.strictEqual(componentTypes.filter((type) => type === "ztmesh:index:MeshService").length, 12);
        const raw = await measure("raw", 12, directFile);
        assert.strictEqual(raw.resources, components.resources - componentTypes.length, "everything but the components, once");
        const pack = await measure("pack", 12, resourcesFile);
        assert.strictEqual(pack.resources, components.resources, "the pack sees every resource the program registered");
        for (const sample of [components, raw, pack]) {
            assert.ok(sample.ms > 0 && sample.cpuMs > 0 && sample.peakRssMb > 0);
        }
    });

    it("runs both programs from the top level of a module, as Pulumi loads a program: their stack traces keep all their frames", async function () {
        this.timeout(120000);
        const directFile = path.join(scratch, "direct-depth.json");
        const components = await framesPerTrace("meshService.ts", () => measure("components", 2, directFile));
        const raw = await framesPerTrace("rawProgram.ts", () => measure("raw", 2, directFile));
        assert.ok(components.length > 0 && raw.length > 0, "both record stack traces while they register");
        assert.deepStrictEqual([...new Set(components)], [nodeDefaultStackTraceLimit]);
        assert.deepStrictEqual([...new Set(raw)], [nodeDefaultStackTraceLimit]);
    });

    it("starts every span from a collected heap where the runtime exposes gc (npm run bench runs workers with --expose-gc)", async function () {
        this.timeout(120000);
        const collections: string[] = [];
        const runtime = globalThis as { gc?: () => void };
        const exposed = runtime.gc;
        const [directFile, resourcesFile] = [path.join(scratch, "direct-gc.json"), path.join(scratch, "resources-gc.json")];
        try {
            for (const [mode, ...files] of [["components", directFile, resourcesFile], ["raw", directFile], ["pack", resourcesFile], ["reach"]]) {
                runtime.gc = () => collections.push(mode);
                await measure(mode, 2, ...files);
            }
        } finally {
            runtime.gc = exposed;
        }
        assert.deepStrictEqual(collections, ["components", "raw", "pack", "reach"]);
        assert.ok(fs.readFileSync(path.join(__dirname, "run.ts"), "utf8").includes(`"--expose-gc"`), "the benchmark exposes gc to its workers");
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

const nodeDefaultStackTraceLimit = 10;

/**
 * The frame counts of the stack traces recorded through `file` while `run` runs. The runtime
 * records a trace per promise of a registration, keeping Node's default ten frames (its
 * source-position traces lift the limit and are left out), and ts-node source-maps each frame:
 * the benchmark's programs must register from equally deep stacks to cost the same per trace.
 */
async function framesPerTrace(file: string, run: () => Promise<unknown>): Promise<number[]> {
    const counts: number[] = [];
    const [prepare, limit] = [Error.prepareStackTrace, Error.stackTraceLimit];
    Error.stackTraceLimit = nodeDefaultStackTraceLimit;
    Error.prepareStackTrace = (error, frames) => {
        if (Error.stackTraceLimit === nodeDefaultStackTraceLimit && frames.some((frame) => frame.getFileName()?.endsWith(file))) {
            counts.push(frames.length);
        }
        return prepare ? prepare(error, frames) : String(error);
    };
    try {
        await run();
    } finally {
        [Error.prepareStackTrace, Error.stackTraceLimit] = [prepare, limit];
    }
    return counts;
}
