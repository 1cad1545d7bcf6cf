import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runCli } from "./cliRun";

/** `ztmesh diff`, and the list formats, focus and exposure flags of `reach` and `list`, on the command line. */
describe("ztmesh diff and the list formats (command line)", () => {
    let folder: string;
    let original: string;
    let changed: string;
    let same: string;
    const pods = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop, labels: {app: web}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: api, namespace: shop, labels: {app: api}}\n";
    const apiOnly8080 = "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: api-in, namespace: shop}\nspec: {podSelector: {matchLabels: {app: api}}, ingress: [{ports: [{port: 8080}]}]}\n";
    const changedLine = "diff-type: changed, source: shop/web[Pod], destination: shop/api[Pod], dir1: All Connections, dir2: TCP 8080";

    before(() => {
        folder = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-diff-"));
        original = path.join(folder, "before.yaml");
        changed = path.join(folder, "after");
        same = path.join(folder, "same.yaml");
        fs.writeFileSync(original, pods);
        fs.mkdirSync(changed);
        fs.writeFileSync(path.join(changed, "cluster.yaml"), pods + apiOnly8080);
        fs.writeFileSync(same, pods);
    });

    after(() => fs.rmSync(folder, { recursive: true, force: true }));

    it("diff BEFORE AFTER prints what changed, named dir1 and dir2 as netpol-analyzer's CLI names them; exit 0", async () => {
        const { code, stdout, stderr } = await runCli(["diff", original, changed]);
        assert.deepStrictEqual([code, stderr], [0, ""]);
        assert.ok(stdout.startsWith("Connectivity diff:\n"), stdout);
        assert.ok(stdout.split("\n").includes(changedLine), stdout);
        assert.strictEqual((await runCli(["diff", "--dir1", original, "--dir2", changed])).stdout, stdout);
    });

    it("--fail is netpol-analyzer's stop-at-the-first-error and leaves the exit code 0; --fail-on-change exits 1 on a difference, 0 without", async () => {
        assert.strictEqual((await runCli(["diff", original, changed, "--fail"])).code, 0);
        const different = await runCli(["diff", original, changed, "--fail-on-change"]);
        assert.strictEqual(different.code, 1);
        assert.ok(different.stdout.includes(changedLine), different.stdout);
        assert.deepStrictEqual(await runCli(["diff", original, same, "--fail-on-change"]), { code: 0, stdout: "", stderr: "" });
    });

    it("-f FILE writes the diff to the file, -o json as one document", async () => {
        const written = path.join(folder, "out", "diff.json");
        fs.mkdirSync(path.dirname(written));
        const { code, stdout } = await runCli(["diff", original, changed, "-o", "json", "-f", written, "-q"]);
        assert.deepStrictEqual([code, stdout], [0, ""]);
        const document = JSON.parse(fs.readFileSync(written, "utf8")) as { diff: { type: string; src: string; dst: string }[] };
        assert.deepStrictEqual(document.diff.map((pair) => [pair.type, pair.src, pair.dst]), [["changed", "0.0.0.0-255.255.255.255[External]", "shop/api[Pod]"], ["changed", "shop/web[Pod]", "shop/api[Pod]"]]);
        assert.deepStrictEqual((await runCli(["diff", original, changed, "--json"])).stdout, fs.readFileSync(written, "utf8"));
    });

    it("-o svg draws the diff graph and the list graph in-process, with the workloads' names", async () => {
        const diff = await runCli(["diff", original, changed, "-o", "svg"]);
        assert.strictEqual(diff.code, 0);
        assert.match(diff.stdout, /^<\?xml[^]*<svg [^]*<\/svg>\n?$/);
        assert.ok(diff.stdout.includes("web[Pod]") && diff.stdout.includes("api[Pod]") && diff.stdout.includes("TCP 8080"), diff.stdout);
        const list = await runCli(["reach", changed, "-o", "svg"]);
        assert.strictEqual(list.code, 0);
        assert.match(list.stdout, /<svg [^]*<title>shop\/web\[Pod\]&#45;&gt;shop\/api\[Pod\]<\/title>/);
    });

    it("reach -o csv, md and dot write netpol-analyzer's list formats", async () => {
        assert.strictEqual((await runCli(["reach", changed, "-o", "csv"])).stdout.split("\n").slice(0, 2).join("\n"), "src,dst,conn\n0.0.0.0-255.255.255.255[External],shop/api[Pod],TCP 8080");
        assert.ok((await runCli(["list", "--dirpath", changed, "-o", "md"])).stdout.startsWith("| src | dst | conn |\n|-----|-----|------|\n"));
        const dot = (await runCli(["reach", changed, "-o", "dot"])).stdout;
        assert.ok(dot.startsWith("digraph {") && dot.endsWith("}"), dot);
    });

    it("refuses a diff command line that does not name two sides, or a format diff does not write, with exit 2 and the flag", async () => {
        const refusals: [string[], RegExp][] = [
            [["diff", original], /^ztmesh diff: one side given: diff compares two, BEFORE and AFTER\n\nUsage: ztmesh diff /],
            [["diff"], /^ztmesh diff: no manifests given: diff BEFORE AFTER, or --dir1 BEFORE --dir2 AFTER\n/],
            [["diff", original, changed, "--dir1", original], /^ztmesh diff: give the two sides as BEFORE AFTER or as --dir1 BEFORE --dir2 AFTER, not both\n/],
            [["diff", original, changed, "--html"], /^ztmesh diff: --html: this command writes txt, csv, md, dot, svg, json only\n/],
            [["diff", original, changed, "-o", "html"], /^ztmesh diff: -o html: this command writes txt, csv, md, dot, svg, json only\n/],
            [["diff", original, changed, "-f", original], /^ztmesh diff: .*before\.yaml.* is among the manifests read/],
            [["diff", original, path.join(folder, "nowhere")], /^ztmesh diff: .*nowhere: no such file or folder\n$/],
        ];
        for (const [args, message] of refusals) {
            const refused = await runCli(args);
            assert.strictEqual(refused.code, 2, args.join(" "));
            assert.strictEqual(refused.stdout, "", args.join(" "));
            assert.match(refused.stderr, message, args.join(" "));
        }
    });

    it("names the file of an object that fails on either side of a diff", async () => {
        const bad = path.join(folder, "bad.yaml");
        fs.writeFileSync(bad, `${pods}---\napiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: broken, namespace: shop}\nspec: {selector: 'app =='}\n`);
        const { code, stderr } = await runCli(["diff", original, bad]);
        assert.strictEqual(code, 2);
        assert.ok(stderr.startsWith("ztmesh diff: ") && stderr.includes(bad) && stderr.includes("NetworkPolicy shop/broken"), stderr);
    });

    it("prints the focus warnings on standard error, unless -q", async () => {
        const missing = await runCli(["reach", changed, "--focusworkload", "nope"]);
        assert.deepStrictEqual([missing.code, missing.stdout], [0, ""]);
        assert.strictEqual(missing.stderr, "ztmesh reach: warning: Workload nope does not exist in the input resources.\nztmesh reach: warning: no focus workload (or focus workload peer) exists in the input: the list is empty\n");
        const ignored = await runCli(["list", "--dirpath", changed, "--focus-direction", "egress"]);
        assert.strictEqual(ignored.stderr, "ztmesh list: warning: focus-direction may be used only with focusworkload, will be ignored\n");
        assert.strictEqual((await runCli(["reach", changed, "--focusworkload", "nope", "-q"])).stderr, "");
    });

    it("--focusworkload-peer keeps the pairs with the peer; with --exposure too, drops the exposure with netpol-analyzer's warning", async () => {
        const { code, stdout, stderr } = await runCli(["list", "--dirpath", changed, "--focusworkload", "api", "--focus-workload-peer", "shop/web", "--exposure"]);
        assert.strictEqual(code, 0);
        assert.strictEqual(stdout, "shop/api[Pod] => shop/web[Pod] : All Connections\nshop/web[Pod] => shop/api[Pod] : TCP 8080\n");
        assert.strictEqual(stderr, "ztmesh list: warning: exposure analysis is not relevant when both focusworkload and focusworkload-peer are used; exposure flag will be ignored\n");
        const exposed = await runCli(["list", "--dirpath", changed, "--focusworkload", "api", "--exposure"]);
        assert.ok(exposed.stdout.includes("\nExposure Analysis Result:\n"), exposed.stdout);
    });

    it("--json with a focus flag writes the focused flows", async () => {
        const { code, stdout } = await runCli(["reach", changed, "--json", "--focus-workload", "shop/web", "--focus-direction", "egress"]);
        assert.strictEqual(code, 0);
        const document = JSON.parse(stdout) as { flows: { src: string; dst: string; connections: string }[] };
        assert.deepStrictEqual(document.flows.map((flow) => [flow.src, flow.dst, flow.connections]), [
            ["shop/web[Pod]", "0.0.0.0-255.255.255.255[External]", "All Connections"],
            ["shop/web[Pod]", "shop/api[Pod]", "TCP 8080"],
        ]);
    });
});
