/**
 * A fresh clone, as a newcomer gets it: `npm ci` (whose `prepare` builds dist/) makes
 * `npx ztmesh` work, and the policy pack installs as its own npm project (`cd policypack &&
 * npm ci`, the usual habit for a CrossGuard pack) without touching the root install; Pulumi's
 * policy runner then serves the pack from its TypeScript sources.
 *
 * The clone is of this repository's committed HEAD; npm installs from the user's npm cache
 * (`--prefer-offline`). `npx` in the clone links the project under the cache's _npx/ to find
 * its bin; that entry is removed with the clone.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { policies } from "../../policypack/policies";
import { checkBinWithNpx, Commands, projectRoot, writeFile } from "./commands";
import { ServedPack } from "./policyAnalyzer";

const commands = new Commands("freshClone.package");
const npmCi = ["ci", "--prefer-offline", "--no-audit", "--no-fund"];
const realPath = (file: string) => fs.realpathSync(file);

/**
 * `npx <bin>` of the project in the current folder installs a link to it under the npm cache's
 * _npx/; removes the entries that link to `project` (the clone, about to be deleted).
 */
function removeNpxEntries(project: string): void {
    const npx = path.join(commands.runOk("npm", ["config", "get", "cache"], project).trim(), "_npx");
    for (const entry of fs.existsSync(npx) ? fs.readdirSync(npx) : []) {
        const link = path.join(npx, entry, "node_modules", "ztmesh");
        if (fs.existsSync(link) && fs.lstatSync(link).isSymbolicLink() && realPath(link) === realPath(project)) {
            fs.rmSync(path.join(npx, entry), { recursive: true, force: true });
            commands.progress(`removed npx's link to the clone, ${path.join(npx, entry)}`);
        }
    }
}

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
        if (rootInstalled) {
            removeNpxEntries(clone);
        }
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
        checkBinWithNpx(commands, clone, workDir);
    });

    it("cd policypack && npm ci installs the pack's dependencies there; the root install, its typecheck and the pack's tests stay whole", function () {
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
        // The pack's tests, with the pack's own @pulumi/policy beside the root's: unknown values
        // are recognised by class, so this fails if the harness and the pack load different copies.
        commands.runOk(path.join(clone, "node_modules", ".bin", "mocha"), ["--no-config", "-r", "ts-node/register/transpile-only", "--timeout", "120000", "test/policypack/semantics.test.ts"], clone);
        checkBinWithNpx(commands, clone, workDir);
    });

    it("the pack loads from its own install: @pulumi/policy from policypack/node_modules, the engine from ../analysis", function () {
        assert.ok(packInstalled, "the pack's install failed");
        const pack = path.join(clone, "policypack");
        // Loads the pack's policies as the policy runtime does, then lists the modules that loaded.
        const script = path.join(workDir, "loadPack.js");
        writeFile(script, `const path = require("path");
const { policies } = require(path.join(process.cwd(), "policies"));
const loaded = Object.keys(require.cache);
console.log(JSON.stringify({
    policies: policies.map((policy) => policy.name),
    policy: loaded.filter((file) => file.endsWith(path.join("@pulumi", "policy", "index.js"))),
    engine: loaded.filter((file) => file.endsWith(path.join("analysis", "reach.ts"))),
}));
`);
        const printed = commands.runOk(process.execPath, ["-r", "ts-node/register/transpile-only", script], pack);
        const loaded = JSON.parse(printed.trim().split("\n").pop()!);
        assert.ok(loaded.policies.includes("reachability-matches-intent"), `the pack's policies: ${loaded.policies.join(", ")}`);
        assert.deepStrictEqual(loaded.policy.map(realPath), [realPath(path.join(pack, "node_modules", "@pulumi", "policy", "index.js"))]);
        assert.deepStrictEqual(loaded.engine.map(realPath), [realPath(path.join(clone, "analysis", "reach.ts"))]);
    });

    it("Pulumi's policy runner serves the checkout's pack from its sources, even beside a stale dist/ (as `pulumi preview --policy-pack policypack` loads it)", async function () {
        assert.ok(packInstalled, "the pack's install failed");
        const pack = path.join(clone, "policypack");
        // What an earlier `npm pack` leaves behind, made to fail if it were loaded instead of index.ts.
        writeFile(path.join(pack, "dist", "policypack", "index.js"), "throw new Error(\"stale dist/ loaded instead of the sources\");\n");
        const served = await ServedPack.start(pack);
        try {
            const info = await served.info();
            assert.strictEqual(info.name, "ztmesh-zero-trust");
            assert.deepStrictEqual([...info.policies].sort(), policies.map((policy) => policy.name).sort());
        } finally {
            served.stop();
        }
    });
});
