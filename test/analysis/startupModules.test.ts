/**
 * What `ztmesh reach` loads: the `yaml` library is about a sixth of the start-up's module
 * loading, so it is loaded only for what js-yaml cannot read and to read an Istio mesh config.
 * The live cluster reader and its kubeconfig library (about half a second) load only for -k/-c.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { writeObjectFiles } from "../bench/clusterFiles";
import { kubernetesCluster } from "../bench/kubernetesCluster";
import { projectRoot } from "../harness/stackConfig";

/** Runs the command on `folder` in a fresh process; whether it loaded `yaml`, whether the live cluster reader, and its exit code. */
function loadsYaml(folder: string): { yaml: boolean; live: boolean; code: number } {
    const script = [
        "const { main } = require('./analysis/cli');",
        `main(['reach', ${JSON.stringify(folder)}], { stdout: () => {}, stderr: () => {} })`,
        "  .then((code) => console.log(JSON.stringify({ yaml: Object.keys(require.cache).some((file) => file.includes(require('path').join('node_modules', 'yaml', ''))),",
        "    live: Object.keys(require.cache).some((file) => file.includes('client-node') || file.includes(require('path').join('analysis', 'live', 'clusterReader'))), code })));",
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
        assert.deepStrictEqual(loadsYaml(plain), { yaml: false, live: false, code: 0 });
        const meshed = path.join(scratch, "meshed");
        writeObjectFiles([...kubernetesCluster(30), {
            apiVersion: "v1", kind: "ConfigMap", metadata: { name: "istio", namespace: "istio-system" }, data: { mesh: "outboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n" },
        }], meshed);
        assert.deepStrictEqual(loadsYaml(meshed), { yaml: true, live: false, code: 0 });
    });
});
