/**
 * What `ztmesh reach` reads, and how. The files and folders named on the command line are
 * read wherever they point; in a folder, the `.yaml`, `.yml` and `.json` files are read
 * recursively, in name order. Only regular files are read: a FIFO would block the command,
 * a device (`/dev/zero`) never ends. A symbolic link inside a folder is followed when it leads
 * to a file or folder inside that same folder (an alternative name for what is read anyway),
 * and refused when it leads out of it, unless `followSymlinks` is set: a folder of manifests
 * should not read the user's home folder through an `up -> ..` link. Every file and folder is
 * read once however many names lead to it, so a link loop is never walked twice and a linked
 * file is not read as a second copy of its objects. Every problem is a `ManifestError` naming
 * the path.
 */
import * as fs from "fs";
import * as path from "path";
import { isUtf8 } from "buffer";
import { ManifestError } from "../manifestError";

export interface InputOptions {
    /** Follow symbolic links that lead out of the folders given (default false). */
    readonly followSymlinks?: boolean;
    /** The largest file read, in bytes (default `defaultMaxFileBytes`). */
    readonly maxFileBytes?: number;
}

/**
 * 64 MiB: ten times a 5,000-workload cluster dump; about 8,000 Pods as `kubectl get -o yaml`
 * writes them (with status and managedFields) in one file. Bigger files are refused at once
 * instead of filling the memory; `--max-file-size` raises the bound for larger dumps.
 */
export const defaultMaxFileBytes = 64 * 1024 * 1024;

/** A manifest file: `file` as it is shown (under the folder given), `source` the real file opened. */
export interface InputFile {
    readonly file: string;
    readonly source: string;
}

const manifestExtensions = new Set([".yaml", ".yml", ".json"]);

/** The manifest files at the given locations, each real file once, in the order given and then by name. */
export function inputFiles(locations: readonly string[], options: InputOptions = {}): InputFile[] {
    const seen = new Set<string>();
    const files: InputFile[] = [];
    for (const location of locations) {
        const stat = statOf(location, location, "stat");
        if (stat.isDirectory()) {
            walkFolder(location, realPath(location, location), seen, files, options);
        } else if (stat.isFile()) {
            if (!seen.has(identity(stat))) {
                seen.add(identity(stat));
                files.push({ file: location, source: realPath(location, location) });
            }
        } else {
            throw new ManifestError(location, `is ${fileKind(stat)}; ztmesh reach reads regular files and folders only`);
        }
    }
    return files;
}

function walkFolder(folder: string, root: string, seen: Set<string>, files: InputFile[], options: InputOptions): void {
    const folderStat = statOf(folder, folder, "stat");
    if (seen.has(identity(folderStat))) return;
    seen.add(identity(folderStat));
    let names: string[];
    try {
        names = fs.readdirSync(folder).sort();
    } catch (error) {
        throw new ManifestError(folder, `cannot be listed (${systemProblem(error)})`);
    }
    for (const name of names) {
        const child = path.join(folder, name);
        const isManifest = manifestExtensions.has(path.extname(name).toLowerCase());
        let stat = statOf(child, child, "lstat");
        let source = child;
        if (stat.isSymbolicLink()) {
            let target: string;
            try {
                target = fs.realpathSync(child);
            } catch (error) {
                if (!isManifest) continue; // a broken link nobody would read
                throw new ManifestError(child, `is a symbolic link that leads nowhere (${systemProblem(error)})`);
            }
            stat = statOf(child, target, "stat");
            if (!stat.isDirectory() && !isManifest) continue;
            if (!options.followSymlinks && !isInside(target, root)) {
                throw new ManifestError(child, `is a symbolic link to ${target}, outside ${root}; `
                    + "give --follow-symlinks to read it, or name it on the command line");
            }
            source = target;
        }
        if (stat.isDirectory()) {
            walkFolder(child, root, seen, files, options);
        } else if (isManifest) {
            if (!stat.isFile()) {
                throw new ManifestError(child, `is ${fileKind(stat)}, not a regular file; ztmesh reach reads regular files only`);
            }
            if (!seen.has(identity(stat))) {
                seen.add(identity(stat));
                files.push({ file: child, source });
            }
        }
    }
}

/**
 * The text of a manifest file, as UTF-8. The file is opened without blocking and checked to be
 * a regular file on the open descriptor (what was listed may have been replaced since), read to
 * at most `maxFileBytes`, and refused where it is not UTF-8, as kubectl refuses it.
 */
