/**
 * `npm run diff -- --stack <name> --base <git-ref> [--fail-on-change] [-o FILE]`: what a change
 * does to who can reach whom in a stack, as a pull-request comment. The stack is rendered with
 * the real Pulumi engine twice, as the base revision has it and as the working tree has it,
 * each from its own program and its own `Pulumi.<name>.yaml`; the two renders go through the
 * connectivity diff on every layer, L7 included (`ztmesh diff --l7`), and the result is
 * Markdown (diffComment.ts).
 *
 * Both renders run at once, each in a copy of its revision in one temporary folder, on a file
 * backend of its own in that folder (revisions.ts, renderRevision.ts): the checkout, its stack
 * files, `rendered/` and the user's Pulumi backend are never touched, and removing the folder
 * (on success, on failure, on Ctrl-C) removes everything the run made. Progress goes to standard
 * error, the comment to standard output or `--output`.
 *
 * Exit codes: 0 the comment was written (with --fail-on-change: and nothing changed), 1 with
 * --fail-on-change when something changed, or an unexpected failure, 2 bad usage, a revision or
 * stack that cannot be used, or a render that failed.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";
import { connectivityDiff, diffSides, isEmptyDiff } from "../analysis/diff/connectivityDiff";
import { OutputError, outputTarget, writeOutputFile } from "../analysis/files/outputFile";
import { ManifestError, readManifests } from "../analysis/manifests";
import { escapeControl } from "../analysis/text/escape";
import { diffComment } from "./diffComment";
import { RenderError, Rendered, renderRevision, renderStackFile, stopRenders } from "./renderRevision";
import { copyWorkingTree, exportCommit, providePackages, repositoryOf, resolveCommit, RevisionError } from "./revisions";
import { projectRoot } from "./stackFile";

const usage = `Usage: npm run diff -- --stack <name> --base <git-ref> [--fail-on-change] [-o FILE]

Renders the stack Pulumi.<name>.yaml describes with the Pulumi engine (render mode, on a
temporary backend) at the base revision and in the working tree, and prints the connections
added, removed and changed between the two, layer 7 requests included, as Markdown for a
pull-request comment.

  --stack <name>       the stack (its Pulumi.<name>.yaml is taken from each revision)
  --base <git-ref>     the revision to compare with: a branch, tag or commit (origin/main)
  --fail-on-change     exit 1 when the diff is not empty
  -o, --output FILE    write the comment to FILE instead of standard output
  -h, --help           this text
`;

/** A problem the user can fix; printed as one message, exit code 2. */
export class UsageError extends Error {}

export interface DiffArgs {
    readonly stack: string;
    readonly base: string;
    readonly failOnChange: boolean;
    readonly output?: string;
}

/** The arguments, or undefined for --help; bad usage is a UsageError. */
export function diffArgs(argv: readonly string[]): DiffArgs | undefined {
    const { values, positionals } = parseArgs({
        args: [...argv],
        options: {
            stack: { type: "string" },
            base: { type: "string" },
            "fail-on-change": { type: "boolean" },
            output: { type: "string", short: "o" },
            help: { type: "boolean", short: "h" },
        },
        strict: true,
        allowPositionals: true,
    });
    if (values.help) {
        return undefined;
    }
    if (positionals.length > 0) {
        throw new UsageError(`unexpected argument "${positionals[0]}": name the base with --base <git-ref>`);
    }
    const missing = (["stack", "base"] as const).filter((name) => !values[name]);
    if (missing.length > 0) {
        throw new UsageError(`${missing.map((name) => `--${name}`).join(" and ")} ${missing.length === 1 ? "is" : "are"} required`);
    }
    if (!/^[A-Za-z0-9._-]+$/.test(values.stack!)) {
        throw new UsageError(`--stack "${values.stack}" is not a stack name (letters, digits, ".", "_" and "-")`);
    }
    return { stack: values.stack!, base: values.base!, failOnChange: values["fail-on-change"] === true, output: values.output };
}

