/**
 * `ztmesh reach <dir-or-file>...`: loads Kubernetes manifests and prints the flows that policy
 * allows (see ../reach.ts), or writes them as a report page. `ztmesh list` (list.ts) is the same
 * command in netpol-analyzer's spelling. Exit codes: 0 success, 1 unexpected failure, 2 bad usage
 * or a manifest or policy that cannot be read.
 */
import { Command } from "commander";
import { OutputError, writeOutputFile } from "../files/outputFile";
import { flowLines, flowsJsonParts, formatPublicRoutes } from "../flowFormat";
import { IntentError } from "../intent";
import { KubeObject, ManifestError, ReadOptions, readManifests, Warn } from "../manifests";
import { DifferingPodsError } from "../ownerLabels";
import { Flow, publicFlows, reachability } from "../reach";
import { notEvaluatedLimit } from "../report/limits";
import { reportModel } from "../report/model";
import { pageParts } from "../report/page";
import { consoleSummary } from "../report/words";
import { nameWarning } from "../schema/rules/names";
import { notEvaluatedReason } from "../schema/servedKinds";
import { describeKubeObject } from "../schema/validate";
import { escapeControl } from "../text/escape";
import { addInputOptions, InputFlags, readChoice } from "./inputOptions";
import { Io, writeInChunks } from "./io";
import { addOutputOptions, checkedOutputFile, OutputFlag, OutputFlags, outputChoice, OutputFormat } from "./outputOptions";
import { commandPrefix, reportingTo, reportUsageError, UsageError } from "./usage";

/** The formats `reach` and `list` write. */
const reachFormats: readonly OutputFormat[] = ["txt", "json", "html"];

export interface ReachFlags extends InputFlags, OutputFlags {
    readonly l7?: boolean;
}

const reachDescription = `Lists the connections that Kubernetes NetworkPolicy and ClusterNetworkPolicy
(policy.networking.k8s.io/v1alpha2: Admin tier, NetworkPolicy, Baseline tier), Calico
(GlobalNetworkPolicy, NetworkPolicy in their tiers, Tier, Profile, HostEndpoint,
WorkloadEndpoint, NetworkSet, GlobalNetworkSet; with Calico objects, ClusterNetworkPolicies
run in its kube-admin and kube-baseline tiers) and Istio (AuthorizationPolicy,
PeerAuthentication, Sidecar, ServiceEntry, MeshConfig outboundTrafficPolicy) allow between
the workloads in the given manifests (YAML or JSON files, folders read recursively, List
kinds unwrapped), one "SRC => DST : CONNECTIONS" line each.

Istio: sidecars and gateways (istio-proxy "proxy router" pods, Gateway API gateways) call
with their service account's identity. AuthorizationPolicy source identities, ipBlocks,
remoteIpBlocks, ports, methods, paths, hosts and "when" on source.ip, remote.ip,
source.namespace, source.principal, source.serviceAccount, source.trustDomain and
destination.port are evaluated. What depends on
the request (requestPrincipals, request.headers, request.auth.*, destination.ip,
connection.sni) is shown as a condition on the requests an ALLOW grants ("when ..."); a
DENY or CUSTOM rule under such a condition removes nothing and is shown as a note.

What is read: regular files only (no FIFOs or devices), each at most 64 MiB, as UTF-8.
In a folder, a symbolic link is followed only to a file or folder inside that folder.

Each object is first checked against the schemas of Kubernetes v1.36.3 and the pinned
Calico, Istio, Gateway API and ClusterNetworkPolicy CRDs (with their CEL rules), and
the servers' own rules; an invalid one (a bad name, a kind its API group does not serve,
a second object of one kind, namespace and name; with --field-validation strict, a field
the schema does not know) stops the run with exit code 2. Documents that are no
Kubernetes object are skipped with a warning; policies read but not evaluated (the
v1alpha1 AdminNetworkPolicy and BaselineAdminNetworkPolicy, Calico staged policies) are
named in one too, and in the json and html output.

Formats (-o): txt, the flow lines; json, one JSON document (flows, with l7 grants and
notes, and routes), written a flow at a time; html, a self-contained report: a matrix
of who may reach whom, a graph, the public routes, and the differences from the
callers that Services declare (annotation ztmesh.io/declared-callers, as MeshService
writes it). Up to 150 workloads and address ranges the matrix and graph show
workloads (about 12 MB if all reach each other); above, the matrix shows namespaces,
and a click on a cell lists its workload pairs (about 20 bytes per pair: 3 MB for
5,000 workloads in 500 namespaces).`;

export interface ReachSpelling {
    readonly name: string;
    readonly usage: string;
    readonly summary: string;
    readonly description: string;
    readonly outputFlag: OutputFlag;
}

/** `ztmesh reach`, ztmesh's own spelling: file arguments, and `-o FILE` as before formats. */
export const reachSpelling: ReachSpelling = {
    name: "reach",
    usage: `<dir-or-file>... [--l7] [--json | --html] [--output FILE]
                    [-o txt|json|html] [-f FILE] [--field-validation strict|warn|ignore]
                    [--follow-symlinks] [--max-file-size MIB] [-q | -v]`,
    summary: "the connections policy allows between the workloads of manifest files and folders",
    description: reachDescription,
    outputFlag: "format-or-file",
};

