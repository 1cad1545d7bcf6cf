/**
 * The project at a git revision, and as it is in the working tree, each copied into a folder of
 * its own so that its stack program can run there without touching the checkout: the working
 * tree, its `rendered/` folders, its stack files and its Pulumi state stay as they are.
 *
 * - The base revision comes out of the object store with `git archive` (no `git worktree add`:
 *   that registers the folder in the repository, and an interrupted run would leave the entry
 *   behind; an archive leaves nothing but the temporary folder).
 * - The working tree is copied file by file from `git ls-files --cached --others
 *   --exclude-standard`: what is tracked and what is new, with uncommitted edits, and nothing git
 *   ignores (node_modules, rendered/, .pulumi/, build output).
 * - `node_modules` is this checkout's, linked, when the revision's package-lock.json is the same
 *   file (the lock records package.json's dependencies too, so the same lock means the same
 *   packages); otherwise the revision gets its own `npm ci`, which takes minutes.
 */
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";

/** A revision that cannot be used; the message says which and why. */
export class RevisionError extends Error {}

/** Runs git in `directory`; its error output becomes the message. */
function git(directory: string, args: readonly string[], input?: Buffer): Buffer {
    try {
        return execFileSync("git", ["-C", directory, ...args], { input, maxBuffer: 1 << 30, stdio: ["pipe", "pipe", "pipe"] });
    } catch (error) {
        const stderr = String((error as { stderr?: Buffer }).stderr ?? "").trim();
        throw new RevisionError(`git ${args.join(" ")}: ${stderr || (error as Error).message}`);
    }
}

/** The repository around `projectRoot`: its top folder, and where the project sits in it. */
export interface Repository {
    readonly top: string;
    /** The project folder relative to `top` (empty when the project is the repository). */
    readonly projectPrefix: string;
}

export function repositoryOf(projectRoot: string): Repository {
    let top: string;
    try {
        top = execFileSync("git", ["-C", projectRoot, "rev-parse", "--show-toplevel"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
    } catch {
        throw new RevisionError(`${projectRoot} is not in a git repository: --base names a git revision to compare with`);
    }
    return { top, projectPrefix: path.relative(fs.realpathSync(top), fs.realpathSync(projectRoot)) };
}

/** The commit `ref` names (a branch, tag, `HEAD~1`, a hash), in full. */
export function resolveCommit(repository: Repository, ref: string): string {
    if (ref.startsWith("-")) {
        throw new RevisionError(`--base "${ref}" is not a git revision`);
    }
    try {
        return execFileSync("git", ["-C", repository.top, "rev-parse", "--verify", "--quiet", `${ref}^{commit}`], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    } catch {
        throw new RevisionError(`--base "${ref}" names no commit in ${repository.top}; in a shallow CI checkout, fetch the base first (git fetch origin ${ref})`);
    }
}

/** Writes the repository's tree at `commit` into `target` (created); returns the project folder in it. */
export function exportCommit(repository: Repository, commit: string, target: string): string {
    fs.mkdirSync(target, { recursive: true });
    const archive = git(repository.top, ["archive", "--format=tar", commit]);
    try {
        execFileSync("tar", ["-x", "-C", target], { input: archive, stdio: ["pipe", "ignore", "pipe"] });
    } catch (error) {
        throw new RevisionError(`unpacking commit ${commit} into ${target}: ${String((error as { stderr?: Buffer }).stderr ?? (error as Error).message).trim()}`);
    }
    return path.join(target, repository.projectPrefix);
}

/** Copies the working tree's files (tracked, and new ones git does not ignore) into `target`; returns the project folder in it. */
export function copyWorkingTree(repository: Repository, target: string): string {
    const listed = git(repository.top, ["ls-files", "-z", "--cached", "--others", "--exclude-standard"]).toString("utf8").split("\0").filter(Boolean);
    for (const file of new Set(listed)) {
        const from = path.join(repository.top, file);
        // A tracked file deleted in the working tree is listed but gone: it is not part of the change's tree.
        const stat = fs.lstatSync(from, { throwIfNoEntry: false });
        if (stat === undefined || stat.isDirectory()) {
            continue;
        }
        const to = path.join(target, file);
        fs.mkdirSync(path.dirname(to), { recursive: true });
        if (stat.isSymbolicLink()) {
            fs.symlinkSync(fs.readlinkSync(from), to);
        } else {
            fs.copyFileSync(from, to);
            fs.chmodSync(to, stat.mode);
        }
    }
    return path.join(target, repository.projectPrefix);
}

/** Whether two files hold the same bytes (a missing file equals only a missing file). */
function sameFile(a: string, b: string): boolean {
    const read = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file) : undefined);
    const [left, right] = [read(a), read(b)];
    return left === undefined || right === undefined ? left === right : left.equals(right);
}

/**
 * Gives `project` its packages: a link to `installed` (this checkout's node_modules) when the
 * lock files match, else `npm ci` there, its output going to `progress` line by line. The
 * install skips lifecycle scripts: the project's own `prepare` builds dist/, which the stack
 * program does not use (the Pulumi Node.js runtime runs the TypeScript sources).
 */
export async function providePackages(project: string, checkout: string, progress: (line: string) => void): Promise<"linked" | "installed"> {
    const installed = path.join(checkout, "node_modules");
    if (sameFile(path.join(project, "package-lock.json"), path.join(checkout, "package-lock.json")) && fs.existsSync(installed)) {
        const link = path.join(project, "node_modules");
        // Only a revision that committed a node_modules link has one here; the packages are this checkout's.
        fs.rmSync(link, { force: true });
        fs.symlinkSync(fs.realpathSync(installed), link, "dir");
        return "linked";
    }
    progress("package-lock.json differs from this checkout's: npm ci (a few minutes)");
    await new Promise<void>((resolve, reject) => {
        const child = spawn("npm", ["ci", "--no-audit", "--no-fund", "--ignore-scripts"], { cwd: project, stdio: ["ignore", "pipe", "pipe"] });
        const tail: string[] = [];
        const forward = (chunk: Buffer) => chunk.toString("utf8").split("\n").filter((line) => line.trim() !== "").forEach((line) => {
            tail.push(line);
            progress(`npm: ${line}`);
        });
        child.stdout.on("data", forward);
        child.stderr.on("data", forward);
        child.on("error", reject);
        child.on("close", (code) => (code === 0 ? resolve() : reject(new RevisionError(`npm ci in ${project} exited ${code}:\n${tail.slice(-20).join("\n")}`))));
    });
    return "installed";
}
