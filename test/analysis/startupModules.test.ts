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
 * Runs the command on each folder in turn in one fresh process; after each run, whether the
 * process has loaded `yaml` and the live cluster reader so far, and the run's exit code. (One
 * process for several folders: a module a run loads stays loaded, so each folder must load no
 * more than those before it, as the cases below do.)
 */
function loadsYaml(...folders: string[]): Array<{ yaml: boolean; live: boolean; code: number }> {
    const script = [
        "const { main } = require('./analysis/cli');",
        "const loaded = (part) => Object.keys(require.cache).some((file) => file.includes(part));",
        `(async () => { const results = []; for (const folder of ${JSON.stringify(folders)}) {`,
        "  const code = await main(['reach', folder], { stdout: () => {}, stderr: () => {} });",
        "  results.push({ yaml: loaded(require('path').join('node_modules', 'yaml', '')), live: loaded('client-node') || loaded(require('path').join('analysis', 'live', 'clusterReader')), code });",
        "} console.log(JSON.stringify(results)); })();",
    ].join("\n");
    const result = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], { cwd: projectRoot, encoding: "utf8" });
    assert.strictEqual(result.status, 0, result.stderr);
    return JSON.parse(result.stdout);
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

    /** Runs each command line in turn in one fresh process; after each, its exit code and which of `modules` (paths under analysis/) are loaded. */
    function loadsModules(modules: readonly string[], ...commands: string[][]): Array<{ code: number; loaded: string[] }> {
        const script = [
            "const { main } = require('./analysis/cli');",
            `const modules = ${JSON.stringify(modules)};`,
            `(async () => { const results = []; for (const argv of ${JSON.stringify(commands)}) {`,
            "  const code = await main(argv, { stdout: () => {}, stderr: () => {} });",
            "  results.push({ code, loaded: modules.filter((module) => Object.keys(require.cache).some((file) => file.includes(require('path').join('analysis', module) + '.'))) });",
            "} console.log(JSON.stringify(results)); })();",
        ].join("\n");
        const result = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], { cwd: projectRoot, encoding: "utf8" });
        assert.strictEqual(result.status, 0, result.stderr);
        return JSON.parse(result.stdout);
    }

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
