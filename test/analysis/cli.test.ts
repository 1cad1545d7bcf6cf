import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../../analysis/cli";

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = "";
    let stderr = "";
    const code = await main(args, { stdout: (text) => { stdout += text; }, stderr: (text) => { stderr += text; } });
    return { code, stdout, stderr };
}

describe("ztmesh reach (command line)", () => {
    let folder: string;

    before(() => {
        folder = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-cli-"));
        fs.mkdirSync(path.join(folder, "apps"));
        fs.writeFileSync(path.join(folder, "namespaces.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n");
        fs.writeFileSync(path.join(folder, "apps", "pods.yaml"), [
            "apiVersion: v1\nkind: List\nitems:",
            "- {apiVersion: v1, kind: Pod, metadata: {name: web, namespace: shop, labels: {app: web}}, spec: {serviceAccountName: web}}",
            "- {apiVersion: v1, kind: Pod, metadata: {name: api, namespace: shop, labels: {app: api}}, spec: {serviceAccountName: api}}",
        ].join("\n"));
        fs.writeFileSync(path.join(folder, "policy.yaml"), `
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: api-in}
spec:
  selector: app == "api"
  ingress: [{action: Allow, protocol: TCP, destination: {ports: [8080]}}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  rules: [{from: [{source: {principals: [cluster.local/ns/shop/sa/web]}}], to: [{operation: {methods: [GET], paths: ["/items*"]}}]}]
`);
        fs.writeFileSync(path.join(folder, "README.txt"), "not a manifest: skipped");
    });

    after(() => fs.rmSync(folder, { recursive: true, force: true }));

    it("prints the allowed flows of a folder in np-guard's format", async () => {
        const { code, stdout, stderr } = await run(["reach", folder]);
        assert.strictEqual(stderr, "");
        assert.strictEqual(code, 0);
        assert.deepStrictEqual(stdout.split("\n"), [
            "0.0.0.0-255.255.255.255[External] => shop/web[Pod] : All Connections",
            "shop/api[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections",
            "shop/api[Pod] => shop/web[Pod] : All Connections",
            "shop/web[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections",
            "shop/web[Pod] => shop/api[Pod] : TCP 8080",
            "",
        ]);
    });

    it("--l7 appends the requests allowed at meshed destinations", async () => {
        const { code, stdout } = await run(["reach", "--l7", path.join(folder, "namespaces.yaml"), path.join(folder, "apps"), path.join(folder, "policy.yaml")]);
        assert.strictEqual(code, 0);
        const lines = stdout.split("\n");
        assert.ok(lines.includes("shop/web[Pod] => shop/api[Pod] : TCP 8080 [GET /items*]"), stdout);
        assert.ok(lines.includes("shop/api[Pod] => shop/web[Pod] : All Connections [all requests]"), stdout);
    });

    it("--json prints one JSON document with the layer 7 grants", async () => {
        const { code, stdout } = await run(["reach", folder, "--json"]);
        assert.strictEqual(code, 0);
        const document = JSON.parse(stdout) as { flows: { src: string; dst: string; connections: string; l7?: unknown }[] };
        const webToApi = document.flows.find((flow) => flow.src === "shop/web[Pod]" && flow.dst === "shop/api[Pod]");
        assert.deepStrictEqual(webToApi, { src: "shop/web[Pod]", dst: "shop/api[Pod]", connections: "TCP 8080", l7: [{ ports: "8080", methods: ["GET"], paths: ["/items*"], hosts: "*" }] });
        assert.strictEqual(document.flows.length, 5);
    });

    it("a bad file exits 2 naming the file and the object", async () => {
        const bad = path.join(folder, "zz-bad.yaml");
        fs.writeFileSync(bad, "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: broken, namespace: shop}\nspec: {selector: 'app =='}\n");
        try {
            const { code, stdout, stderr } = await run(["reach", folder]);
            assert.strictEqual(code, 2);
            assert.strictEqual(stdout, "");
            assert.ok(stderr.includes(bad) && stderr.includes("NetworkPolicy shop/broken"), stderr);
        } finally {
            fs.rmSync(bad);
        }
    });

    it("a YAML syntax error exits 2 naming the file", async () => {
        const bad = path.join(folder, "broken.yaml");
        fs.writeFileSync(bad, "kind: Pod\nmetadata: [unclosed\n");
        try {
            const { code, stderr } = await run(["reach", bad]);
            assert.strictEqual(code, 2);
            assert.ok(stderr.includes(`${bad}: document 1`), stderr);
        } finally {
            fs.rmSync(bad);
        }
    });

    it("--html writes the report page, with intent from the Services' declared-callers annotation", async () => {
        const output = path.join(folder, "..", `${path.basename(folder)}-report.html`);
        const service = path.join(folder, "service.yaml");
        fs.writeFileSync(service, `apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop, annotations: {ztmesh.io/declared-callers: '[{"namespace":"shop","podLabels":{"app":"web"},"ports":[8080],"methods":["GET"],"paths":["/items*"]}]'}}
spec: {selector: {app: api}, ports: [{port: 80, targetPort: 8080}]}
`);
        try {
            const { code, stdout, stderr } = await run(["reach", folder, "--html", "--output", output]);
            assert.strictEqual(code, 0, stderr);
            assert.strictEqual(stdout, "");
            assert.strictEqual(stderr.split("\n").slice(0, 3).join("\n"), `ztmesh reach: wrote ${output}\n`
                + `${folder}: 2 workloads and 1 address range outside the cluster, 5 allowed flows, 1 Service with declared callers, 0 differences from the declared intent.\n`
                + "What this report cannot know:");
            const html = fs.readFileSync(output, "utf8");
            assert.match(html, /^<!DOCTYPE html>/);
            // web → api is the one flow into api, and declared; web declares nothing, so what reaches it is unchecked.
            assert.match(html, /<td class="cell declared" data-src="shop\/web\[Pod\]" data-dst="shop\/api\[Pod\]"[^>]*><span class="l4">TCP 8080<\/span><span class="l7">GET \/items\*<\/span><\/td>/);
            assert.match(html, /<td class="cell unchecked" data-src="shop\/api\[Pod\]" data-dst="shop\/web\[Pod\]"/);
            assert.ok(html.includes(`<p id="summary">${stderr.split("\n")[1]}</p>`), "the page and the console say the same");
        } finally {
            fs.rmSync(service);
            fs.rmSync(output, { force: true });
        }
    });

    it("refuses a Service whose declared-callers annotation is malformed, naming the file, the Service and the field, in every format", async () => {
        const service = path.join(folder, "service.yaml");
        fs.writeFileSync(service, "apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: shop, annotations: {ztmesh.io/declared-callers: 'not json'}}\n");
        try {
            for (const format of [[], ["--json"], ["--html"]]) {
                const { code, stdout, stderr } = await run(["reach", folder, ...format]);
                assert.strictEqual(code, 2, format.join(" "));
                assert.strictEqual(stdout, "");
                assert.match(stderr, /^ztmesh reach: .*service\.yaml: Service shop\/api: metadata\.annotations\["ztmesh\.io\/declared-callers"\]: is not JSON \(Unexpected token .*\); it must be a JSON list of \{namespace, podLabels, ports, methods\?, paths\?\}, as MeshService writes it\n$/);
            }
        } finally {
            fs.rmSync(service);
        }
    });

    it("--help prints usage; bad usage exits 2", async () => {
        const help = await run(["--help"]);
        assert.strictEqual(help.code, 0);
        assert.match(help.stdout, /^Usage: ztmesh reach <dir-or-file>\.\.\. \[--l7\] \[--json \| --html\] \[--output FILE\]/);
        assert.strictEqual((await run(["reach"])).code, 2);
        assert.strictEqual((await run(["reach", folder, "--bogus"])).code, 2);
        assert.strictEqual((await run(["frobnicate", folder])).code, 2);
        const twoFormats = await run(["reach", folder, "--json", "--html"]);
        assert.strictEqual(twoFormats.code, 2);
        assert.match(twoFormats.stderr, /--json and --html are two output formats; give one/);
        const missing = await run(["reach", path.join(folder, "nope")]);
        assert.strictEqual(missing.code, 2);
        assert.match(missing.stderr, /nope: no such file or folder/);
    });
});
