import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../../analysis/cli";
import { writeInChunks } from "../../analysis/commands/io";
import { flowsJsonParts, JsonFlow } from "../../analysis/flowFormat";
import { KubeObject } from "../../analysis/manifests";
import { Flow, reachability } from "../../analysis/reach";
import { reportModel } from "../../analysis/report/model";
import { renderPage } from "../../analysis/report/page";
import { syntheticCluster } from "../bench/syntheticCluster";

/**
 * Outputs of clusters too large for one string or one matrix of workloads. The synthetic
 * cluster (test/bench/syntheticCluster.ts) of 3,000 workloads has 300 namespaces of ten, in
 * apps of five, each app reaching the next: 25 flows within each namespace and 25 into the
 * next one, 14,975 flows in all.
 */
describe("ztmesh reach: outputs of a large cluster", function () {
    this.timeout(60000);
    const workloads = 3000;
    let objects: KubeObject[];
    let flows: Flow[];

    before(() => {
        objects = syntheticCluster(workloads);
        flows = reachability(objects);
    });

    it("--json writes the document a flow at a time: no part longer than a flow, no chunk much over a megabyte", () => {
        const longestPart = 4096;
        const chunkBound = (1 << 20) + longestPart;
        const chunks: string[] = [];
        const parts = (function* () {
            for (const part of flowsJsonParts(flows)) {
                assert.ok(part.length <= longestPart, `a part of ${part.length} characters: the document is built whole`);
                yield part;
            }
        })();
        writeInChunks(parts, (chunk) => chunks.push(chunk));
        const longest = Math.max(...chunks.map((chunk) => chunk.length));
        assert.ok(longest <= chunkBound, `a chunk of ${longest} characters (bound ${chunkBound})`);
        assert.ok(chunks.length >= 4, `${chunks.length} chunks`);
        const document = JSON.parse(chunks.join("")) as { flows: JsonFlow[] };
        assert.strictEqual(document.flows.length, flows.length);
        assert.strictEqual(document.flows.length, 14975);
        assert.strictEqual(new Set(document.flows.map((flow) => flow.src)).size, workloads - 5, "every workload but the last app's calls");
        assert.deepStrictEqual(document.flows.find((flow) => flow.src === "team-0/w-0[Deployment]" && flow.dst === "team-0/w-5[Deployment]"), {
            src: "team-0/w-0[Deployment]", dst: "team-0/w-5[Deployment]", connections: "TCP 8080",
            l7: [{ ports: "8080", methods: ["GET"], paths: { include: ["/api/*"], except: ["/api/admin*"] }, hosts: "*" }],
        });
    });

    it("--html shows a namespace matrix with a drill-down, in a page under 2 MB", () => {
        const page = renderPage(reportModel(objects, flows, { title: "Large", source: "synthetic" }));
        assert.ok(Buffer.byteLength(page) < 2e6, `${(Buffer.byteLength(page) / 1e6).toFixed(1)} MB`);
        assert.doesNotMatch(page, /<table id="matrix"|<svg/, "no workload matrix, no graph");
        assert.strictEqual(page.match(/<tr><th scope="row">team-\d+<\/th>/g)?.length, 300, "a row per namespace");
        assert.match(page, /<tr><th scope="row">team-0<\/th><td class="cell unchecked" data-from="0" data-to="0" title="team-0 → team-0: 25 workload pairs: 25 allowed, no declared intent" tabindex="0">25<\/td><td class="cell unchecked" data-from="0" data-to="1" [^>]*>25<\/td><td><\/td>/);
        const data = JSON.parse(/<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(page)![1]) as { endpoints: [string, number][]; pairs: number[][]; namespaces: string[] };
        assert.strictEqual(data.pairs.length, flows.length, "the drill-down has every workload pair");
        assert.strictEqual(data.endpoints.length, workloads);
        const [src, dst] = data.pairs[0];
        assert.deepStrictEqual([data.endpoints[src][0], data.endpoints[dst][0]], ["team-0/w-0[Deployment]", "team-0/w-5[Deployment]"]);
    });
});

