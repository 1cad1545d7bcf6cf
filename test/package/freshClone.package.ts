/**
 * A fresh clone, as a newcomer gets it: `npm ci` (whose `prepare` builds dist/) makes
 * `npx ztmesh` work, and the policy pack installs as its own npm project (`cd policypack &&
 * npm ci`, the usual habit for a CrossGuard pack) without touching the root install.
 *
 * The clone is of this repository's committed HEAD; npm installs from the user's npm cache
 * (`--prefer-offline`). `npx` in the clone installs the project into npx's cache to link its
 * bin, so it gets a cache folder of its own, removed with the clone.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { checkBinWithNpx, Commands, projectRoot } from "./commands";

const commands = new Commands("freshClone.package");
const npmCi = ["ci", "--prefer-offline", "--no-audit", "--no-fund"];

describe("a fresh clone: npm ci, npx ztmesh, and the policy pack's own install", function () {
    this.timeout(900_000);

    let workDir = "";
    let clone = "";
    let rootInstalled = false;
    let packInstalled = false;

    before(function () {
        commands.start();
        workDir = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-clone-test-"));
        clone = path.join(workDir, "ztmesh");
        commands.runOk("git", ["clone", "--quiet", projectRoot, clone], workDir);
    });

    after(function () {
        if (workDir) {
            fs.rmSync(workDir, { recursive: true, force: true });
            commands.progress(`removed ${workDir}`);
        }
    });

    it("npm ci builds the bin (prepare), and npx ztmesh runs it: --help, and reach on a folder", function () {
        commands.runOk("npm", npmCi, clone);
        rootInstalled = true;
        const bin = JSON.parse(fs.readFileSync(path.join(clone, "package.json"), "utf8")).bin.ztmesh;
        assert.ok(fs.existsSync(path.join(clone, bin)), `npm ci did not build ${bin}`);
        checkBinWithNpx(commands, clone, workDir, { npm_config_cache: path.join(workDir, "npx-cache") });
    });

    it("cd policypack && npm ci installs the pack's dependencies there, and the root install stays whole", function () {
        assert.ok(rootInstalled, "the root install failed");
        const pack = path.join(clone, "policypack");
        commands.runOk("npm", npmCi, pack);
        packInstalled = true;
        for (const dependency of ["@pulumi/policy", "@pulumi/pulumi", "typescript"]) {
            assert.ok(fs.existsSync(path.join(pack, "node_modules", dependency, "package.json")), `policypack/node_modules lacks ${dependency}`);
        }
        // What a workspace-wide `npm ci` used to remove: the root's devDependencies.
        for (const dependency of ["mocha", "@types/mocha", "ts-node", "typescript"]) {
            assert.ok(fs.existsSync(path.join(clone, "node_modules", dependency, "package.json")), `the root node_modules lost ${dependency}`);
        }
        commands.runOk(path.join(clone, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.json", "--noEmit"], clone);
        checkBinWithNpx(commands, clone, workDir, { npm_config_cache: path.join(workDir, "npx-cache") });
    });

    it("the pack loads from its own install: @pulumi/policy from policypack/node_modules, the engine from ../analysis", function () {
        assert.ok(packInstalled, "the pack's install failed");
        const pack = path.join(clone, "policypack");
        const printed = commands.runOk(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", [
            "const { policies } = require('./policies');",
            "console.log(JSON.stringify({ policies: policies.map((p) => p.name), policy: require.resolve('@pulumi/policy'), engine: require.resolve('../analysis/reach') }));",
        ].join("\n")], pack);
        const loaded = JSON.parse(printed.trim().split("\n").pop()!);
        assert.ok(loaded.policies.includes("reachability-matches-intent"), `the pack's policies: ${loaded.policies.join(", ")}`);
        assert.strictEqual(fs.realpathSync(loaded.policy), fs.realpathSync(path.join(pack, "node_modules", "@pulumi", "policy", "index.js")));
        assert.strictEqual(fs.realpathSync(loaded.engine), fs.realpathSync(path.join(clone, "analysis", "reach.ts")));
    });
});
