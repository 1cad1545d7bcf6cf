/**
 * `ztmesh reach <dir-or-file>... [--l7] [--json | --html] [--output FILE]`: loads Kubernetes
 * manifests and prints the flows that policy allows (see reach.ts), or writes them as a report page. Exit codes: 0 success, 1 unexpected failure, 2 bad
 * usage or a manifest or policy that cannot be read.
 */
import * as fs from "fs";
import { parseArgs } from "util";
import { defaultMaxFileBytes, InputOptions, wouldBeRead } from "./files/inputFiles";
import { OutputError, outputTarget, writeOutputFile } from "./files/outputFile";
import { flowLines, flowsJsonParts, formatPublicRoutes } from "./flowFormat";
import { IntentError } from "./intent";
import { KubeObject, ManifestError, readManifests, Warn } from "./manifests";
import { DifferingPodsError } from "./ownerLabels";
import { Flow, publicFlows, reachability } from "./reach";
import { notEvaluatedLimit } from "./report/limits";
import { reportModel } from "./report/model";
import { pageParts } from "./report/page";
import { consoleSummary } from "./report/words";
import { nameWarning } from "./schema/rules/names";
import { describeKubeObject } from "./schema/validate";
import { notEvaluatedReason } from "./schema/servedKinds";
import { escapeControl } from "./text/escape";

export const usage = `Usage: ztmesh reach <dir-or-file>... [--l7] [--json | --html] [--output FILE]
                    [--follow-symlinks] [--max-file-size MIB]

Lists the connections that Kubernetes NetworkPolicy and ClusterNetworkPolicy
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
source.namespace, source.principal and destination.port are evaluated. What depends on
the request (requestPrincipals, request.headers, request.auth.*, destination.ip,
connection.sni) is shown as a condition on the requests an ALLOW grants ("when ..."); a
DENY or CUSTOM rule under such a condition removes nothing and is shown as a note.

What is read: regular files only (no FIFOs or devices), each at most 64 MiB, as UTF-8.
In a folder, a symbolic link is followed only to a file or folder inside that folder.

Each object is first checked against the schemas of Kubernetes v1.36.3 and the pinned
Calico, Istio, Gateway API and ClusterNetworkPolicy CRDs (with their CEL rules), and the
servers' own rules; an invalid one (a bad
name, a kind its API group does not serve, a second object of one kind, namespace and
name) stops the run with exit code 2. Documents that are no Kubernetes object are skipped
with a warning; policies read but not evaluated (the v1alpha1 AdminNetworkPolicy and
BaselineAdminNetworkPolicy, Calico staged policies) are named in one too, and in the
--json and --html output.

Options:
  --l7      append the HTTP requests allowed at meshed destinations, e.g. [GET /reviews/*],
            notes on them, and the public routes (External -> gateway -> Service ->
            workload, with hostnames and paths) of Gateway API and Istio gateways
  --json    print one JSON document instead of lines (flows, with l7 grants and notes,
            and routes), written a flow at a time
  --html    write a self-contained HTML report instead: a matrix of who may reach whom,
            a graph, the public routes, and the differences from the callers that
            Services declare (annotation ztmesh.io/declared-callers, as MeshService
            writes it). Up to 150 workloads and address ranges the matrix and graph
            show workloads (about 12 MB if all reach each other); above, the matrix
            shows namespaces, and a click on a cell lists its workload pairs (about
            20 bytes per pair: 3 MB for 5,000 workloads in 500 namespaces)
  -o, --output FILE
            write to FILE instead of standard output (written whole or not at all;
            FILE may not be one of the manifests read)
  --follow-symlinks
            also follow symbolic links that lead out of the folders given
  --max-file-size MIB
            read files of up to MIB mebibytes (default 64, at most 512)
  -h, --help  print this help
`;

export interface Io {
    readonly stdout: (text: string) => void;
    readonly stderr: (text: string) => void;
}

const processIo: Io = { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) };

