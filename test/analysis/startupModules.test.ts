/**
 * What `ztmesh reach` loads: the `yaml` library is about a sixth of the start-up's module
 * loading, so it is loaded only for what js-yaml cannot read and to read an Istio mesh config.
 * The live cluster reader and its kubeconfig library (about half a second) load only for -k/-c;
 * the modules of `diff`, `eval`, the html report, --observed and svg only for them.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { writeObjectFiles } from "../bench/clusterFiles";
import { kubernetesCluster } from "../bench/kubernetesCluster";
import { projectRoot } from "../harness/stackConfig";

/**
 * Runs each command line in turn in one fresh process; after each run, its exit code and which
 * of `parts` (path fragments) the process has loaded so far. (One process for several runs: a
 * module a run loads stays loaded, so each run must load no more than those before it, as the
 * cases below do.)
 */
function loadedAfterEach(parts: readonly string[], ...commands: string[][]): Array<{ code: number; loaded: string[] }> {
    const script = [
        "const { main } = require('./analysis/cli');",
        `const parts = ${JSON.stringify(parts)};`,
        `(async () => { const results = []; for (const argv of ${JSON.stringify(commands)}) {`,
        "  const code = await main(argv, { stdout: () => {}, stderr: () => {} });",
        "  results.push({ code, loaded: parts.filter((part) => Object.keys(require.cache).some((file) => file.includes(part))) });",
        "} console.log(JSON.stringify(results)); })();",
    ].join("\n");
    const result = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], { cwd: projectRoot, encoding: "utf8" });
    assert.strictEqual(result.status, 0, result.stderr);
    return JSON.parse(result.stdout);
}

/** `ztmesh reach` on each folder: whether `yaml` and the live cluster reader are loaded after it, and its exit code. */
function loadsYaml(...folders: string[]): Array<{ yaml: boolean; live: boolean; code: number }> {
    const yaml = path.join("node_modules", "yaml", "");
    const live = ["client-node", path.join("analysis", "live", "clusterReader")];
    return loadedAfterEach([yaml, ...live], ...folders.map((folder) => ["reach", folder]))
        .map(({ code, loaded }) => ({ yaml: loaded.includes(yaml), live: live.some((part) => loaded.includes(part)), code }));
}

/** After each command line, its exit code and which of `modules` (paths under analysis/) are loaded. */
function loadsModules(modules: readonly string[], ...commands: string[][]): Array<{ code: number; loaded: string[] }> {
    const part = (module: string) => path.join("analysis", module) + ".";
    return loadedAfterEach(modules.map(part), ...commands)
        .map(({ code, loaded }) => ({ code, loaded: modules.filter((module) => loaded.includes(part(module))) }));
}

describe("ztmesh reach: modules loaded", () => {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-startup-"));
    after(() => fs.rmSync(scratch, { recursive: true, force: true }));

    it("does not load the yaml library for manifests js-yaml reads, and loads it for an Istio mesh config", function () {
        this.timeout(120000);
        const plain = path.join(scratch, "plain");
        writeObjectFiles(kubernetesCluster(30), plain);
        const meshed = path.join(scratch, "meshed");
        writeObjectFiles([...kubernetesCluster(30), {
            apiVersion: "v1", kind: "ConfigMap", metadata: { name: "istio", namespace: "istio-system" }, data: { mesh: "outboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n" },
        }], meshed);
        assert.deepStrictEqual(loadsYaml(plain, meshed), [{ yaml: false, live: false, code: 0 }, { yaml: true, live: false, code: 0 }]);
    });

    it("loads the modules of diff, eval, the html report and --observed only for them", function () {
        this.timeout(120000);
        const folder = path.join(scratch, "commands");
        writeObjectFiles(kubernetesCluster(4), folder);
        const observed = path.join(scratch, "observed.log");
        fs.writeFileSync(observed, "");
        // The page shows the enforcement impact, so its text module comes with it.
        const report = ["report/page", "report/model", "report/words", "report/limits", "enforcement/impactText"];
        const diff = ["diff/connectivityDiff", "diff/explainDiff", "diff/format"];
        const evaluation = ["eval/evaluate", "eval/explanation"];
        const enforcement = ["enforcement/impact", "observed/readObserved"];
        const modules = [...report, ...diff, ...evaluation, ...enforcement];
        const runs = loadsModules(modules,
            ["reach", folder],
            ["reach", folder, "-o", "html"],
            ["diff", folder, folder],
            ["eval", folder, "--source", "ns-0/ns-0-app-0-0", "--destination", "ns-0/ns-0-app-0-1", "--port", "80"],
            ["reach", folder, "--observed", observed]);
        assert.deepStrictEqual(runs.map((run) => [...run.loaded].sort()), [[], report, [...report, ...diff], [...report, ...diff, ...evaluation], modules].map((loaded) => [...loaded].sort()));
        assert.deepStrictEqual(runs.map((run) => run.code).slice(0, 3), [0, 0, 0]);
        assert.ok([0, 3].includes(runs[3].code), `eval exited ${runs[3].code}`);
        assert.strictEqual(runs[4].code, 0);
    });
});
