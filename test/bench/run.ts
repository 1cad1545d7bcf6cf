/**
 * `npm run bench`: for synthetic stacks of 10, 100 and 500 MeshServices, the median wall time
 * and peak memory of (a) the stack program under mocks, (b) the whole policy pack over its
 * resources, alone in a process as the analyzer runs it, and (c) everything (a) registers
 * besides its components, written directly with @pulumi/kubernetes, and the ratios a/c (what
 * the components add) and b/a (what the pack adds); then the reachability analysis (all layers)
 * of synthetic clusters of 100, 1,000 and 5,000 workloads, and the whole `ztmesh reach` command
 * on those of 10 (start-up), 1,000 and 5,000 written as manifest files, with --json and
 * --html on that of 5,000 (with the size of what they write), on those of 1,000 and 5,000 with
 * their guardrails as ClusterNetworkPolicies (clusterPolicyCluster.ts: without Calico, and beside
 * it), on 2,000 and 10,000 Calico
 * policies that each name an address (netsCluster.ts), and, medians of 3, on clusters of
 * Kubernetes NetworkPolicy only of 1,000, 5,000 and 20,000 workloads (kubernetesCluster.ts),
 * `ztmesh eval` (one request) and `ztmesh diff` (the cluster against itself with one policy
 * changed) beside `ztmesh reach` on the synthetic clusters of 1,000 and 5,000, and `--explain`
 * beside plain `reach` on the Kubernetes-only ones of 1,000 and 5,000: one focus workload's pairs
 * on both, every pair on that of 1,000 (BENCH_EXPLAIN_FULL_MAX; see the block).
 * Sizes are chosen by environment variables (BENCH_SIZES, BENCH_REACH_SIZES, BENCH_CLI_SIZES,
 * BENCH_OUTPUT_SIZES, BENCH_CNP_SIZES, BENCH_NETS_SIZES, BENCH_KUBERNETES_SIZES, BENCH_EVAL_SIZES,
 * BENCH_EXPLAIN_SIZES; empty skips a block), and runs by BENCH_RUNS, BENCH_KUBERNETES_RUNS and
 * BENCH_EXPLAIN_RUNS. Each measurement runs in a fresh process, after a pause (settle). Figures, not assertions: nothing passes or fails
 * on timing.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildCli, CliSample, clusterFolder, kubernetesClusterFolder, measureCommand } from "./cli";
import { writeClusterFiles } from "./clusterFiles";
import { clusterPolicyCluster, ClusterPolicyShape } from "./clusterPolicyCluster";
import { writeNetsCluster } from "./netsCluster";
import { syntheticCluster } from "./syntheticCluster";
import type { Sample } from "./worker";

const sizes = (process.env.BENCH_SIZES ?? "10,100,500").split(",").filter(Boolean).map(Number);
const clusterSizes = (process.env.BENCH_REACH_SIZES ?? "100,1000,5000").split(",").filter(Boolean).map(Number);
const runs = Number(process.env.BENCH_RUNS ?? 5);
const worker = path.join(__dirname, "worker.ts");
const started = Date.now();

/**
 * A pause before every measurement, so that none inherits the load of the process before it.
 * On this kind of machine a raw run right after a components run took about 4% longer than
 * one right after the short pack run (medians of 7 at 100 services), and in the order below
 * (components, pack, raw) that read as component overhead; after a 3 s pause both took the same.
 */
function settle(): void {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3000);
}