/** Progress on standard error: `[diff +12s] base: ...`. */
function progressOf(started: number): (side: string) => (line: string) => void {
    return (side) => (line) => process.stderr.write(`[diff +${Math.round((Date.now() - started) / 1000)}s] ${side}: ${escapeControl(line)}\n`);
}

/** The temporary folder of this run, removed on exit, also on Ctrl-C or termination. */
function temporaryFolder(): string {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-diff-"));
    const remove = () => {
        try {
            fs.rmSync(folder, { recursive: true, force: true, maxRetries: 3 });
        } catch (error) {
            process.stderr.write(`diff: ${folder} could not be removed (${(error as Error).message}); remove it by hand\n`);
        }
    };
    process.on("exit", remove);
    // The shell's exit codes for a process ended by each signal (128 + its number).
    for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]] as const) {
        process.once(signal, () => void stopRenders().then(() => process.exit(code)));
    }
    return folder;
}

async function main(argv: readonly string[]): Promise<number> {
    const args = diffArgs(argv);
    if (args === undefined) {
        process.stdout.write(usage);
        return 0;
    }
    const started = Date.now();
    const progress = progressOf(started);
    const target = args.output === undefined ? undefined : outputTarget(args.output);
    const repository = repositoryOf(projectRoot);
    const commit = resolveCommit(repository, args.base);
    const work = temporaryFolder();

    progress("base")(`${args.base} is commit ${commit.slice(0, 12)}; rendering it and the working tree`);
    const sides = [
        { side: "base", shown: args.base, project: exportCommit(repository, commit, path.join(work, "base", "tree")) },
        { side: "head", shown: "working tree", project: copyWorkingTree(repository, path.join(work, "head", "tree")) },
    ];
    /** `error` with the side it happened on. */
    const onSide = (side: (typeof sides)[number], error: unknown) => (error instanceof RenderError ? new RenderError(`${side.side} (${side.shown}): ${error.message}`) : error);
    // A side without the stack stops the run before anything renders.
    for (const side of sides) {
        try {
            renderStackFile(side.project, args.stack, "");
        } catch (error) {
            throw onSide(side, error);
        }
    }
    /** One side: its packages, its render. */
    const render = async (side: (typeof sides)[number]): Promise<Rendered> => {
        const say = progress(side.side);
        try {
            say(`packages: ${await providePackages(side.project, projectRoot, say)}`);
            return await renderRevision({ project: side.project, stack: args.stack, renderDirectory: path.join(work, side.side, "rendered"), backend: path.join(work, side.side, "state"), progress: say });
        } catch (error) {
            throw onSide(side, error);
        }
    };
    let base: Rendered;
    let head: Rendered;
    try {
        [base, head] = await Promise.all(sides.map(render));
    } catch (error) {
        // The other side's render is of no use any more.
        await stopRenders();
        throw error;
    }
    const read = (rendered: Rendered) => readManifests([rendered.directory], (message) => progress("read")(message)).map((entry) => entry.object);
    const [before, after] = diffSides(read(base), read(head));
    const diff = connectivityDiff(before, after, { l7: true });
    const comment = diffComment(diff, { stack: args.stack, base: `${args.base} (${commit.slice(0, 7)})`, head: "working tree" }, [...new Set([...base.leftOut, ...head.leftOut])]);
    if (target === undefined) {
        process.stdout.write(comment);
    } else {
        writeOutputFile(args.output!, target, (put) => put(comment));
        progress("diff")(`wrote ${args.output}`);
    }
    progress("diff")(isEmptyDiff(diff) ? "no change" : `${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed`);
    return args.failOnChange && !isEmptyDiff(diff) ? 1 : 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (error: unknown) => {
            const known = [UsageError, RevisionError, RenderError, OutputError, ManifestError].some((kind) => error instanceof kind)
                || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
            process.stderr.write(`diff: ${known ? (error as Error).message : (error as Error).stack ?? String(error)}\n`);
            process.exit(known ? 2 : 1);
        },
    );
}