describe("ztmesh reach: a malformed declared-callers annotation", () => {
    let folder: string;
    before(() => {
        folder = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-callers-"));
        fs.writeFileSync(path.join(folder, "pods.yaml"), "apiVersion: v1\nkind: Pod\nmetadata: {name: api, namespace: shop, labels: {app: api}}\nspec: {containers: [{name: c, image: x}]}\n");
    });
    after(() => fs.rmSync(folder, { recursive: true, force: true }));

    /** `ztmesh reach <folder> ...args` with a Service whose annotation is `callers` (a JSON text, or a YAML value). */
    async function withAnnotation(callers: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string; file: string }> {
        const file = path.join(folder, "service.yaml");
        fs.writeFileSync(file, `apiVersion: v1\nkind: Service\nmetadata:\n  name: api\n  namespace: shop\n  annotations:\n    ztmesh.io/declared-callers: ${callers}\nspec: {selector: {app: api}, ports: [{port: 80}]}\n`);
        let stdout = "";
        let stderr = "";
        const code = await main(["reach", folder, ...args], { stdout: (text) => { stdout += text; }, stderr: (text) => { stderr += text; } });
        return { code, stdout, stderr, file };
    }

    const field = 'metadata.annotations["ztmesh.io/declared-callers"]';

    it("--html with methods as a string exits 2 with one line naming the file, the Service and the field (it threw a TypeError)", async () => {
        const { code, stdout, stderr, file } = await withAnnotation(`'[{"namespace":"shop","podLabels":{"app":"web"},"ports":[8080],"methods":"GET"}]'`, "--html");
        assert.strictEqual(stdout, "");
        assert.strictEqual(stderr, `ztmesh reach: ${file}: Service shop/api: ${field}[0].methods: must be a list of HTTP methods (strings), found a string "GET"\n`);
        assert.strictEqual(code, 2);
    });

    const shapes: [string, string, string][] = [
        ["not JSON", "'[{namespace: shop}]'", `${field}: is not JSON (`],
        ["not a list", `'{"namespace":"shop"}'`, `${field}: must be a JSON list of {namespace, podLabels, ports, methods?, paths?}, as MeshService writes it, found a mapping {"namespace":"shop"}`],
        ["a list of strings", `'["shop"]'`, `${field}[0]: must be a mapping {namespace, podLabels, ports, methods?, paths?}, found a string "shop"`],
        ["a number for the namespace", `'[{"namespace":7,"podLabels":{},"ports":[80]}]'`, `${field}[0].namespace: must be a namespace name (a string), found a number 7`],
        ["a number for a label value", `'[{"namespace":"shop","podLabels":{"app.kubernetes.io/name":1},"ports":[80]}]'`, `${field}[0].podLabels["app.kubernetes.io/name"]: must be a string (a label value), found a number 1`],
        ["a number for a path", `'[{"namespace":"shop","podLabels":{},"ports":[80],"paths":[1]}]'`, `${field}[0].paths[0]: must be a string (an HTTP path), found a number 1`],
        ["a string for a port", `'[{"namespace":"shop","podLabels":{},"ports":["80"]}]'`, `${field}[0].ports[0]: must be a port number (an integer), found a string "80"`],
        ["a port out of range", `'[{"namespace":"shop","podLabels":{},"ports":[0]}]'`, `${field}[0].ports[0]: must be a port number from 1 to 65535, found a number 0`],
        ["an unknown key", `'[{"namespace":"shop","podLabels":{},"ports":[80],"method":["GET"]}]'`, `${field}[0].method: unknown key; the keys of a declared caller are namespace, podLabels, ports, methods, paths`],
        ["a missing key", `'[{"namespace":"shop","ports":[80]}]'`, `${field}[0].podLabels: required field is missing; it must be a mapping of label names to values`],
    ];
    for (const [shape, annotation, problem] of shapes) {
        it(`refuses ${shape}, whatever the format`, async () => {
            for (const format of [[], ["--json"], ["--html"]]) {
                const { code, stdout, stderr, file } = await withAnnotation(annotation, ...format);
                assert.strictEqual(code, 2, stderr);
                assert.strictEqual(stdout, "");
                assert.ok(stderr.startsWith(`ztmesh reach: ${file}: Service shop/api: ${problem}`), stderr);
                assert.strictEqual(stderr.split("\n").length, 2, "one line");
            }
        });
    }

    it("accepts the annotation as MeshService writes it", async () => {
        const { code, stderr } = await withAnnotation(`'[{"namespace":"shop","podLabels":{"app":"web"},"ports":[8080],"methods":["GET"],"paths":["/items*"]}]'`, "--html");
        assert.strictEqual(code, 0, stderr);
    });
});