/** The command `spelling` names, evaluating reachability; `done` receives its exit code. */
export function reachCommand(spelling: ReachSpelling, io: Io, done: (code: number) => void): Command {
    const command = reportingTo(new Command(spelling.name), io)
        .usage(spelling.usage)
        .summary(spelling.summary)
        .description(spelling.description)
        .argument("[dir-or-file...]", "manifest files and folders (YAML or JSON; folders are read recursively)")
        .option("--l7", "append the HTTP requests allowed at meshed destinations, e.g. [GET /reviews/*], notes on them, and the public routes (External -> gateway -> Service -> workload, with hostnames and paths) of Gateway API and Istio gateways");
    addOutputOptions(command, spelling.outputFlag, reachFormats);
    addInputOptions(command);
    return command.action(async (paths: string[], flags: ReachFlags) => done(runReach(command, paths, flags, spelling.outputFlag, io)));
}

function runReach(command: Command, args: readonly string[], flags: ReachFlags, outputFlag: OutputFlag, io: Io): number {
    const prefix = commandPrefix(command);
    try {
        const { paths, options, verbosity } = readChoice(args, flags);
        const output = outputChoice(flags, outputFlag, reachFormats);
        const file = output.file === undefined ? undefined : checkedOutputFile(output.file, paths);
        const warn: Warn = verbosity === "quiet" ? () => undefined : (message) => io.stderr(`${prefix}: warning: ${escapeControl(message)}\n`);
        const { objects, flows, notEvaluated } = reachabilityOfFiles(paths, warn, options, verbosity === "verbose" ? (line) => io.stderr(`${prefix}: ${escapeControl(line)}\n`) : undefined);
        notEvaluated.forEach(warn);
        const limits = notEvaluated.length === 0 ? [] : [notEvaluatedLimit(notEvaluated)];
        const model = output.format === "html" ? reportModel(objects, flows, { title: "Reachability report", source: paths.join(", "), limits }) : undefined;
        const text: Iterable<string> = model ? pageParts(model) : output.format === "json" ? flowsJsonParts(flows, publicFlows(objects, flows), notEvaluated) : listing(objects, flows, flags.l7 === true);
        if (file === undefined) {
            writeInChunks(text, io.stdout);
        } else {
            writeOutputFile(file.shown, file.target, (put) => writeInChunks(text, put));
            if (verbosity !== "quiet") io.stderr(`${prefix}: wrote ${escapeControl(file.shown)}\n`);
        }
        // The page's summary and limits go to the console too (stderr, so that stdout stays the page).
        if (model && verbosity !== "quiet") io.stderr(consoleSummary(model));
        return 0;
    } catch (error) {
        if (error instanceof UsageError) {
            return reportUsageError(command, io, error);
        }
        if (error instanceof InputError || error instanceof ManifestError || error instanceof OutputError || error instanceof IntentError || error instanceof DifferingPodsError) {
            io.stderr(`${prefix}: ${escapeControl(error.message)}\n`);
            return 2;
        }
        io.stderr(`${prefix}: internal error: ${(error as Error).stack ?? String(error)}\n`);
        return 1;
    }
}

/** An object that does not compile: the message names its file and the object. */
class InputError extends Error {}

/**
 * Loads and validates every file, keeping each object's file, and evaluates; an object that
 * fails is named with its file. `notEvaluated`: "file: Kind ns/name: not evaluated: why" for
 * each policy read but left out of the flows (servedKinds.ts). `note`, when given, hears how
 * many objects each file held.
 */
function reachabilityOfFiles(paths: readonly string[], warn: Warn, options: ReadOptions, note?: (line: string) => void): { objects: KubeObject[]; flows: Flow[]; notEvaluated: string[] } {
    const entries = readManifests(paths, warn, options);
    if (note) {
        const perFile = new Map<string, number>();
        entries.forEach(({ file }) => perFile.set(file, (perFile.get(file) ?? 0) + 1));
        perFile.forEach((count, file) => note(`read ${file}: ${count} object${count === 1 ? "" : "s"}`));
    }
    const objects = entries.map((entry) => entry.object);
    const notEvaluated = entries.flatMap(({ object, file }) => {
        const reason = notEvaluatedReason(object);
        return reason === undefined ? [] : [`${file}: ${describeKubeObject(object)}: not evaluated: ${reason}`];
    });
    for (const { object, file } of entries) {
        const warning = nameWarning(object);
        if (warning !== undefined) {
            warn(`${file}: ${describeKubeObject(object)}: ${warning}`);
        }
    }
    try {
        return { objects, flows: reachability(objects), notEvaluated };
    } catch (error) {
        if (error instanceof DifferingPodsError) {
            throw error; // about several objects together, and it names them
        }
        // Find the object that fails on its own (each alone is cheap to evaluate), to name its file.
        for (const { object, file } of entries) {
            try {
                reachability([object]);
            } catch (alone) {
                throw new InputError(`${file}: ${(alone as Error).message}`);
            }
        }
        throw error;
    }
}

/** The flow lines, and with `l7` the public routes after them. */
function* listing(objects: readonly KubeObject[], flows: readonly Flow[], l7: boolean): Generator<string> {
    yield* flowLines(flows, { l7 });
    if (l7) {
        yield formatPublicRoutes(publicFlows(objects, flows));
    }
}