function measure(mode: string, count: number, ...files: string[]): Sample {
    settle();
    const output = execFileSync(process.execPath, ["--expose-gc", "-r", "ts-node/register/transpile-only", worker, mode, String(count), ...files], { encoding: "utf8", maxBuffer: 1 << 26 });
    return JSON.parse(output.trim().split("\n").pop()!) as Sample;
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const fixed = (value: number, digits = 0) => value.toFixed(digits).padStart(9);
const rows: string[] = [];
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-bench-"));
try {
    for (const count of sizes) {
        const directFile = path.join(scratch, `direct-${count}.json`);
        const resourcesFile = path.join(scratch, `resources-${count}.json`);
        const samples: Record<string, Sample[]> = { components: [], pack: [], raw: [] };
        for (let run = 0; run < runs; run++) {
            samples.components.push(measure("components", count, directFile, resourcesFile));
            samples.pack.push(measure("pack", count, resourcesFile));
            samples.raw.push(measure("raw", count, directFile));
            console.error(`[bench +${Math.round((Date.now() - started) / 1000)}s] ${count} services: run ${run + 1}/${runs}`);
        }
        const med = (mode: string, key: keyof Sample) => median(samples[mode].map((s) => Number(s[key])));
        rows.push([
            String(count).padStart(8), fixed(med("components", "resources")),
            fixed(med("components", "ms")), fixed(med("components", "peakRssMb")),
            fixed(med("pack", "ms")), fixed(med("pack", "peakRssMb")),
            fixed(med("raw", "ms")), fixed(med("raw", "peakRssMb")),
            fixed(med("components", "ms") / med("raw", "ms"), 2), fixed(med("pack", "ms") / med("components", "ms"), 3),
            fixed(med("components", "cpuMs") / med("raw", "cpuMs"), 2), fixed(med("pack", "cpuMs") / med("components", "cpuMs"), 3),
        ].join(" "));
    }
} finally {
    fs.rmSync(scratch, { recursive: true, force: true });
}
console.log(`ztmesh bench: medians of ${runs} runs, each in a fresh process (${os.cpus().length} CPUs, Node ${process.version})`);
console.log("services resources  (a) ms (a) RSS MB  (b) ms (b) RSS MB  (c) ms (c) RSS MB       a/c       b/a   CPU a/c   CPU b/a");
rows.forEach((row) => console.log(row));
console.log("(a) stack program with components under mocks; (b) whole policy pack over (a)'s resources, in a process of its own as the analyzer runs;");
console.log("(c) what (a) registers besides its components (objects, charts, provider) written directly. Targets: a/c <= 1.15, b/a <= 0.08.");
console.log("CPU: the same ratios of the processes' CPU time over the measured spans, steadier than wall time on a busy machine.");

const reachRows = clusterSizes.map((count) => {
    const samples = Array.from({ length: runs }, (_, run) => {
        const sample = measure("reach", count);
        console.error(`[bench +${Math.round((Date.now() - started) / 1000)}s] reachability, ${count} workloads: run ${run + 1}/${runs}`);
        return sample;
    });
    const med = (key: keyof Sample) => median(samples.map((s) => Number(s[key])));
    return [String(count).padStart(9), fixed(med("policies")), fixed(med("flows")), fixed(med("ms")), fixed(med("peakRssMb"))].join(" ");
});
console.log("\nreachability (Kubernetes + Calico + Istio) of synthetic clusters: 5 workloads per app, 10 per namespace; per app");
console.log("2 NetworkPolicies, a Calico policy, 2 AuthorizationPolicies; per namespace a Calico policy; a Calico default-deny");
console.log("workloads  policies     flows        ms    RSS MB");
reachRows.forEach((row) => console.log(row));

/** Runs `body` (measuring commands) in a scratch folder made for `body` and removed after it. */
function inScratch(prefix: string, body: (scratch: string) => void): void {
    buildCli();
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    try {
        body(scratch);
    } finally {
        fs.rmSync(scratch, { recursive: true, force: true });
    }
}

/** `ztmesh reach` on `folder` in `count` fresh processes, each after a pause; the median of each figure. */
function cliMedians(what: string, folder: string, scratch: string, options: readonly string[] = [], count = runs): (key: keyof CliSample) => number {
    return commandMedians(`ztmesh reach${options.map((option) => ` ${option}`).join("")}, ${what}`, ["reach", folder, ...options], scratch, [0], count);
}

/** `ztmesh ...args` in `count` fresh processes, each after a pause; the median of each figure. */
function commandMedians(what: string, args: readonly string[], scratch: string, exitCodes: readonly number[] = [0], count = runs): (key: keyof CliSample) => number {
    const samples = Array.from({ length: count }, (_, run) => {
        settle();
        const sample = measureCommand(args, scratch, exitCodes);
        console.error(`[bench +${Math.round((Date.now() - started) / 1000)}s] ${what}: run ${run + 1}/${count}`);
        return sample;
    });
    return (key) => median(samples.map((s) => s[key]));
}

const cliSizes = (process.env.BENCH_CLI_SIZES ?? "10,1000,5000").split(",").filter(Boolean).map(Number);
if (cliSizes.length > 0) {
    inScratch("ztmesh-bench-cli-", (scratch) => {
        const cliRows = cliSizes.map((count) => {
            const med = cliMedians(`${count} workloads`, clusterFolder(count, scratch), scratch);
            return [String(count).padStart(9), fixed(med("lines")), fixed(med("ms")), fixed(med("cpuMs")), fixed(med("peakRssMb"))].join(" ");
        });
        console.log("\n`ztmesh reach <folder>`, the whole command (built bin, fresh process, output to a file) on the same clusters");
        console.log("written as YAML, one file per namespace (10 workloads: start-up); CPU ms: the process's user and system time:");
        console.log("workloads     lines        ms    CPU ms    RSS MB");
        cliRows.forEach((row) => console.log(row));
    });
}

const outputSizes = (process.env.BENCH_OUTPUT_SIZES ?? "5000").split(",").filter(Boolean).map(Number);
if (outputSizes.length > 0) {
    inScratch("ztmesh-bench-output-", (scratch) => {
        const outputRows = outputSizes.flatMap((count) => {
            const folder = clusterFolder(count, scratch);
            return ["--json", "--html"].map((format) => {
                const med = cliMedians(`${count} workloads`, folder, scratch, [format]);
                return [String(count).padStart(9), format.padStart(9), fixed(med("ms")), fixed(med("peakRssMb")), fixed(med("outputMb"), 1)].join(" ");
            });
        });
        console.log("\n`ztmesh reach <folder> --json` and `--html`, the whole command as above, output to a file:");
        console.log("workloads    format        ms    RSS MB output MB");
        outputRows.forEach((row) => console.log(row));
    });
}

// The clusters above with ClusterNetworkPolicies for guardrails: on the NetworkPolicy engine
// (Kubernetes' tier order) without Calico objects, and on the Calico engine beside them.
const clusterPolicySizes = (process.env.BENCH_CNP_SIZES ?? "1000,5000").split(",").filter(Boolean).map(Number);
if (clusterPolicySizes.length > 0) {
    inScratch("ztmesh-bench-cnp-", (scratch) => {
        const shapes: readonly ClusterPolicyShape[] = ["kubernetes", "calico"];
        const cnpRows = clusterPolicySizes.flatMap((count) => shapes.map((shape) => {
            const folder = path.join(scratch, `cnp-${shape}-${count}`);
            const objects = clusterPolicyCluster(count, shape);
            writeClusterFiles(count, folder, objects);
            const policies = objects.filter((object) => object.kind === "ClusterNetworkPolicy").length;
            const med = cliMedians(`${count} workloads, ClusterNetworkPolicy (${shape})`, folder, scratch);
            return [String(count).padStart(9), shape.padStart(10), String(policies).padStart(9), fixed(med("lines")), fixed(med("ms")), fixed(med("cpuMs")), fixed(med("peakRssMb"))].join(" ");
        }));
        console.log("\n`ztmesh reach <folder>` on the same clusters with ClusterNetworkPolicy guardrails (DNS, metrics, a quarantine per team");
        console.log("in the Admin tier, an app deny-all in the Baseline tier): kubernetes = Calico objects replaced by them (Kubernetes' tier");
        console.log("order), calico = beside Calico's (kube-admin and kube-baseline tiers). Targets: 0.6 s at 1,000 workloads, 3 s at 5,000.");
        console.log("workloads      shape      CNPs     lines        ms    CPU ms    RSS MB");
        cnpRows.forEach((row) => console.log(row));
    });
}

// Many Calico policies selecting all() with a distinct /32 in `nets` each, over two pods: every
// policy cuts External, and each range must meet only the rules its address can match.
const netsSizes = (process.env.BENCH_NETS_SIZES ?? "2000,10000").split(",").filter(Boolean).map(Number);
if (netsSizes.length > 0) {
    inScratch("ztmesh-bench-nets-", (scratch) => {
        const netsRows = netsSizes.map((count) => {
            const folder = path.join(scratch, `nets-${count}`);
            writeNetsCluster(count, "egress", folder);
            const med = cliMedians(`${count} policies with nets`, folder, scratch);
            return [String(count).padStart(9), fixed(med("lines")), fixed(med("ms")), fixed(med("peakRssMb"))].join(" ");
        });
        console.log("\n`ztmesh reach <folder>` on GlobalNetworkPolicies selecting all(), each allowing egress to its own /32, over two pods:");
        console.log(" policies     lines        ms    RSS MB");
        netsRows.forEach((row) => console.log(row));
    });
}

// Kubernetes NetworkPolicy only, shaped like netpol-analyzer's inputs: the NetworkPolicy engine's path.
const kubernetesSizes = (process.env.BENCH_KUBERNETES_SIZES ?? "1000,5000,20000").split(",").filter(Boolean).map(Number);
const kubernetesRuns = Number(process.env.BENCH_KUBERNETES_RUNS ?? 3);
if (kubernetesSizes.length > 0) {
    inScratch("ztmesh-bench-kubernetes-", (scratch) => {
        const kubernetesRows = kubernetesSizes.map((count) => {
            const med = cliMedians(`${count} workloads, Kubernetes NetworkPolicy only`, kubernetesClusterFolder(count, scratch), scratch, [], kubernetesRuns);
            return [String(count).padStart(9), fixed(med("lines")), fixed(med("ms")), fixed(med("peakRssMb"))].join(" ");
        });
        console.log(`\n\`ztmesh reach <folder>\` on clusters of Kubernetes NetworkPolicy only (medians of ${kubernetesRuns}): 100 workloads per namespace`);
        console.log("(Deployments, StatefulSets, Pods; labels, named ports), deny-alls, per app ingress and egress policies with");
        console.log("matchExpressions, namespace selectors, ipBlocks with excepts, named ports and port ranges. Targets: 0.6 s, 3 s, 15 s and 1 GB.");
        console.log("workloads     lines        ms    RSS MB");
        kubernetesRows.forEach((row) => console.log(row));
    });
}

// One question and one change on the synthetic clusters: `eval` of a request the policies admit
// (app-0 → app-1, GET /api/items), and `diff` of the cluster against a copy where one policy
// (app-1's ingress) admits another port, both beside `reach` on the same folder.
const evalSizes = (process.env.BENCH_EVAL_SIZES ?? "1000,5000").split(",").filter(Boolean).map(Number);
if (evalSizes.length > 0) {
    inScratch("ztmesh-bench-eval-", (scratch) => {
        const evalRows = evalSizes.map((count) => {
            const folder = clusterFolder(count, scratch);
            const changed = path.join(scratch, `changed-${count}`);
            writeClusterFiles(count, changed, syntheticCluster(count).map((object) => (object.metadata?.name === "app-1-ingress"
                ? { ...object, spec: { ...(object.spec as object), ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: "app-0" } } }], ports: [{ port: 9090 }] }] } }
                : object)));
            const reach = cliMedians(`${count} workloads`, folder, scratch);
            const evaluation = commandMedians(`ztmesh eval, ${count} workloads`, ["eval", folder, "--source", "team-0/w-0", "--destination", "team-0/w-5", "--port", "8080", "--method", "GET", "--path", "/api/items"], scratch, [0]);
            const diff = commandMedians(`ztmesh diff, ${count} workloads`, ["diff", folder, changed], scratch);
            return [String(count).padStart(9), fixed(reach("ms")), fixed(evaluation("ms")), fixed(evaluation("peakRssMb")), fixed(diff("ms")), fixed(diff("peakRssMb")), fixed(diff("ms") / reach("ms"), 2)].join(" ");
        });
        console.log("\n`ztmesh eval` (one allowed request) and `ztmesh diff` (the cluster against itself with app-1's ingress policy changed)");
        console.log("on the synthetic clusters, beside `ztmesh reach` on the same folder. Target: diff/reach <= 2.");
        console.log("workloads  reach ms   eval ms  eval RSS   diff ms  diff RSS diff/reach");
        evalRows.forEach((row) => console.log(row));
    });
}

