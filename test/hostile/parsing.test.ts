/**
 * `ztmesh reach` reads text as kubectl does: UTF-8 only (a byte order mark and CRLF lines are
 * fine), merge keys merge, a key given twice is refused (kubectl's default --validate=strict
 * refuses duplicate fields, in YAML and in JSON); and a skipped document's content is never
 * printed.
 */
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { assertOneLineError, pod, run, temporaryFolder } from "./harness";

describe("ztmesh reach on hostile input: what it parses and prints", function () {
    this.timeout(20_000);
    let folder: string;
    let remove: () => void;
    beforeEach(() => ({ folder, remove } = temporaryFolder()));
    afterEach(() => remove());

    const write = (name: string, content: string | Buffer) => {
        const file = path.join(folder, name);
        fs.writeFileSync(file, content);
        return file;
    };

    it("warns about a linked private key and a 20 MB scalar by file and reason, never by content", async () => {
        const key = `-----BEGIN PRIVATE KEY-----\n${crypto.randomBytes(600).toString("base64")}\n-----END PRIVATE KEY-----\n`;
        const outside = temporaryFolder();
        try {
            fs.writeFileSync(path.join(outside.folder, "id_rsa"), key);
            fs.mkdirSync(path.join(folder, "m"));
            fs.writeFileSync(path.join(folder, "m", "a.yaml"), pod("web"));
            fs.symlinkSync(path.join(outside.folder, "id_rsa"), path.join(folder, "m", "key.yaml"));
            write("big.yaml", `just text ${"x".repeat(20_000_000)}\n`);
            const result = await run([path.join(folder, "m"), path.join(folder, "big.yaml"), "--follow-symlinks"]);
            assert.strictEqual(result.code, 0, result.stderr.slice(0, 500));
            assert.deepStrictEqual(result.stderr.split("\n"), [
                `ztmesh reach: warning: ${path.join(folder, "m", "key.yaml")}: document 1 is not a Kubernetes object (a string); skipped`,
                `ztmesh reach: warning: ${path.join(folder, "big.yaml")}: document 1 is not a Kubernetes object (a string); skipped`,
                "",
            ]);
        } finally {
            outside.remove();
        }
    });

    it("merges merge keys (<<) in both parsers, with the same result", async () => {
        const merged = (tag: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${tag}web
  namespace: shop
  labels: &labels {app: web, tier: front}
  annotations:
    <<: *labels
    tier: own
spec: {containers: [{name: main, image: example/app:1}]}
`;
        const fast = await run([write("fast.yaml", merged("")), "--json"]);
        const fallback = await run([write("fallback.yaml", merged("!custom ")), "--json"]); // a tag js-yaml refuses: `yaml` reads it
        assert.strictEqual(fast.code, 0, fast.stderr);
        assert.strictEqual(fallback.code, 0, fallback.stderr);
        assert.strictEqual(fast.stdout, fallback.stdout);
        assertOneLineError(await run([write("bad-merge.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop, labels: {<<: [a]}}\n")]), /bad-merge\.yaml: document 1: Merge sources must be maps or map aliases/);
    });

    it("refuses text that is not UTF-8 with the offset of the first bad byte, and UTF-16 by name", async () => {
        const latin1 = write("latin1.yaml", Buffer.concat([Buffer.from("apiVersion: v1\nkind: Pod\nmetadata: {name: caf"), Buffer.from([0xe9]), Buffer.from(", namespace: shop}\n")]));
        assertOneLineError(await run([latin1]), /latin1\.yaml: is not UTF-8: byte 45 \(line 3\) is 0xe9, which starts no valid UTF-8 character; save it as UTF-8/);
        const utf16 = write("utf16.yaml", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(pod("web"), "utf16le")]));
        assertOneLineError(await run([utf16]), /utf16\.yaml: is UTF-16 \(it starts with a UTF-16 byte order mark\); save it as UTF-8/);
        const binary = write("image.yaml", Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00]));
        assertOneLineError(await run([binary]), /image\.yaml: is not UTF-8: byte 0 \(line 1\) is 0x89/);
    });

    it("reads a UTF-8 byte order mark and CRLF lines as kubectl does", async () => {
        const plain = await run([write("plain.yaml", pod("web")), "--json"]);
        const windows = await run([write("windows.yaml", `\ufeff${pod("web").replace(/\n/g, "\r\n")}`), "--json"]);
        assert.strictEqual(plain.code, 0, plain.stderr);
        assert.strictEqual(windows.code, 0, windows.stderr);
        assert.strictEqual(windows.stdout, plain.stdout);
    });

    it("refuses a key given twice, in YAML and in JSON, naming the place", async () => {
        assertOneLineError(await run([write("twice.yaml", `${pod("web")}metadata: {name: other}\n`)]), /twice\.yaml: document 1: Map keys must be unique at line 5, column 1:\n$/);
        assertOneLineError(await run([write("twice.json", '{"apiVersion": "v1", "kind": "Pod", "kind": "Service"}')]), /twice\.json: document 1: Map keys must be unique at line 1, column 37:\n$/);
    });
});
