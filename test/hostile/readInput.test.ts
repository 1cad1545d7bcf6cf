/**
 * `ztmesh reach` on hostile input: it reads only regular files, never hangs, never crashes and
 * never prints what a skipped document says. Every bad input ends with exit code 2 and one line,
 * `ztmesh reach: PATH: PROBLEM`. Inputs that hung the command run in a child process with a
 * deadline, so that a hang fails here instead of stalling the suite.
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { readManifests } from "../../analysis/manifests";
import { assertOneLineError, pod, Run, run, runCases, temporaryFolder } from "./harness";

/** Ten levels of ten aliases: 600 bytes that expand to 10^10 strings. */
function aliasBomb(tag = ""): string {
    const levels = [`  a0: &a0 ${tag}["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]`];
    for (let level = 1; level < 10; level++) {
        levels.push(`  a${level}: &a${level} [${Array(10).fill(`*a${level - 1}`).join(", ")}]`);
    }
    return `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb, namespace: shop}\ndata:\n${levels.join("\n")}\n`;
}

/** A List of Pods whose labels are repeated through `count` aliases of the first one's (what go-yaml reads). */
function manyAliases(count: number, tag = ""): string {
    return `apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: web, namespace: shop, labels: &labels ${tag}{app: web}}}\n`
        + `${Array.from({ length: count }, (_, i) => `- {apiVersion: v1, kind: Pod, metadata: {name: p${i}, namespace: shop, labels: *labels}}`).join("\n")}\n`;
}

function writeFile(folder: string, name: string, content: string): string {
    const file = path.join(folder, name);
    fs.writeFileSync(file, content);
    return file;
}

