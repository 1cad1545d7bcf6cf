/**
 * `--output FILE`: the output is written to a new file beside FILE and renamed onto it once
 * complete, so a failure (a full disk, an error while rendering) leaves FILE as it was, never
 * empty or cut short. FILE must be a regular file or not exist yet: renaming onto a device
 * (`/dev/full`) or a FIFO would replace it, and writing into one does not make a report file.
 * A FILE that is a link is followed, so the link stays and its target is replaced.
 */
import * as fs from "fs";
import * as path from "path";
import { systemProblem } from "./inputFiles";

/** Output that cannot be written where asked: the message names the file and the problem. */
export class OutputError extends Error {
    constructor(readonly file: string, readonly problem: string) {
        super(`${file}: ${problem}`);
    }
}

/** Where `output` will be written: its real path, checked to be a regular file or a new name in an existing folder. */
export function outputTarget(output: string): string {
    if (output === "") {
        throw new OutputError("--output", "needs a file name; leave --output out to write to standard output");
    }
    let stat: fs.Stats | undefined;
    try {
        stat = fs.statSync(output);
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw new OutputError(output, `cannot be written (${systemProblem(error)})`);
    }
    if (stat === undefined) {
        const folder = path.dirname(output);
        let folderStat: fs.Stats;
        try {
            folderStat = fs.statSync(folder);
        } catch (error) {
            throw new OutputError(output, `cannot be written: its folder ${folder} ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "does not exist" : `cannot be read (${systemProblem(error)})`}`);
        }
        if (!folderStat.isDirectory()) throw new OutputError(output, `cannot be written: ${folder} is not a folder`);
        return path.join(fs.realpathSync(folder), path.basename(output));
    }
    if (stat.isDirectory()) throw new OutputError(output, "is a folder; give a file name");
    if (!stat.isFile()) {
        throw new OutputError(output, "is not a regular file; --output writes regular files (leave it out to write to standard output)");
    }
    return fs.realpathSync(output);
}

/**
 * Writes what `write` produces (through the `put` it is given) to `target` (from `outputTarget`):
 * into a new file in the same folder, flushed to disk and renamed onto `target`. The new file
 * takes the mode of the file it replaces. On any failure it is removed and the error rethrown.
 */
export function writeOutputFile(shown: string, target: string, write: (put: (chunk: string) => void) => void): void {
    const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${Date.now().toString(36)}.tmp`);
    let descriptor: number;
    try {
        descriptor = fs.openSync(temporary, "wx");
    } catch (error) {
        throw new OutputError(shown, `cannot be written (${systemProblem(error)})`);
    }
    try {
        try {
            const replaced = existingMode(target);
            if (replaced !== undefined) fs.fchmodSync(descriptor, replaced);
            write((chunk) => fs.writeSync(descriptor, chunk));
            fs.fsyncSync(descriptor);
        } finally {
            fs.closeSync(descriptor);
        }
        fs.renameSync(temporary, target);
    } catch (error) {
        fs.rmSync(temporary, { force: true });
        if ((error as NodeJS.ErrnoException).code !== undefined) {
            throw new OutputError(shown, `cannot be written (${systemProblem(error)}); it is left as it was`);
        }
        throw error;
    }
}

function existingMode(target: string): number | undefined {
    try {
        return fs.statSync(target).mode & 0o7777;
    } catch {
        return undefined;
    }
}
