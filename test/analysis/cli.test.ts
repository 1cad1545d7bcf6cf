import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runCli as run } from "./cliRun";

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

    it("--help lists the commands, and each command's --help its usage; bad usage exits 2", async () => {
        const help = await run(["--help"]);
        assert.strictEqual(help.code, 0);
        assert.match(help.stdout, /^Usage: ztmesh <command> \[options\]\n/);
        assert.match(help.stdout, /\n {2}reach \[options\] \[dir-or-file\.\.\.\] +the connections policy allows/);
        assert.match(help.stdout, /\n {2}list \[options\] \[dir-or-file\.\.\.\] +ztmesh reach in netpol-analyzer's spelling/);
        assert.match(help.stdout, /\n {2}diff \[options\] \[before\] \[after\] +the connections added, removed and changed/);
        assert.match((await run(["diff", "--help"])).stdout, /^Usage: ztmesh diff BEFORE AFTER \| --dir1 BEFORE --dir2 AFTER/);
        for (const asked of [["reach", "--help"], ["reach", "-h"], ["help", "reach"], ["reach", folder, "--help"]]) {
            const reachHelp = await run(asked);
            assert.strictEqual(reachHelp.code, 0, asked.join(" "));
            assert.strictEqual(reachHelp.stderr, "");
            assert.match(reachHelp.stdout, /^Usage: ztmesh reach <dir-or-file>\.\.\. \[--l7\] \[--json \| --html\] \[--output FILE\]/, asked.join(" "));
            assert.match(reachHelp.stdout, /\n {2}--field-validation <mode> +fields the schemas do not know/);
        }
        assert.match((await run(["list", "--help"])).stdout, /^Usage: ztmesh list --dirpath DIR\.\.\. \[-o txt\|json\|html\|csv\|md\|dot\|svg\] \[-f FILE\]/);
        const none = await run([]);
        assert.strictEqual(none.code, 2);
        assert.match(none.stderr, /^ztmesh: no command given\n\nUsage: ztmesh <command>/);
        assert.strictEqual((await run(["reach"])).code, 2);
        const bogus = await run(["reach", folder, "--bogus"]);
        assert.strictEqual(bogus.code, 2);
        assert.strictEqual(bogus.stdout, "");
        assert.match(bogus.stderr, /^ztmesh reach: unknown option '--bogus'\n\nUsage: ztmesh reach /);
        const unknownCommand = await run(["frobnicate", folder]);
        assert.strictEqual(unknownCommand.code, 2);
        assert.match(unknownCommand.stderr, /^ztmesh: unknown command 'frobnicate'\n\nUsage: ztmesh <command>/);
        const twoFormats = await run(["reach", folder, "--json", "--html"]);
        assert.strictEqual(twoFormats.code, 2);
        assert.match(twoFormats.stderr, /--json and --html are two output formats; give one/);
        const missing = await run(["reach", path.join(folder, "nope")]);
        assert.strictEqual(missing.code, 2);
        assert.match(missing.stderr, /nope: no such file or folder/);
    });

    it("names a dry-run AuthorizationPolicy in a warning: it is read, validated and not enforced; --as-enforced enforces it", async () => {
        const dryRun = path.join(folder, "zz-dry-run.yaml");
        fs.writeFileSync(dryRun, "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: deny-web, namespace: shop, annotations: {istio.io/dry-run: 'true'}}\nspec: {action: DENY, rules: [{from: [{source: {principals: [cluster.local/ns/shop/sa/web]}}]}]}\n");
        try {
            const before = await run(["reach", folder, "--json"]);
            assert.strictEqual(before.code, 0, before.stderr);
            assert.strictEqual(before.stderr, `ztmesh reach: warning: ${dryRun}: AuthorizationPolicy shop/deny-web: not evaluated: a dry run (istio.io/dry-run) only logs what it would decide and enforces nothing; the flows are what the enforced policies allow (--as-enforced evaluates it as enforced)\n`);
            const webToApi = (json: string) => (JSON.parse(json) as { flows: { src: string; dst: string }[] }).flows.some((flow) => flow.src === "shop/web[Pod]" && flow.dst === "shop/api[Pod]");
            assert.ok(webToApi(before.stdout));
            const asEnforced = await run(["reach", folder, "--json", "--as-enforced"]);
            assert.strictEqual(asEnforced.stderr, "", "evaluated, so not named");
            assert.ok(!webToApi(asEnforced.stdout), "as enforced, the DENY cuts web → api");
        } finally {
            fs.rmSync(dryRun);
        }
    });

    describe("list, in netpol-analyzer's spelling, and the output flags", () => {
        const expected = (): Promise<string> => run(["reach", folder]).then((result) => result.stdout);

        it("list --dirpath DIR prints what reach DIR prints; --dirpath may be repeated and mixed with arguments", async () => {
            const listed = await run(["list", "--dirpath", folder]);
            assert.strictEqual(listed.code, 0, listed.stderr);
            assert.strictEqual(listed.stdout, await expected());
            const parts = await run(["list", "--dirpath", path.join(folder, "apps"), path.join(folder, "namespaces.yaml"), "--dirpath", path.join(folder, "policy.yaml")]);
            assert.strictEqual(parts.code, 0, parts.stderr);
            assert.strictEqual(parts.stdout, await expected());
            assert.strictEqual((await run(["reach", "--dirpath", folder])).stdout, await expected());
            const nothing = await run(["list"]);
            assert.strictEqual(nothing.code, 2);
            assert.match(nothing.stderr, /^ztmesh list: no manifest files or folders given\n\nUsage: ztmesh list /);
        });

        it("-o/--output FORMAT selects txt, json or html, as --json and --html do", async () => {
            assert.strictEqual((await run(["list", "--dirpath", folder, "-o", "txt"])).stdout, await expected());
            const json = (await run(["list", "--dirpath", folder, "--output", "json"])).stdout;
            assert.strictEqual(json, (await run(["reach", folder, "--json"])).stdout);
            assert.strictEqual(JSON.parse(json).flows.length, 5);
            assert.strictEqual((await run(["reach", folder, "-o", "json"])).stdout, json);
            assert.strictEqual((await run(["reach", folder, "-o", "json", "--json"])).stdout, json, "the same format twice is one format");
            assert.match((await run(["list", "--dirpath", folder, "-o", "html"])).stdout, /^<!DOCTYPE html>/);
        });

        it("-f/--file FILE writes the output; on reach, -o FILE still does", async () => {
            const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-cli-out-"));
            try {
                const listed = await run(["list", "--dirpath", folder, "-o", "json", "-f", path.join(scratch, "flows.json")]);
                assert.strictEqual(listed.code, 0, listed.stderr);
                assert.strictEqual(listed.stdout, "");
                assert.strictEqual(listed.stderr, `ztmesh list: wrote ${path.join(scratch, "flows.json")}\n`);
                assert.strictEqual(fs.readFileSync(path.join(scratch, "flows.json"), "utf8"), (await run(["reach", folder, "--json"])).stdout);
                assert.strictEqual((await run(["reach", folder, "--file", path.join(scratch, "a.txt")])).code, 0);
                assert.strictEqual((await run(["reach", folder, "-o", path.join(scratch, "b.txt")])).code, 0);
                assert.strictEqual(fs.readFileSync(path.join(scratch, "a.txt"), "utf8"), await expected());
                assert.strictEqual(fs.readFileSync(path.join(scratch, "b.txt"), "utf8"), await expected());
            } finally {
                fs.rmSync(scratch, { recursive: true, force: true });
            }
        });

        it("refuses output flags that contradict each other or name no format, before reading anything", async () => {
            const refusals: [string[], RegExp][] = [
                [["list", "--dirpath", folder, "-o", "flows.txt"], /^ztmesh list: -o\/--output takes an output format \(txt, json, html, csv, md, dot, svg\), found "flows\.txt"; write to a file with -f\/--file FILE\n\nUsage: ztmesh list /],
                [["reach", folder, "-o", "html", "--focusworkload", "web"], /^ztmesh reach: the focus flags and --exposure apply to -o txt, csv, md, dot, svg \(and the focus flags to json\); the html report shows every workload\n/],
                [["list", "--dirpath", folder, "-o", "json", "--exposure"], /^ztmesh list: --exposure is written in -o txt, csv, md, dot and svg; json has no exposure section\n/],
                [["reach", folder, "--focusworkload", "web", "--focus-direction", "both"], /^ztmesh reach: invalid focus direction value: both; value must be one of \[ingress,egress\]\n\nUsage: ztmesh reach /],
                [["reach", folder, "--focus-conn", "tcp:80"], /^ztmesh reach: invalid focus connection: tcp:80; must be <protocol-port> format, e.g. tcp-8080\n/],
                [["reach", folder, "-o", "json", "--html"], /^ztmesh reach: -o json and --html are two output formats; give one\n/],
                [["reach", folder, "-o", "out.txt", "-f", "out2.txt"], /^ztmesh reach: -o FILE and -f FILE both name the file to write; give one\n/],
                [["reach", folder, "-o"], /^ztmesh reach: option '-o, --output <format>' argument missing\n/],
                [["reach", folder, "-q", "-v"], /^ztmesh reach: -q\/--quiet and -v\/--verbose ask for less and more; give one\n/],
                [["reach", folder, "--field-validation", "lenient"], /^ztmesh reach: option '--field-validation <mode>' argument 'lenient' is invalid\. Allowed choices are strict, warn, ignore\.\n/],
            ];
            for (const [args, message] of refusals) {
                const refused = await run(args);
                assert.strictEqual(refused.code, 2, args.join(" "));
                assert.strictEqual(refused.stdout, "", args.join(" "));
                assert.match(refused.stderr, message, args.join(" "));
            }
            assert.ok(!fs.existsSync("out.txt") && !fs.existsSync("out2.txt"));
        });

        it("-q prints no warnings; -v names each file read", async () => {
            const skipped = path.join(folder, "zz-report.json");
            fs.writeFileSync(skipped, "{\"flows\": []}");
            try {
                const normal = await run(["reach", folder]);
                assert.match(normal.stderr, /^ztmesh reach: warning: .*zz-report\.json: document 1 is not a Kubernetes object \(no apiVersion or kind\); skipped\n$/);
                const quiet = await run(["list", "--dirpath", folder, "-q"]);
                assert.strictEqual(quiet.code, 0);
                assert.strictEqual(quiet.stderr, "");
                assert.strictEqual(quiet.stdout, normal.stdout);
                const verbose = await run(["reach", folder, "-v"]);
                assert.strictEqual(verbose.code, 0);
                assert.ok(verbose.stderr.includes(`ztmesh reach: read ${path.join(folder, "apps", "pods.yaml")}: 2 objects\n`), verbose.stderr);
                assert.ok(verbose.stderr.includes(`ztmesh reach: read ${path.join(folder, "namespaces.yaml")}: 1 object\n`), verbose.stderr);
                assert.strictEqual(verbose.stdout, normal.stdout);
            } finally {
                fs.rmSync(skipped);
            }
        });
    });
});