export function readInputFile({ file, source }: InputFile, maxFileBytes = defaultMaxFileBytes): string {
    let descriptor: number;
    try {
        descriptor = fs.openSync(source, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    } catch (error) {
        throw new ManifestError(file, `cannot be read (${systemProblem(error)})`);
    }
    try {
        const stat = fs.fstatSync(descriptor);
        if (!stat.isFile()) {
            throw new ManifestError(file, `is ${fileKind(stat)}, not a regular file; ztmesh reach reads regular files only`);
        }
        const bytes = readAtMost(descriptor, file, stat.size, maxFileBytes);
        return decodeUtf8(bytes, file);
    } finally {
        fs.closeSync(descriptor);
    }
}

/** Reads to the end, refusing more than `maxFileBytes` (a file may be longer than its size said, as /proc files are). */
function readAtMost(descriptor: number, file: string, size: number, maxFileBytes: number): Buffer {
    const tooLarge = () => new ManifestError(file, `is larger than ${formatBytes(maxFileBytes)}, the most ztmesh reach reads from one file; `
        + "split it, or raise the bound with --max-file-size");
    if (size > maxFileBytes) throw tooLarge();
    let buffer = Buffer.allocUnsafe(Math.min(size, maxFileBytes) + 1);
    let length = 0;
    for (;;) {
        if (length === buffer.length) {
            if (length > maxFileBytes) throw tooLarge();
            const grown = Buffer.allocUnsafe(Math.min(buffer.length * 2, maxFileBytes + 1));
            buffer.copy(grown, 0, 0, length);
            buffer = grown;
        }
        let read: number;
        try {
            read = fs.readSync(descriptor, buffer, length, buffer.length - length, null);
        } catch (error) {
            throw new ManifestError(file, `cannot be read (${systemProblem(error)})`);
        }
        if (read === 0) break;
        length += read;
    }
    if (length > maxFileBytes) throw tooLarge();
    return buffer.subarray(0, length);
}

/** UTF-8 text, without a leading byte order mark; anything else is refused with the offset of the first bad byte. */
function decodeUtf8(bytes: Buffer, file: string): string {
    if (!isUtf8(bytes)) {
        if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
            throw new ManifestError(file, "is UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8");
        }
        const offset = firstInvalidUtf8(bytes);
        const line = bytes.subarray(0, offset).filter((byte) => byte === 0x0a).length + 1;
        throw new ManifestError(file, `is not UTF-8: byte ${offset} (line ${line}) is 0x${bytes[offset].toString(16).padStart(2, "0")}, `
            + "which starts no valid UTF-8 character; save it as UTF-8");
    }
    const text = bytes.toString("utf8");
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * The offset of the first byte that is not part of a well-formed UTF-8 sequence (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF). Written here because TextDecoder and
 * Buffer tell whether text is UTF-8 but not where it stops being so; it runs only on refusal.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
    let index = 0;
    while (index < bytes.length) {
        const lead = bytes[index];
        if (lead < 0x80) {
            index++;
            continue;
        }
        const [length, low, high] = lead >= 0xc2 && lead <= 0xdf ? [2, 0x80, 0xbf]
            : lead === 0xe0 ? [3, 0xa0, 0xbf] : lead === 0xed ? [3, 0x80, 0x9f] : lead >= 0xe1 && lead <= 0xef ? [3, 0x80, 0xbf]
                : lead === 0xf0 ? [4, 0x90, 0xbf] : lead === 0xf4 ? [4, 0x80, 0x8f] : lead >= 0xf1 && lead <= 0xf3 ? [4, 0x80, 0xbf]
                    : [0, 0, 0];
        if (length === 0) return index;
        for (let next = 1; next < length; next++) {
            const byte = bytes[index + next];
            const [min, max] = next === 1 ? [low, high] : [0x80, 0xbf];
            if (byte === undefined || byte < min || byte > max) return index;
        }
        index += length;
    }
    return bytes.length;
}

function isInside(target: string, root: string): boolean {
    return target === root || target.startsWith(root.endsWith(path.sep) ? root : `${root}${path.sep}`);
}

function identity(stat: fs.Stats): string {
    return `${stat.dev}:${stat.ino}`;
}

function statOf(shown: string, location: string, how: "stat" | "lstat"): fs.Stats {
    try {
        return how === "stat" ? fs.statSync(location) : fs.lstatSync(location);
    } catch (error) {
        throw new ManifestError(shown, `cannot be read (${systemProblem(error)})`);
    }
}

function realPath(shown: string, location: string): string {
    try {
        return fs.realpathSync(location);
    } catch (error) {
        throw new ManifestError(shown, `cannot be read (${systemProblem(error)})`);
    }
}

function fileKind(stat: fs.Stats): string {
    return stat.isFIFO() ? "a FIFO (named pipe)" : stat.isCharacterDevice() ? "a character device" : stat.isBlockDevice() ? "a block device"
        : stat.isSocket() ? "a socket" : stat.isDirectory() ? "a folder" : "not a regular file";
}

const systemProblems: Readonly<Record<string, string>> = {
    ENOENT: "no such file or folder",
    EACCES: "permission denied",
    EPERM: "operation not permitted",
    ELOOP: "a loop of symbolic links",
    ENAMETOOLONG: "the name is too long",
    ENOTDIR: "a part of the path is not a folder",
    EIO: "input/output error",
    EISDIR: "is a folder",
    ENOSPC: "no space left on the device",
    EDQUOT: "disk quota exceeded",
    EROFS: "read-only file system",
};

/** A system error in words, without the path Node puts in its message (the caller names the file). */
export function systemProblem(error: unknown): string {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error;
    return systemProblems[code] ?? code;
}

function formatBytes(bytes: number): string {
    return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes.toLocaleString("en-US")} bytes`;
}

/** Whether `target` (a real path) is one of `locations`, or a manifest file inside one of those folders that a later run would read. */
export function wouldBeRead(target: string, locations: readonly string[]): boolean {
    return locations.some((location) => {
        let real: string;
        try {
            real = fs.realpathSync(location);
        } catch {
            return false;
        }
        return real === target || (isInside(target, real) && manifestExtensions.has(path.extname(target).toLowerCase()));
    });
}
