/**
 * `ztmesh diff BEFORE AFTER` (netpol-analyzer: `diff --dir1 BEFORE --dir2 AFTER`): the
 * connections added, removed and changed between two sets of manifests (diff/connectivityDiff.ts),
 * each a file, a folder or a live cluster (`cluster:CONTEXT`),
 * in netpol-analyzer's diff formats (diff/format.ts) and JSON; with --l7, a change in the requests
 * a flow allows is a change too. Exit codes: 0 the diff was written (whatever it holds; with
 * --fail-on-change, only when it is empty), 1 with --fail-on-change when something changed, or an
 * unexpected failure, 2 bad usage or a manifest or policy that cannot be read.
 */
import { Command, Option } from "commander";
import type { DiffFormat } from "../diff/format";
import { writeOutputFile } from "../files/outputFile";
import { Warn } from "../manifests";
import { reachability } from "../reach";
import { escapeControl } from "../text/escape";
import { failureExitCode, namingFailingFile, readChosenInput } from "./analysedInput";
import { addInputOptions, InputFlags, liveSource, ReadChoice, readChoice } from "./inputOptions";
import { Io } from "./io";
import { addOutputOptions, checkedOutputFile, OutputFlags, outputChoice, OutputFormat } from "./outputOptions";
import { commandPrefix, reportingTo, UsageError } from "./usage";

/** The formats `diff` writes: netpol-analyzer's (svg drawn from the dot) and JSON. */
const diffOutputFormats: readonly OutputFormat[] = ["txt", "csv", "md", "dot", "svg", "json"];

interface DiffFlags extends InputFlags, OutputFlags {
    readonly dir1?: string;
    readonly dir2?: string;
    readonly l7?: boolean;
    readonly explain?: boolean;
    readonly fail?: boolean;
    readonly failOnChange?: boolean;
}

export function diffCommand(io: Io, done: (code: number) => void): Command {
    const command = reportingTo(new Command("diff"), io)
        .usage(`BEFORE AFTER | --dir1 BEFORE --dir2 AFTER [-o txt|csv|md|dot|svg|json] [--json]
                   [-f FILE] [--l7] [--explain] [--fail-on-change] [-k KUBECONFIG] [-c CONTEXT] [--field-validation strict|warn|ignore] [-q | -v]`)
        .summary("the connections added, removed and changed between two sets of manifests")
        .description(`Evaluates two sets of manifests as ztmesh reach does (files or folders: BEFORE, the
original, and AFTER, the changed one) and prints every source and destination whose allowed
connections differ, in netpol-analyzer's diff formats: "diff-type: changed|added|removed,
source: S, destination: D, dir1: BEFORE'S, dir2: AFTER'S" and, for a workload that exists on
one side only, "workloads-diff-info: workload W added|removed". No difference: nothing at all.
csv and md are the same columns as tables; dot (and svg, drawn from it in-process) a graph
of every pair, unchanged ones grey; json one document of the changed, added and removed pairs.
--fail is netpol-analyzer's "fail on the first encountered error", what ztmesh always does;
--fail-on-change makes a difference exit code 1.

--explain (txt and json): for each changed, added and removed pair, the rules that decided
it on each side, as reach --explain writes a pair: netpol-analyzer's explain block on
Kubernetes NetworkPolicy input, one line per enforcement point with Calico,
ClusterNetworkPolicy or Istio. In txt, after the listing, each pair's diff line, then
"dir1: " and "dir2: " before the side's block; in json, "explanation": {"before": [lines],
"after": [lines]} on each pair.

A side may be a live cluster: cluster:CONTEXT reads that context's cluster from its API
server (cluster: alone, the context -c/--context names, else the kubeconfig's current one),
with the kubeconfig -k/--kubeconfig names, else $KUBECONFIG or ~/.kube/config. E.g. what a
change would do to production: ztmesh diff cluster:prod rendered/. (A folder named
"cluster:x" is ./cluster:x.)`)
        .argument("[before]", "the original manifests: a file or folder, or cluster:CONTEXT (netpol-analyzer: --dir1)")
        .argument("[after]", "the changed manifests: a file or folder, or cluster:CONTEXT (netpol-analyzer: --dir2)")
        .addOption(new Option("--dir1 <dir>", "the original manifests, as BEFORE"))
        .addOption(new Option("--dir2 <dir>", "the changed manifests, as AFTER"))
        .option("--l7", "a change in the HTTP requests a flow allows at a meshed destination (methods, paths, hosts) is a change too, and the requests are printed in brackets")
        .option("--explain", "for each changed, added and removed pair, the policies and rules that decided it on each side (-o txt or json)")
        .option("--fail", "netpol-analyzer's: stop at the first error (ztmesh always does; accepted so that its scripts run unchanged)")
        .option("--fail-on-change", "exit with code 1 when the diff is not empty");
    addOutputOptions(command, "format", diffOutputFormats);
    addInputOptions(command, { dirpath: false, kubeconfigHelp: {
        kubeconfig: "the kubeconfig of the sides given as cluster:CONTEXT (default $KUBECONFIG, else ~/.kube/config)",
        context: "the context of a side given as cluster: without one (default the kubeconfig's current one)",
    } });
    return command.action(async (before: string | undefined, after: string | undefined, flags: DiffFlags) => done(await runDiff(command, [before, after], flags, io)));
}