/** Runs the command line `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
    let parsed;
    try {
        parsed = parseArgs({
            args: [...argv],
            allowPositionals: true,
            strict: true,
            options: {
                l7: { type: "boolean" },
                json: { type: "boolean" },
                html: { type: "boolean" },
                output: { type: "string", short: "o" },
                "follow-symlinks": { type: "boolean" },
                "max-file-size": { type: "string" },
                help: { type: "boolean", short: "h" },
            },
        });
    } catch (error) {
        io.stderr(`ztmesh: ${escapeControl((error as Error).message)}\n\n${usage}`);
        return 2;
    }
    const { values, positionals } = parsed;
    if (values.help) {
        io.stdout(usage);
        return 0;
    }
    const [command, ...paths] = positionals;
    if (command !== "reach") {
        io.stderr(`ztmesh: ${command === undefined ? "no command given" : `unknown command ${escapeControl(JSON.stringify(command))}`}\n\n${usage}`);
        return 2;
    }
    if (paths.length === 0) {
        io.stderr(`ztmesh reach: no manifest files or folders given\n\n${usage}`);
        return 2;
    }
    if (values.json && values.html) {
        io.stderr(`ztmesh reach: --json and --html are two output formats; give one\n\n${usage}`);
        return 2;
    }
    const maxFileBytes = fileSizeBound(values["max-file-size"]);
    if (maxFileBytes === undefined) {
        io.stderr(`ztmesh reach: --max-file-size takes a whole number of mebibytes from 1 to ${maxFileSizeMiB}\n\n${usage}`);
        return 2;
    }
    const missing = paths.find((location) => !fs.existsSync(location));
    if (missing !== undefined) {
        io.stderr(`ztmesh reach: ${escapeControl(missing)}: no such file or folder\n`);
        return 2;
    }
    try {
        const output = values.output === undefined ? undefined : outputFile(values.output, paths);
        const warn: Warn = (message) => io.stderr(`ztmesh reach: warning: ${escapeControl(message)}\n`);
        const { objects, flows, notEvaluated } = reachabilityOfFiles(paths, warn, { followSymlinks: values["follow-symlinks"] === true, maxFileBytes });
        notEvaluated.forEach(warn);
        const limits = notEvaluated.length === 0 ? [] : [notEvaluatedLimit(notEvaluated)];
        const model = values.html ? reportModel(objects, flows, { title: "Reachability report", source: paths.join(", "), limits }) : undefined;
        const text: Iterable<string> = model ? pageParts(model) : values.json ? jsonDocument(objects, flows, notEvaluated) : listing(objects, flows, values.l7 === true);
        if (output === undefined) {
            writeInChunks(text, io.stdout);
        } else {
            writeOutputFile(output.shown, output.target, (put) => writeInChunks(text, put));
            io.stderr(`ztmesh reach: wrote ${escapeControl(output.shown)}\n`);
        }
        // The page's summary and limits go to the console too (stderr, so that stdout stays the page).
        if (model) io.stderr(consoleSummary(model));
        return 0;
    } catch (error) {
        if (error instanceof InputError || error instanceof ManifestError || error instanceof OutputError || error instanceof IntentError || error instanceof DifferingPodsError) {
            io.stderr(`ztmesh reach: ${escapeControl(error.message)}\n`);
            return 2;
        }
        io.stderr(`ztmesh reach: internal error: ${(error as Error).stack ?? String(error)}\n`);
        return 1;
    }
}

/** The largest --max-file-size, in MiB: V8 cannot hold much more text as one string. */
const maxFileSizeMiB = 512;

/** --max-file-size in bytes; undefined where it is no whole number of MiB from 1 to 512. */
function fileSizeBound(option: string | undefined): number | undefined {
    if (option === undefined) return defaultMaxFileBytes;
    const mebibytes = /^[0-9]+$/.test(option) ? Number(option) : NaN;
    return mebibytes >= 1 && mebibytes <= maxFileSizeMiB ? mebibytes * 1024 * 1024 : undefined;
}

/** The --output file, checked before anything is read: writable, and not one of the inputs. */
function outputFile(output: string, inputs: readonly string[]): { shown: string; target: string } {
    const target = outputTarget(output);
    if (wouldBeRead(target, inputs)) {
        throw new OutputError(output, "is among the manifests read (or would be read by the next run); write it outside the folders given");
    }
    return { shown: output, target };
}

/**
 * Writes `parts` joined, in chunks of about a megabyte: a large cluster's listing runs to
 * millions of lines, which as one string (and an array of its lines) would multiply the
 * command's memory and garbage-collection time.
 */
export function writeInChunks(parts: Iterable<string>, write: (chunk: string) => void): void {
    const chunkLength = 1 << 20;
    let pending: string[] = [];
    let length = 0;
    for (const part of parts) {
        pending.push(part);
        length += part.length;
        if (length >= chunkLength) {
            write(pending.join(""));
            pending = [];
            length = 0;
        }
    }
    if (pending.length > 0) {
        write(pending.join(""));
    }
}

/** An object that does not compile: the message names its file and the object. */
class InputError extends Error {}

/**
 * Loads and validates every file, keeping each object's file, and evaluates; an object that
 * fails is named with its file. `notEvaluated`: "file: Kind ns/name: not evaluated: why" for
 * each policy read but left out of the flows (servedKinds.ts).
 */
function reachabilityOfFiles(paths: readonly string[], warn: Warn, options: InputOptions): { objects: KubeObject[]; flows: Flow[]; notEvaluated: string[] } {
    const entries = readManifests(paths, warn, options);
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

/** The flows and the public routes as one JSON document, a flow at a time. */
function jsonDocument(objects: readonly KubeObject[], flows: readonly Flow[], notEvaluated: readonly string[]): Iterable<string> {
    return flowsJsonParts(flows, publicFlows(objects, flows), notEvaluated);
}
