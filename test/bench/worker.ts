/**
 * One benchmark measurement, in a fresh process so peak memory is its own. Prints one JSON
 * line: { ms, cpuMs, peakRssMb, resources }: wall time, and the process's CPU time over the same
 * span (steadier than wall time on a shared machine).
 *   components N [objects] [resources] — the stack program (components) for N services, under
 *                  mocks; writes its Kubernetes objects (for raw) and its resources (for pack)
 *   raw N objects  — the same Kubernetes objects, written directly with @pulumi/kubernetes
 *   pack N resources — the whole policy pack over the program's resources, alone in its process,
 *                  as `pulumi preview --policy-pack` runs it: in an analyzer process of its own,
 *                  which the engine sends the resources to
 *   reach N        — the reachability analysis (all layers) of a synthetic cluster of N workloads
 */
import * as k8s from "@pulumi/kubernetes";
import * as fs from "fs";
import { policies } from "../../policypack/policies";
import { deployMesh } from "../../stacks/program";
import { installMocks, RecordedResource, ResourceLog } from "../../stacks/offline";
import { runPolicyPack } from "../harness/policyPack";
import { reachability } from "../../analysis/reach";
import { syntheticEnvironment } from "./generate";
import { syntheticCluster } from "./syntheticCluster";

interface Instant { wall: number; cpu: NodeJS.CpuUsage }

const now = (): Instant => ({ wall: performance.now(), cpu: process.cpuUsage() });

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

/** The Kubernetes objects a components run registered, to write them again directly. */
function objectsOf(resources: readonly RecordedResource[]): Record<string, any>[] {
    return resources.filter((r) => r.custom && r.type.startsWith("kubernetes:") && r.inputs.kind).map((r) => r.inputs);
}

function writeDirectly(object: Record<string, any>, index: number): void {
    const name = `${object.kind}-${index}`;
    switch (object.kind) {
        case "Namespace": new k8s.core.v1.Namespace(name, object); break;
        case "ServiceAccount": new k8s.core.v1.ServiceAccount(name, object); break;
        case "Service": new k8s.core.v1.Service(name, object); break;
        case "Secret": new k8s.core.v1.Secret(name, object); break;
        case "Deployment": new k8s.apps.v1.Deployment(name, object); break;
        case "NetworkPolicy": object.apiVersion === "networking.k8s.io/v1" ? new k8s.networking.v1.NetworkPolicy(name, object) : new k8s.apiextensions.CustomResource(name, object as any); break;
        default: new k8s.apiextensions.CustomResource(name, object as any);
    }
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
        const reachStart = now();
        const flows = reachability(objects, { istio: true });
        const measured = span(reachStart, now());
        const policies = objects.filter((o) => /Policy$|^PeerAuthentication$/.test(o.kind)).length;
        return { ...measured, peakRssMb: peakRssMb(), resources: objects.length, policies, flows: flows.length };
    }
    if (mode === "pack") {
        const resources = JSON.parse(fs.readFileSync(files[0], "utf8")) as RecordedResource[];
        const packStart = now();
        await runPolicyPack(policies, resources);
        return { ...span(packStart, now()), peakRssMb: peakRssMb(), resources: resources.length };
    }
    const log = await installMocks();
    log.clear();
    let measured: { ms: number; cpuMs: number };
    if (mode === "raw") {
        const objects = JSON.parse(fs.readFileSync(files[0], "utf8")) as Record<string, any>[];
        const rawStart = now();
        objects.forEach(writeDirectly);
        measured = span(rawStart, await lastRegistration(log));
    } else {
        const started = now();
        deployMesh(syntheticEnvironment(count), "bench");
        measured = span(started, await lastRegistration(log));
        const [objectsFile, resourcesFile] = files;
        if (objectsFile) {
            fs.writeFileSync(objectsFile, JSON.stringify(objectsOf(log.resources)));
        }
        if (resourcesFile) {
            // Functions (transforms) do not reach an analyzer; the pack reads none.
            fs.writeFileSync(resourcesFile, JSON.stringify(log.resources.map((resource) => ({ ...resource, transforms: [] }))));
        }
    }
    return { ...measured, peakRssMb: peakRssMb(), resources: log.resources.length };
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