// --explain visits every pair, denied ones too, and writes a block per pair the policies isolate:
// 1.5 GB of text at 1,000 workloads, growing with the square of the workloads (about 37 GB and
// 40 minutes at 5,000, more than a bench run can write). Memory does not grow with it (the text
// is written as it is made), so above BENCH_EXPLAIN_FULL_MAX workloads the bench runs the form a
// user runs on a cluster that size: one focus workload's pairs, beside plain reach.
const explainSizes = (process.env.BENCH_EXPLAIN_SIZES ?? "1000,5000").split(",").filter(Boolean).map(Number);
const explainRuns = Number(process.env.BENCH_EXPLAIN_RUNS ?? 1);
const explainFullMax = Number(process.env.BENCH_EXPLAIN_FULL_MAX ?? 1000);
if (explainSizes.length > 0) {
    inScratch("ztmesh-bench-explain-", (scratch) => {
        const explainRows = explainSizes.flatMap((count) => {
            const folder = kubernetesClusterFolder(count, scratch);
            const variants: readonly (readonly string[])[] = [[], ["--explain", "--focusworkload", "monitoring/prometheus"], ...(count <= explainFullMax ? [["--explain"]] : [])];
            return variants.map((options) => {
                const med = cliMedians(`${count} workloads, Kubernetes NetworkPolicy only`, folder, scratch, options, explainRuns);
                return [String(count).padStart(9), (options.length === 0 ? "reach" : options.join(" ")).padStart(47), fixed(med("ms")), fixed(med("peakRssMb")), fixed(med("outputMb"), 1)].join(" ");
            });
        });
        console.log(`\n\`ztmesh reach <folder> --explain\` on the Kubernetes NetworkPolicy clusters above (medians of ${explainRuns}), output to a file;`);
        console.log(`every pair (--explain alone) up to ${explainFullMax} workloads only: its text grows with the square of the workloads (1.5 GB at 1,000), its memory does not.`);
        console.log(`workloads ${"options".padStart(47)}        ms    RSS MB output MB`);
        explainRows.forEach((row) => console.log(row));
    });
}
