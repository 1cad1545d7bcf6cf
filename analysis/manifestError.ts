/** A manifest that cannot be read: the message names the file (or folder) and the problem. */
export class ManifestError extends Error {
    constructor(readonly file: string, readonly problem: string) {
        super(`${file}: ${problem}`);
    }
}