describe("ztmesh reach on hostile input: hangs and blow-ups", function () {
    this.timeout(50_000);
    let folder: string;
    let remove: () => void;
    let hangCases: Run[];
    const secret = "hostile-test-secret-5a3f";

    // The inputs that hung the command (or ran it out of memory), run in one child process.
    before(() => {
        ({ folder, remove } = temporaryFolder());
        fs.writeFileSync(path.join(folder, "bomb.yaml"), aliasBomb());
        const fifo = path.join(folder, "fifo");
        fs.mkdirSync(fifo);
        fs.writeFileSync(path.join(fifo, "a.yaml"), pod("web"));
        execFileSync("mkfifo", [path.join(fifo, "b.yaml")]);
        const zero = path.join(folder, "zero");
        fs.mkdirSync(zero);
        fs.writeFileSync(path.join(zero, "a.yaml"), pod("web"));
        fs.symlinkSync("/dev/zero", path.join(zero, "zero.yaml"));
        hangCases = runCases([
            [path.join(folder, "bomb.yaml")],
            [fifo],
            [path.join(fifo, "b.yaml")],
            [zero],
            [zero, "--follow-symlinks"],
            ["/dev/zero"],
            ["/proc/self/environ"],
        ], 40_000, { ...process.env, ZTMESH_TEST_SECRET: secret });
    });
    after(() => remove());

    it("stops an alias bomb at go-yaml's bound, in any document (a ConfigMap)", () => {
        assert.ok(fs.statSync(path.join(folder, "bomb.yaml")).size < 1000);
        assertOneLineError(hangCases[0], /bomb\.yaml: document 1: its aliases expand it beyond what kubectl reads \(go-yaml's "document contains excessive aliasing"/);
    });

    it("refuses a FIFO among the manifests, or named, instead of waiting on it", () => {
        assertOneLineError(hangCases[1], /b\.yaml: is a FIFO \(named pipe\), not a regular file; ztmesh reach reads regular files only/);
        assertOneLineError(hangCases[2], /b\.yaml: is a FIFO \(named pipe\); ztmesh reach reads regular files and folders only/);
    });

    it("refuses /dev/zero, named or through a link, instead of reading it until memory runs out", () => {
        assertOneLineError(hangCases[3], /zero\.yaml: is a symbolic link to \/dev\/zero, outside .*; give --follow-symlinks to read it/);
        assertOneLineError(hangCases[4], /zero\.yaml: is a character device, not a regular file/);
        assertOneLineError(hangCases[5], /^ztmesh reach: \/dev\/zero: is a character device; ztmesh reach reads regular files and folders only\n$/);
    });

    it("never prints what a skipped document says: /proc/self/environ names the file, not the environment", () => {
        const environ = hangCases[6];
        assert.ok(!environ.stderr.includes(secret), environ.stderr.slice(0, 500));
        assert.doesNotMatch(environ.stderr, /\n\s+at |internal error/);
        assert.match(environ.stderr, /^ztmesh reach: (warning: )?\/proc\/self\/environ: /);
    });

    it("stops the same bomb when the fallback parser reads it (a tag js-yaml does not know), without a stack trace", async () => {
        const file = path.join(folder, "tagged-bomb.yaml");
        fs.writeFileSync(file, aliasBomb("!custom "));
        assertOneLineError(await run([file]), /tagged-bomb\.yaml: document 1: its aliases expand it beyond what kubectl reads/);
    });

    it("reads what go-yaml reads: 150 aliases of a mapping, in both parsers (the fallback's own limit is 100)", async () => {
        for (const tag of ["", "!custom "]) {
            const file = path.join(folder, `aliases${tag === "" ? "" : "-tagged"}.yaml`);
            fs.writeFileSync(file, manyAliases(150, tag));
            const result = await run([file, "--json"]);
            assert.strictEqual(result.code, 0, `${tag}: ${result.stderr}`);
            assert.strictEqual(readManifests([file], assert.fail).filter(({ object }) => object.metadata?.labels?.app === "web").length, 151);
        }
    });

    it("draws the line where go-yaml does (99% of the values from aliases), in both parsers", async () => {
        // A list of 1,000 values repeated `count` times: 80 times is 98.6% from aliases, 150 times 99.2%.
        const repeated = (count: number, tag: string) => `${pod("web")}---\nx: &a ${tag}[${Array(1000).fill(1).join(", ")}]\ny: [${Array(count).fill("*a").join(", ")}]\n`;
        for (const tag of ["", "!custom "]) {
            const within = await run([writeFile(folder, "within.yaml", repeated(80, tag))]);
            assert.strictEqual(within.code, 0, `${tag}: ${within.stderr}`);
            assert.match(within.stderr, /within\.yaml: document 2 is not a Kubernetes object \(no apiVersion or kind\); skipped/);
            assertOneLineError(await run([writeFile(folder, "beyond.yaml", repeated(150, tag))]), /beyond\.yaml: document 2: its aliases expand it beyond what kubectl reads/);
        }
    });

    it("refuses a file over the size bound before reading it (64 MiB; --max-file-size)", async () => {
        const big = path.join(folder, "big.yaml");
        fs.writeFileSync(big, pod("web"));
        fs.truncateSync(big, 64 * 1024 * 1024 + 1); // sparse: nothing is written
        assertOneLineError(await run([big]), /big\.yaml: is larger than 64 MiB, the most ztmesh reach reads from one file; split it, or raise the bound with --max-file-size/);
        const small = path.join(folder, "small.yaml");
        fs.writeFileSync(small, `${pod("web")}# ${"x".repeat(1024 * 1024)}\n`);
        assertOneLineError(await run([small, "--max-file-size", "1"]), /small\.yaml: is larger than 1 MiB/);
        assert.strictEqual((await run([small, "--max-file-size", "2"])).code, 0);
        const badBound = await run([small, "--max-file-size", "0.5"]);
        assert.strictEqual(badBound.code, 2);
        assert.match(badBound.stderr, /^ztmesh reach: --max-file-size takes a whole number of mebibytes from 1 to 512\n\nUsage: /);
    });

    it("refuses values nested deeper than 500 levels with one line", async () => {
        const file = path.join(folder, "deep.yaml");
        fs.writeFileSync(file, `${pod("web")}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep, namespace: shop}\ndata: ${"[".repeat(600)}${"]".repeat(600)}\n`);
        assertOneLineError(await run([file]), /deep\.yaml: line 9: values are nested more than 500 levels deep, more than ztmesh reach reads/);
    });
});
