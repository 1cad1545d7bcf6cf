/**
 * `ztmesh reach` and the file system: symbolic links (broken, looping, leading out of the
 * folder), unreadable files, `--output` where it cannot or must not write, and what the
 * messages print (no content of a skipped document, no raw control characters).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { readManifests } from "../../analysis/manifests";
import { escapeControl } from "../../analysis/text/escape";
import { assertOneLineError, pod, run, temporaryFolder } from "./harness";

// The fs module object itself, so a test can make one call fail (root reads files whatever their mode).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeFs: typeof fs = require("fs");

describe("ztmesh reach on hostile input: the file system", function () {
    this.timeout(20_000);
    let folder: string;
    let remove: () => void;
    beforeEach(() => ({ folder, remove } = temporaryFolder()));
    afterEach(() => remove());

    it("refuses a broken link and a link loop by name", async () => {
        fs.writeFileSync(path.join(folder, "a.yaml"), pod("web"));
        fs.symlinkSync("missing.yaml", path.join(folder, "b.yaml"));
        assertOneLineError(await run([folder]), /b\.yaml: is a symbolic link that leads nowhere \(no such file or folder\)/);
        fs.rmSync(path.join(folder, "b.yaml"));
        fs.symlinkSync("loop.yaml", path.join(folder, "loop.yaml"));
        assertOneLineError(await run([folder]), /loop\.yaml: is a symbolic link that leads nowhere \(a loop of symbolic links\)/);
    });

    it("does not follow a link out of the folder (up -> ..) unless asked, and then walks each folder once", async () => {
        const manifests = path.join(folder, "manifests");
        fs.mkdirSync(manifests);
        fs.writeFileSync(path.join(manifests, "a.yaml"), pod("web"));
        fs.writeFileSync(path.join(folder, "outside.yaml"), pod("api"));
        fs.symlinkSync("..", path.join(manifests, "up"));
        assertOneLineError(await run([manifests]), /manifests\/up: is a symbolic link to .*, outside .*manifests; give --follow-symlinks to read it/);
        const followed = readManifests([manifests], assert.fail, { followSymlinks: true }).map(({ object, file }) => `${object.metadata?.name} ${path.relative(folder, file)}`);
        assert.deepStrictEqual(followed, ["web manifests/a.yaml", "api manifests/up/outside.yaml"]);
    });

    it("reads a file once however many links inside the folder lead to it", async () => {
        fs.writeFileSync(path.join(folder, "a.yaml"), pod("web"));
        fs.symlinkSync("a.yaml", path.join(folder, "b.yaml"));
        fs.mkdirSync(path.join(folder, "sub"));
        fs.symlinkSync("..", path.join(folder, "sub", "again"));
        assert.deepStrictEqual(readManifests([folder, path.join(folder, "a.yaml")], assert.fail).map(({ file }) => path.relative(folder, file)), ["a.yaml"]);
        assert.strictEqual((await run([folder])).code, 0);
    });

    it("names a file it cannot read, in one line", async () => {
        const file = path.join(folder, "secret.yaml");
        fs.writeFileSync(file, pod("web"));
        const denied = (location: unknown) => {
            if (location === file) throw Object.assign(new Error(`EACCES: permission denied, open '${file}'`), { code: "EACCES" });
        };
        const { openSync, readFileSync } = nodeFs;
        nodeFs.openSync = ((location: fs.PathLike, ...rest: unknown[]) => (denied(location), (openSync as (...args: unknown[]) => number)(location, ...rest))) as typeof fs.openSync;
        nodeFs.readFileSync = ((location: unknown, ...rest: unknown[]) => (denied(location), (readFileSync as (...args: unknown[]) => unknown)(location, ...rest))) as typeof fs.readFileSync;
        try {
            assertOneLineError(await run([folder]), /secret\.yaml: cannot be read \(permission denied\)\n$/);
        } finally {
            Object.assign(nodeFs, { openSync, readFileSync });
        }
    });

    it("escapes control characters in paths, so a message stays one line", async () => {
        const odd = path.join(folder, "new\nline\u001b[31m");
        fs.mkdirSync(odd);
        fs.writeFileSync(path.join(odd, "a.yaml"), "kind: Pod\nmetadata: [unclosed\n");
        assertOneLineError(await run([odd]), /new\\nline\\x1b\[31m\/a\.yaml: document 1: /);
        assert.strictEqual(escapeControl("a\tb\u2028c\u202ed\\n"), "a\\tb\\u2028c\\u202ed\\n");
        assert.strictEqual(escapeControl(escapeControl("x\ny")), "x\\ny");
    });
});

describe("ztmesh reach on hostile input: --output", function () {
    this.timeout(20_000);
    let folder: string;
    let remove: () => void;
    let manifests: string;
    beforeEach(() => {
        ({ folder, remove } = temporaryFolder());
        manifests = path.join(folder, "manifests");
        fs.mkdirSync(manifests);
        fs.writeFileSync(path.join(manifests, "a.yaml"), pod("web"));
    });
    afterEach(() => remove());

    it("refuses a missing folder, a folder, an empty name and a device, in one line", async () => {
        assertOneLineError(await run([manifests, "-o", path.join(folder, "nope", "flows.txt")]), /nope\/flows\.txt: cannot be written: its folder .*nope does not exist/);
        assertOneLineError(await run([manifests, "-o", folder]), /: is a folder; give a file name/);
        assertOneLineError(await run([manifests, "-o", ""]), /^ztmesh reach: --output: needs a file name; leave --output out to write to standard output\n$/);
        assertOneLineError(await run([manifests, "-o", "/dev/full"]), /\/dev\/full: is not a regular file; --output writes regular files/);
    });

    it("refuses to write over an input, or where the next run would read it", async () => {
        const input = path.join(manifests, "a.yaml");
        assertOneLineError(await run([manifests, "-o", input]), /a\.yaml: is among the manifests read/);
        assertOneLineError(await run([input, "-o", input]), /a\.yaml: is among the manifests read/);
        assertOneLineError(await run([manifests, "--json", "-o", path.join(manifests, "flows.json")]), /flows\.json: is among the manifests read \(or would be read by the next run\)/);
        assert.strictEqual(fs.readFileSync(input, "utf8"), pod("web"));
        assert.strictEqual((await run([manifests, "-o", path.join(manifests, "flows.txt")])).code, 0);
    });

    it("leaves the file as it was when writing fails, with no file of its own beside it", async () => {
        const output = path.join(folder, "flows.txt");
        fs.writeFileSync(output, "the previous run's flows\n");
        fs.chmodSync(output, 0o640);
        const { writeSync } = nodeFs;
        nodeFs.writeSync = (() => {
            throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
        }) as typeof fs.writeSync;
        try {
            assertOneLineError(await run([manifests, "-o", output]), /flows\.txt: cannot be written \(no space left on the device\); it is left as it was/);
        } finally {
            nodeFs.writeSync = writeSync;
        }
        assert.strictEqual(fs.readFileSync(output, "utf8"), "the previous run's flows\n");
        assert.deepStrictEqual(fs.readdirSync(folder).sort(), ["flows.txt", "manifests"]);
        const written = await run([manifests, "-o", output]);
        assert.strictEqual(written.code, 0, written.stderr);
        assert.match(fs.readFileSync(output, "utf8"), /shop\/web\[Pod\]/);
        assert.strictEqual(fs.statSync(output).mode & 0o777, 0o640, "the replaced file's mode is kept");
    });
});
