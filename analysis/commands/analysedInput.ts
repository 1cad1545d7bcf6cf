/**
 * What `reach`, `list` and `diff` share between reading the manifests and printing: each file's
 * objects (validated, so a bad object stops the run naming its file), the policies read but not
 * evaluated, an evaluation that names the file of the object it fails on, and how a failure
 * becomes a message and an exit code.
 */
import { Command } from "commander";
import { asEnforcedEntries } from "../enforcement/asEnforced";
import { ExplainError } from "../explanation/explainList";
import { ExposureError } from "../exposure/exposure";
import { OutputError } from "../files/outputFile";
import { IntentError } from "../intent";
import { LiveClusterError } from "../live/liveClusterError";
import { KubeObject, ManifestError, ManifestObject, ReadOptions, readManifests, validateObjects, Warn } from "../manifests";
import { ObservedFlowError } from "../observed/observedFlow";
import { DifferingPodsError } from "../ownerLabels";
import { nameWarning } from "../schema/rules/names";
import { notEvaluatedReason } from "../schema/servedKinds";
import { describeKubeObject } from "../schema/validate";
import { escapeControl } from "../text/escape";
import type { ReadChoice } from "./inputOptions";
import { Io } from "./io";
import { commandPrefix, reportUsageError, UsageError } from "./usage";

/** The objects of the files read, each beside its file. */
export interface AnalysedInput {
    readonly entries: readonly { readonly object: KubeObject; readonly file: string }[];
    readonly objects: readonly KubeObject[];
    /** "file: Kind ns/name: not evaluated: why" for each policy read but left out of the flows (servedKinds.ts). */
    readonly notEvaluated: readonly string[];
}

/** An object that does not compile: the message names its file and the object. */
export class InputError extends Error {}

/**
 * Loads and validates every file, keeping each object's file; warns about names evaluated with
 * a warning. `note`, when given, hears how many objects each file held.
 */
export function readInput(paths: readonly string[], warn: Warn, options: ReadOptions, note?: (line: string) => void): AnalysedInput {
    return analysedEntries(readManifests(paths, warn, options), warn, note);
}

/**
 * What `choice` asks for: its files (`readInput`) or its live cluster, whose objects are
 * validated as files are, each named "cluster CONTEXT". `progress` hears how far a long read
 * of a cluster is; `note`, as for files, how many objects were read.
 */
export async function readChosenInput(choice: ReadChoice, warn: Warn, progress: (line: string) => void, note?: (line: string) => void): Promise<AnalysedInput> {
    return inChosenView(choice, await readChosenObjects(choice, warn, progress, note));
}

/** `input` in the view `choice` asks for: as read, or as enforced (`--as-enforced`). */
export function inChosenView(choice: Pick<ReadChoice, "asEnforced">, input: AnalysedInput): AnalysedInput {
    return choice.asEnforced ? asEnforcedInput(input) : input;
}

async function readChosenObjects(choice: ReadChoice, warn: Warn, progress: (line: string) => void, note?: (line: string) => void): Promise<AnalysedInput> {
    if (choice.live === undefined) {
        return readInput(choice.paths, warn, choice.options, note);
    }
    // Loaded only for a live cluster, with its HTTP clients (the kubeconfig library loads later still).
    const { readLiveCluster } = await import("../live/clusterReader");
    const { context, objects } = await readLiveCluster(choice.live, progress);
    const source = `cluster ${context}`;
    if (objects.length === 0) {
        throw new LiveClusterError(`${source}: no objects to read (no namespaces, workloads or policies)`);
    }
    return analysedEntries(validateObjects(objects.map((object) => ({ object, file: source })), warn, choice.options), warn, note);
}

/** The name of what `choice` reads, for a report's title: its paths, or its cluster's context. */
export function choiceSource(choice: ReadChoice): string {
    return choice.live === undefined ? choice.paths.join(", ") : `cluster ${choice.live.context ?? "(current context)"}`;
}

function analysedEntries(entries: readonly ManifestObject[], warn: Warn, note: ((line: string) => void) | undefined): AnalysedInput {
    if (note) {
        const perFile = new Map<string, number>();
        entries.forEach(({ file }) => perFile.set(file, (perFile.get(file) ?? 0) + 1));
        perFile.forEach((count, file) => note(`read ${file}: ${count} object${count === 1 ? "" : "s"}`));
    }
    const notEvaluated = notEvaluatedPolicies(entries);
    for (const { object, file } of entries) {
        const warning = nameWarning(object);
        if (warning !== undefined) {
            warn(`${file}: ${describeKubeObject(object)}: ${warning}`);
        }
    }
    return { entries, objects: entries.map((entry) => entry.object), notEvaluated };
}

/**
 * `input` in the as-enforced view (enforcement/asEnforced.ts): staged policies as the policies
 * they stage and dry-run AuthorizationPolicies enforced, each still named with its file; the
 * policies not evaluated are those left of the others.
 */
export function asEnforcedInput(input: AnalysedInput): AnalysedInput {
    const entries = asEnforcedEntries(input.entries);
    return { entries, objects: entries.map((entry) => entry.object), notEvaluated: notEvaluatedPolicies(entries) };
}

function notEvaluatedPolicies(entries: readonly ManifestObject[]): string[] {
    return entries.flatMap(({ object, file }) => {
        const reason = notEvaluatedReason(object);
        return reason === undefined ? [] : [`${file}: ${describeKubeObject(object)}: not evaluated: ${reason}`];
    });
}

/**
 * `evaluate()`, and when it fails, the object of `entries` that fails on its own (each alone is
 * cheap to evaluate) named with its file, as an InputError.
 */
export function namingFailingFile<T>(entries: AnalysedInput["entries"], evaluate: () => T, evaluateAlone: (object: KubeObject) => unknown): T {
    try {
        return evaluate();
    } catch (error) {
        if (error instanceof DifferingPodsError) {
            throw error; // about several objects together, and it names them
        }
        for (const { object, file } of entries) {
            try {
                evaluateAlone(object);
            } catch (alone) {
                throw new InputError(`${file}: ${(alone as Error).message}`);
            }
        }
        throw error;
    }
}

/**
 * The exit code of a command that failed with `error`, after its message: bad usage (with the
 * help), input that cannot be read or evaluated, an output that cannot be written, or a flag the
 * input does not allow (`--exposure` on Calico or Istio policy) are 2; anything else is an
 * internal error, 1.
 */
export function failureExitCode(command: Command, io: Io, error: unknown): number {
    const prefix = commandPrefix(command);
    if (error instanceof UsageError) {
        return reportUsageError(command, io, error);
    }
    if (error instanceof ExplainError) {
        io.stderr(`${prefix}: --explain: ${escapeControl(error.message)}\n`);
        return 2;
    }
    if (error instanceof ExposureError) {
        io.stderr(`${prefix}: --exposure: ${escapeControl(error.message)}\n`);
        return 2;
    }
    if (error instanceof InputError || error instanceof ManifestError || error instanceof ObservedFlowError || error instanceof LiveClusterError || error instanceof OutputError || error instanceof IntentError || error instanceof DifferingPodsError) {
        io.stderr(`${prefix}: ${escapeControl(error.message)}\n`);
        return 2;
    }
    io.stderr(`${prefix}: internal error: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
}
