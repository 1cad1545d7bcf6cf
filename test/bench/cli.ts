/**
 * The whole `ztmesh reach` command (or another, measureCommand) on synthetic clusters written as
 * manifest files: reading YAML, evaluating every layer and printing every flow, as a user runs it (the built bin, in a
 * fresh process, standard output to a file). Wall time from spawn to exit; peak RSS and CPU time
 * (user and system, steadier than wall time on a busy machine) from inside the process (peakRss.js).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { writeClusterFiles, writeObjectFiles } from "./clusterFiles";
import { kubernetesCluster } from "./kubernetesCluster";

const projectRoot = path.resolve(__dirname, "..", "..");
const bin = path.join(projectRoot, "dist", "analysis", "bin.js");

export interface CliSample { ms: number; cpuMs: number; peakRssMb: number; lines: number; outputMb: number }

let built = false;

/** Builds dist/ once per bench (the bin runs the built JavaScript), so the figures are those of the sources. */
export function buildCli(): void {
    if (built) {
        return;
    }
    const result = spawnSync("npm", ["run", "-s", "build"], { cwd: projectRoot, encoding: "utf8" });
    if (result.status !== 0) {
        throw new Error(`npm run build failed:\n${result.stdout}${result.stderr}`);
    }
    built = true;
}

/** Writes the cluster of `workloads` workloads under `scratch` once; returns its folder. */
export function clusterFolder(workloads: number, scratch: string): string {
    const folder = path.join(scratch, `cluster-${workloads}`);
    if (!fs.existsSync(folder)) {
        writeClusterFiles(workloads, folder);
    }
    return folder;
}

/** Writes the Kubernetes-only cluster of `workloads` workloads (kubernetesCluster.ts) under `scratch` once; returns its folder. */
export function kubernetesClusterFolder(workloads: number, scratch: string): string {
    const folder = path.join(scratch, `kubernetes-${workloads}`);
    if (!fs.existsSync(folder)) {
        writeObjectFiles(kubernetesCluster(workloads), folder);
    }
    return folder;
}

/**
 * One run of `ztmesh ...args` (`reach FOLDER --json`, `diff A B`, ...), standard output to a
 * file; `exitCodes`: those that mean success (`eval` exits 3 on a denial).
 */
export function measureCommand(args: readonly string[], scratch: string, exitCodes: readonly number[] = [0]): CliSample {
    const outputFile = path.join(scratch, "command-output.txt");
    const output = fs.openSync(outputFile, "w");
    const started = performance.now();
    const result = spawnSync(process.execPath, ["-r", path.join(__dirname, "peakRss.js"), bin, ...args], { stdio: ["ignore", output, "pipe"], encoding: "utf8", maxBuffer: 1 << 26 });
    const ms = performance.now() - started;
    fs.closeSync(output);
    const peak = /peakRssKiB=(\d+) cpuMs=(\d+)\s*$/.exec(result.stderr);
    if (result.status === null || !exitCodes.includes(result.status) || !peak) {
        throw new Error(`ztmesh ${args.join(" ")} exited ${result.status}: ${result.stderr}`);
    }
    return { ms, cpuMs: Number(peak[2]), peakRssMb: Number(peak[1]) / 1024, lines: newlines(outputFile), outputMb: fs.statSync(outputFile).size / 1e6 };
}

/** The lines of a file, read a megabyte at a time: --explain writes more than one string can hold. */
function newlines(file: string): number {
    const descriptor = fs.openSync(file, "r");
    const buffer = Buffer.alloc(1 << 20);
    let count = 0;
    try {
        for (let read = fs.readSync(descriptor, buffer); read > 0; read = fs.readSync(descriptor, buffer)) {
            for (let at = buffer.indexOf(10); at >= 0 && at < read; at = buffer.indexOf(10, at + 1)) {
                count++;
            }
        }
    } finally {
        fs.closeSync(descriptor);
    }
    return count;
}
