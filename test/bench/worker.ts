/**
 * One benchmark measurement, in a fresh process so peak memory is its own. Prints one JSON
 * line: { ms, cpuMs, peakRssMb, resources }: wall time, and the process's CPU time over the same
 * span (steadier than wall time on a shared machine).
 *   components N [direct] [resources] — the stack program (components) for N services, under
 *                  mocks (stackProgram.ts); writes what it registered besides its components (for
 *                  raw) and all of its resources (for pack)
 *   raw N direct   — the same resources (objects, charts, provider) written directly with
 *                  @pulumi/kubernetes (rawProgram.ts)
 *   pack N resources — the whole policy pack over the program's resources, alone in its process,
 *                  as `pulumi preview --policy-pack` runs it: in an analyzer process of its own,
 *                  which the engine sends the resources to
 *   reach N        — the reachability analysis (all layers) of a synthetic cluster of N workloads
 */
import * as fs from "fs";
import { policies } from "../../policypack/policies";
// The modules the measured programs import, loaded (compiled by ts-node) before any span starts.
import "../../stacks/program";
import "./generate";
import { installMocks, RecordedResource, ResourceLog } from "../../stacks/offline";
import { runPolicyPack } from "../harness/policyPack";
import { reachability } from "../../analysis/reach";
import { syntheticCluster } from "./syntheticCluster";
import { DirectResource, programInput } from "./programInput";
import { directResourcesOf } from "./directResources";

interface Instant { wall: number; cpu: NodeJS.CpuUsage }

const now = (): Instant => ({ wall: performance.now(), cpu: process.cpuUsage() });

/**
 * The start of a measured span, from a collected heap. Loading the modules (ts-node compiles
 * them) leaves tens of MB of garbage, and the major collection it calls for would otherwise
 * fall in whichever span runs first and be charged to it: about 45 ms of the pack's 260 at 100
 * services. The benchmark runs workers with --expose-gc; without it (the tests, which measure
 * no times) nothing is collected.
 */
function spanStart(): Instant {
    (globalThis as { gc?: () => void }).gc?.();
    return now();
}

/** Wall and CPU milliseconds from `start` to `end`. */
function span(start: Instant, end: Instant): { ms: number; cpuMs: number } {
    return { ms: end.wall - start.wall, cpuMs: (end.cpu.user - start.cpu.user + end.cpu.system - start.cpu.system) / 1000 };
}

/** Waits until registrations stop; returns when the last one arrived. */
async function lastRegistration(log: ResourceLog): Promise<Instant> {
    let count = -1;
    let at = now();
    for (let quiet = 0; quiet < 10;) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        if (log.resources.length !== count) {
            count = log.resources.length;
            at = now();
            quiet = 0;
        } else {
            quiet++;
        }
    }
    return at;
}

export interface Sample { ms: number; cpuMs: number; peakRssMb: number; resources: number; policies?: number; flows?: number }

/**
 * One measurement of `mode` (see above) in this process. The benchmark runs each in a fresh
 * process, so peak memory is its own; its tests run it in theirs, where the log of earlier
 * registrations is cleared first.
 */
export async function measure(mode: string, count: number, ...files: string[]): Promise<Sample> {
    if (mode === "reach") {
        const objects = syntheticCluster(count);
        const reachStart = spanStart();
        const flows = reachability(objects, { istio: true });
        const measured = span(reachStart, now());
        const policies = objects.filter((o) => /Policy$|^PeerAuthentication$/.test(o.kind)).length;
        return { ...measured, peakRssMb: peakRssMb(), resources: objects.length, policies, flows: flows.length };
    }
    if (mode === "pack") {
        const resources = JSON.parse(fs.readFileSync(files[0], "utf8")) as RecordedResource[];
        const packStart = spanStart();
        await runPolicyPack(policies, resources);
        return { ...span(packStart, now()), peakRssMb: peakRssMb(), resources: resources.length };
    }
    const log = await installMocks();
    log.clear();
    let measured: { ms: number; cpuMs: number };
    if (mode === "raw") {
        programInput.resources = JSON.parse(fs.readFileSync(files[0], "utf8")) as DirectResource[];
        const rawStart = spanStart();
        loadProgram("./rawProgram");
        measured = span(rawStart, await lastRegistration(log));
    } else {
        programInput.services = count;
        const started = spanStart();
        loadProgram("./stackProgram");
        measured = span(started, await lastRegistration(log));
        const [directFile, resourcesFile] = files;
        if (directFile) {
            fs.writeFileSync(directFile, JSON.stringify(directResourcesOf(log.resources)));
        }
        if (resourcesFile) {
            // Functions (transforms) do not reach an analyzer; the pack reads none.
            fs.writeFileSync(resourcesFile, JSON.stringify(log.resources.map((resource) => ({ ...resource, transforms: [] }))));
        }
    }
    return { ...measured, peakRssMb: peakRssMb(), resources: log.resources.length };
}

/**
 * Loads a program module afresh (the tests measure several times in one process), so that its
 * top-level statements register its resources, as when Pulumi loads a program. Compiling the
 * small module itself (about 4 ms) falls inside the span, alike for both programs.
 */
function loadProgram(request: string): void {
    const file = require.resolve(request);
    delete require.cache[file];
    require(file);
}

function peakRssMb(): number {
    return process.resourceUsage().maxRSS / 1024;
}

if (require.main === module) {
    const [mode, countText, ...files] = process.argv.slice(2);
    measure(mode, Number(countText), ...files).then(
        (sample) => {
            console.log(JSON.stringify(sample));
            process.exit(0);
        },
        (error) => {
            console.error(error);
            process.exit(1);
        },
    );
}