/** The two sides from the arguments or from --dir1/--dir2, not both. */
function sides(args: readonly (string | undefined)[], flags: DiffFlags): [string, string] {
    const given = args.filter((arg): arg is string => arg !== undefined);
    if (given.length > 0 && (flags.dir1 !== undefined || flags.dir2 !== undefined)) {
        throw new UsageError("give the two sides as BEFORE AFTER or as --dir1 BEFORE --dir2 AFTER, not both");
    }
    const [before, after] = given.length > 0 ? given : [flags.dir1, flags.dir2];
    if (before === undefined || after === undefined) {
        throw new UsageError(given.length > 0 ? "one side given: diff compares two, BEFORE and AFTER" : "no manifests given: diff BEFORE AFTER, or --dir1 BEFORE --dir2 AFTER");
    }
    return [before, after];
}

/** The spelling of a side read from a live cluster: `cluster:` or `cluster:CONTEXT`. */
const clusterSide = /^cluster:(.*)$/s;

/** How `side` is read: its files, or with `cluster:CONTEXT` the cluster, with -k/--kubeconfig and -c/--context. */
function sideChoice(side: string, flags: DiffFlags): ReadChoice {
    const fileFlags = { ...flags, kubeconfig: undefined, context: undefined };
    const cluster = clusterSide.exec(side);
    if (cluster === null) {
        return readChoice([side], fileFlags);
    }
    const context = cluster[1] === "" ? flags.context : cluster[1];
    const live = liveSource({ kubeconfig: flags.kubeconfig, ...(context === undefined ? {} : { context }) }) ?? {};
    return readChoice([], fileFlags, live);
}

async function runDiff(command: Command, args: readonly (string | undefined)[], flags: DiffFlags, io: Io): Promise<number> {
    const prefix = commandPrefix(command);
    try {
        const [beforePath, afterPath] = sides(args, flags);
        if ((flags.kubeconfig !== undefined || flags.context !== undefined) && ![beforePath, afterPath].some((side) => clusterSide.test(side))) {
            throw new UsageError("-k/--kubeconfig and -c/--context are for sides read from a live cluster: give one as cluster:CONTEXT (or cluster: for the current context)");
        }
        const before = sideChoice(beforePath, flags);
        const after = sideChoice(afterPath, flags);
        const output = outputChoice(flags, "format", diffOutputFormats);
        if (flags.explain === true && output.format !== "txt" && output.format !== "json") {
            throw new UsageError("--explain is written in -o txt and json");
        }
        const file = output.file === undefined ? undefined : checkedOutputFile(output.file, [beforePath, afterPath].filter((side) => !clusterSide.test(side)));
        const warn: Warn = before.verbosity === "quiet" ? () => undefined : (message) => io.stderr(`${prefix}: warning: ${escapeControl(message)}\n`);
        const note = before.verbosity === "verbose" ? (line: string) => io.stderr(`${prefix}: ${escapeControl(line)}\n`) : undefined;
        const progress = before.verbosity === "quiet" ? () => undefined : (line: string) => io.stderr(`${prefix}: ${escapeControl(line)}\n`);
        const beforeInput = await readChosenInput(before, warn, progress, note);
        const afterInput = await readChosenInput(after, warn, progress, note);
        [...beforeInput.notEvaluated, ...afterInput.notEvaluated].forEach(warn);
        // The diff's own modules load here, not with the command line: `ztmesh reach` never needs them.
        const { connectivityDiff, diffSides, isEmptyDiff } = require("../diff/connectivityDiff") as typeof import("../diff/connectivityDiff");
        const { explainDiff } = require("../diff/explainDiff") as typeof import("../diff/explainDiff");
        const { formatDiff } = require("../diff/format") as typeof import("../diff/format");
        const [beforeSide, afterSide] = namingFailingFile([...beforeInput.entries, ...afterInput.entries],
            () => diffSides(beforeInput.objects, afterInput.objects), (object) => reachability([object]));
        const diff = connectivityDiff(beforeSide, afterSide, { l7: flags.l7 === true });
        const explanations = flags.explain === true
            ? explainDiff(diff, { objects: beforeInput.objects, flows: beforeSide.flows }, { objects: afterInput.objects, flows: afterSide.flows })
            : undefined;
        const graph = formatDiff(diff, { output: (output.format === "svg" ? "dot" : output.format) as DiffFormat, ...(explanations === undefined ? {} : { explanations }) });
        // An empty diff is no graph at all (netpol-analyzer prints nothing), so no SVG either.
        const text = output.format === "svg" && graph !== "" ? await (require("../formats/svg") as typeof import("../formats/svg")).dotToSvg(graph) : graph;
        if (file === undefined) {
            io.stdout(text);
        } else {
            writeOutputFile(file.shown, file.target, (put) => put(text));
            if (before.verbosity !== "quiet") io.stderr(`${prefix}: wrote ${escapeControl(file.shown)}\n`);
        }
        return flags.failOnChange === true && !isEmptyDiff(diff) ? 1 : 0;
    } catch (error) {
        return failureExitCode(command, io, error);
    }
}
