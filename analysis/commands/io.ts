/** Where a command writes: standard output and standard error, or, in tests, strings. */
export interface Io {
    readonly stdout: (text: string) => void;
    readonly stderr: (text: string) => void;
}

export const processIo: Io = { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) };

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
