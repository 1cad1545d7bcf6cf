/**
 * What a command reads and how: manifest files and folders (as arguments, or netpol-analyzer's
 * repeatable `--dirpath DIR`) or a live cluster (`-k/--kubeconfig FILE`, `-c/--context NAME`:
 * live/clusterReader.ts), which links it follows, how large a file may be, what becomes of
 * fields the schemas do not know, which view it evaluates (`--as-enforced`), and how much it
 * says on standard error (`-q`, `-v`).
 */
import * as fs from "fs";
import { Command, Option } from "commander";
import { defaultMaxFileBytes } from "../files/inputFiles";
import { ManifestError } from "../manifestError";
import type { LiveSource } from "../live/clusterReader";
import type { ReadOptions } from "../manifests";
import { FieldValidation, fieldValidationModes } from "../schema/fieldValidation";
import { UsageError } from "./usage";

export interface InputFlags {
    readonly dirpath?: readonly string[];
    readonly followSymlinks?: boolean;
    readonly maxFileSize?: string;
    readonly fieldValidation?: FieldValidation;
    readonly quiet?: boolean;
    readonly verbose?: boolean;
    readonly kubeconfig?: string;
    readonly context?: string;
    readonly asEnforced?: boolean;
}

/** The largest --max-file-size, in MiB: V8 cannot hold much more text as one string. */
const maxFileSizeMiB = 512;

/** How much a command says besides its output: `quiet` drops warnings and notes, `verbose` adds what was read. */
export type Verbosity = "quiet" | "normal" | "verbose";

export interface ReadChoice {
    /** The files and folders to read; none when `live` is given. */
    readonly paths: readonly string[];
    /** The live cluster to read instead of files. */
    readonly live?: LiveSource;
    readonly options: ReadOptions;
    readonly verbosity: Verbosity;
    /** Evaluate the as-enforced view (staged and dry-run policies enforced: enforcement/asEnforced.ts). */
    readonly asEnforced: boolean;
}

/** Adds the input flags to `command` (its paths are its arguments; with `dirpath`, also `--dirpath DIR`). */
export function addInputOptions(command: Command, { dirpath = true, kubeconfigHelp = liveHelp } = {}): Command {
    if (dirpath) {
        command.addOption(new Option("--dirpath <dir>", "a folder (or file) of manifests to read, as an argument would; may be repeated")
            .argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]));
    }
    return command
        .addOption(new Option("-k, --kubeconfig <file>", kubeconfigHelp.kubeconfig))
        .addOption(new Option("-c, --context <name>", kubeconfigHelp.context))
        .addOption(new Option("--follow-symlinks", "also follow symbolic links that lead out of the folders given"))
        .addOption(new Option("--max-file-size <mib>", `read files of up to MIB mebibytes (default 64, at most ${maxFileSizeMiB})`))
        .addOption(new Option("--field-validation <mode>", "fields the schemas do not know: strict refuses the object, warn drops each with a warning, ignore drops them silently, as the API server stores the object")
            .choices(fieldValidationModes).default("strict"))
        .addOption(new Option("--as-enforced", "evaluate Calico's staged policies as the policies they stage (stagedAction Delete: without the enforced policy of its name) and dry-run AuthorizationPolicies (istio.io/dry-run) as enforced: what enforcing an audit rollout would allow"))
        .addOption(new Option("-q, --quiet", "print no warnings, only errors and the output"))
        .addOption(new Option("-v, --verbose", "also print each file read and how many objects it holds"));
}

const liveHelp = {
    kubeconfig: "read a live cluster's objects from its API server instead of files, with this kubeconfig (all namespaces; needs list permission: see docs/cli.md)",
    context: "the kubeconfig's context to read (default its current one); alone, reads the cluster with $KUBECONFIG or ~/.kube/config",
};

/**
 * The locations and options the flags ask for: bad usage is a `UsageError`, a location that does
 * not exist a `ManifestError`. `live` says the cluster to read when `args` name none (`diff`'s
 * `cluster:CONTEXT` sides); otherwise -k/--kubeconfig or -c/--context ask for one.
 */
export function readChoice(args: readonly string[], flags: InputFlags, live: LiveSource | undefined = liveSource(flags)): ReadChoice {
    const paths = [...args, ...(flags.dirpath ?? [])];
    if (live !== undefined && paths.length > 0) {
        throw new UsageError("read either manifest files and folders or a live cluster (-k/--kubeconfig, -c/--context), not both");
    }
    if (paths.length === 0 && live === undefined) {
        throw new UsageError("no manifest files or folders given");
    }
    const maxFileBytes = fileSizeBound(flags.maxFileSize);
    if (maxFileBytes === undefined) {
        throw new UsageError(`--max-file-size takes a whole number of mebibytes from 1 to ${maxFileSizeMiB}`);
    }
    if (flags.quiet && flags.verbose) {
        throw new UsageError("-q/--quiet and -v/--verbose ask for less and more; give one");
    }
    const missing = paths.find((location) => !fs.existsSync(location));
    if (missing !== undefined) {
        throw new ManifestError(missing, "no such file or folder");
    }
    return {
        paths,
        ...(live === undefined ? {} : { live }),
        options: { followSymlinks: flags.followSymlinks === true, maxFileBytes, fieldValidation: flags.fieldValidation ?? "strict" },
        verbosity: flags.quiet ? "quiet" : flags.verbose ? "verbose" : "normal",
        asEnforced: flags.asEnforced === true,
    };
}

/** The live cluster -k/--kubeconfig and -c/--context name; undefined when neither is given. */
export function liveSource(flags: InputFlags): LiveSource | undefined {
    if (flags.kubeconfig === undefined && flags.context === undefined) return undefined;
    if (flags.kubeconfig !== undefined && !fs.existsSync(flags.kubeconfig)) {
        throw new ManifestError(flags.kubeconfig, "no such kubeconfig file");
    }
    return { ...(flags.kubeconfig === undefined ? {} : { kubeconfig: flags.kubeconfig }), ...(flags.context === undefined ? {} : { context: flags.context }) };
}

/** --max-file-size in bytes; undefined where it is no whole number of MiB from 1 to 512. */
function fileSizeBound(option: string | undefined): number | undefined {
    if (option === undefined) return defaultMaxFileBytes;
    const mebibytes = /^[0-9]+$/.test(option) ? Number(option) : NaN;
    return mebibytes >= 1 && mebibytes <= maxFileSizeMiB ? mebibytes * 1024 * 1024 : undefined;
}
