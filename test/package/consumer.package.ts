/**
 * ztmesh as a package, seen from another Pulumi program.
 *
 * Proves, end to end and against the real npm tarball (not the sources in this repository):
 * - `npm run build` emits dist/ with declarations, and package.json `main`, `types` and
 *   `exports["."]` point at files that exist;
 * - `npm pack` ships dist/ and nothing of the sources, tests, stacks or node_modules;
 * - a fresh consumer project installs the tarball next to @pulumi/pulumi and @pulumi/kubernetes;
 * - its `ztmesh` command runs with `npx` (the bin ships built, with its dependencies declared);
 * - a plain-JavaScript consumer program constructs a MeshService under Pulumi's mocks and gets
 *   its NetworkPolicy, AuthorizationPolicy and Deployment;
 * - a TypeScript consumer type-checks against the shipped declarations, and a wrong argument
 *   fails to compile, so the declarations are real types and not `any`.
 *
 * The consumer's package.json has no `overrides`: ztmesh depends on nothing that pulls in a
 * second Pulumi or Kubernetes SDK, and the install test below proves it (one version of each in
 * the tree).
 */
import * as assert from "assert";
import { SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { checkBinWithNpx, Commands, lastLines, projectRoot, writeFile } from "./commands";

const projectPackage = JSON.parse(fs.readFileSync(path.join(projectRoot, "package.json"), "utf8"));
const tsc = path.join(projectRoot, "node_modules", ".bin", "tsc");
const commands = new Commands("consumer.package");
const run = commands.run.bind(commands);
const runOk = commands.runOk.bind(commands);

/** Every file target of a package.json `exports` entry (a path or nested conditions). */
function exportTargets(entry: unknown): string[] {
    if (typeof entry === "string") {
        return [entry];
    }
    if (entry && typeof entry === "object") {
        return Object.values(entry).flatMap(exportTargets);
    }
    return [];
}

/** Every version of `name` anywhere in an `npm ls --all --json` tree. */
function versionsInTree(tree: any, name: string, found = new Set<string>()): Set<string> {
    for (const [dependency, node] of Object.entries<any>(tree.dependencies ?? {})) {
        if (dependency === name && node.version) {
            found.add(node.version);
        }
        versionsInTree(node, name, found);
    }
    return found;
}

/** The consumer's package.json: the tarball and the SDKs at our exact versions, nothing else. */
function consumerPackageJson(tarball: string): object {
    return {
        name: "ztmesh-consumer",
        version: "0.0.0",
        private: true,
        dependencies: {
            "ztmesh": `file:${tarball}`,
            "@pulumi/pulumi": projectPackage.dependencies["@pulumi/pulumi"],
            "@pulumi/kubernetes": projectPackage.dependencies["@pulumi/kubernetes"],
        },
    };
}

/**
 * A CommonJS Pulumi program as a consumer writes it. Mocks are set before ztmesh is required
 * (resources register against the runtime that exists when they are constructed); it prints
 * the recorded registrations as JSON on the last line of stdout once they settle.
 */
const consumerProgram = `"use strict";
const pulumi = require("@pulumi/pulumi");

const recorded = [];
const failures = [];
process.on("unhandledRejection", (reason) => failures.push(reason));
pulumi.runtime.setMocks({
    newResource(args) {
        recorded.push({ type: args.type, name: args.name, inputs: args.inputs });
        return { id: args.name + "-id", state: args.inputs };
    },
    call(args) {
        return args.inputs;
    },
}, "consumer", "test", false);

const { MeshService, meshEndpoint } = require("ztmesh");

new MeshService("ratings", {
    namespace: "shop",
    ports: [{ name: "http", port: 9080 }],
    versions: [{ name: "v1", image: "example/ratings:1" }],
    callers: [{
        from: meshEndpoint("reviews", { namespace: "shop", ports: [{ name: "http", port: 9080 }] }),
        methods: ["GET"],
    }],
});

async function settled() {
    let quietRounds = 0;
    let lastCount = -1;
    while (quietRounds < 10) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        quietRounds = recorded.length === lastCount ? quietRounds + 1 : 0;
        lastCount = recorded.length;
    }
}

settled().then(() => {
    if (failures.length > 0) {
        console.error(failures.map((f) => (f && f.stack) || String(f)).join("\\n"));
        process.exit(1);
    }
    process.stdout.write(JSON.stringify(recorded) + "\\n");
});
`;

/** A typed TypeScript consumer: must compile under --strict. */
const consumerTypeScript = `import { MeshService, MeshServiceArgs, meshEndpoint } from "ztmesh";

const reviews = meshEndpoint("reviews", { namespace: "shop", ports: [{ name: "http", port: 9080 }] });

const args: MeshServiceArgs = {
    namespace: "shop",
    ports: [{ name: "http", port: 9080, protocol: "http" }],
    versions: [{ name: "v1", image: "example/ratings:1", weight: 100 }],
    callers: [{ from: reviews, methods: ["GET"] }],
};

const ratings = new MeshService("ratings", args);
export const principal: string = ratings.principal;
export const host: string = ratings.endpoint.host;
`;

/** The same declaration with a deliberate type error: `ports` must be ServicePort[], not a string. */
const brokenTypeScript = `import { MeshServiceArgs } from "ztmesh";

export const args: MeshServiceArgs = {
    namespace: "shop",
    ports: "http",
};
`;

interface Recorded {
    type: string;
    name: string;
    inputs: Record<string, any>;
}

function findRecorded(resources: Recorded[], type: string, predicate: (r: Recorded) => boolean): Recorded {
    const found = resources.find((r) => r.type === type && predicate(r));
    assert.ok(found, `no ${type} matched; registered: ${resources.map((r) => `${r.type} ${r.name}`).join(", ")}`);
    return found;
}

describe("ztmesh as an npm package consumed by another Pulumi program", function () {
    this.timeout(600_000);

    let workDir = "";
    let consumerDir = "";
    let tarball = "";
    let installed = false;

    before(function () {
        commands.start();
        workDir = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-package-test-"));
        consumerDir = path.join(workDir, "consumer");
        fs.mkdirSync(consumerDir);
        commands.progress(`working in ${workDir}`);
    });

    // Mocha runs `after` even when a test or `before` fails, so the temporary tree never stays.
    after(function () {
        if (workDir) {
            fs.rmSync(workDir, { recursive: true, force: true });
            commands.progress(`removed ${workDir}`);
        }
        // dist/ stays: it is the git-ignored output of `npm run build`, and deleting it could pull
        // it from under a concurrent run of this suite between its build and its pack.
    });

    function requireTarball(): string {
        assert.ok(tarball, "no tarball: the pack step failed");
        return tarball;
    }

    function requireInstalled(): void {
        assert.ok(installed, "the consumer is not installed: the install step failed");
    }

    it("builds dist/ with declarations, and main, types and exports['.'] point at built files", function () {
        runOk("npm", ["run", "build"], projectRoot);
        for (const file of ["dist/components/index.js", "dist/components/index.d.ts"]) {
            assert.ok(fs.existsSync(path.join(projectRoot, file)), `${file} was not built`);
        }
        const targets = [projectPackage.main, projectPackage.types, ...exportTargets(projectPackage.exports?.["."])];
        assert.ok(projectPackage.main && projectPackage.types, "package.json needs main and types");
        assert.ok(exportTargets(projectPackage.exports?.["."]).length > 0, "package.json exports['.'] names no file");
        for (const target of targets) {
            assert.ok(fs.existsSync(path.join(projectRoot, target)), `package.json points at ${target}, which the build did not produce`);
        }
    });

    it("packs a tarball with dist/ and without sources, tests, stacks or node_modules", function () {
        const packDir = path.join(workDir, "pack");
        fs.mkdirSync(packDir);
        runOk("npm", ["pack", "--pack-destination", packDir], projectRoot);
        const tarballs = fs.readdirSync(packDir).filter((file) => file.endsWith(".tgz"));
        assert.strictEqual(tarballs.length, 1, `expected one tarball in ${packDir}, found: ${tarballs.join(", ") || "none"}`);
        const packed = path.join(packDir, tarballs[0]);

        // npm puts every file under package/.
        const entries = runOk("tar", ["-tzf", packed], workDir)
            .split("\n")
            .filter((line) => line.trim() !== "")
            .map((line) => line.replace(/^package\//, ""));
        for (const required of ["package.json", "dist/components/index.js", "dist/components/index.d.ts", projectPackage.bin.ztmesh]) {
            assert.ok(entries.includes(required), `the tarball lacks ${required}; it has: ${entries.join(", ")}`);
        }
        const forbidden = entries.filter((entry) =>
            /^(test|stacks|components)\//.test(entry)
            || /(^|\/)node_modules\//.test(entry)
            || (entry.endsWith(".ts") && !entry.endsWith(".d.ts")));
        assert.deepStrictEqual(forbidden, [], "the tarball ships sources, tests, stacks or node_modules");
        tarball = packed;
    });

    it("installs into a fresh consumer, without overrides, with one @pulumi/kubernetes and one @pulumi/pulumi", function () {
        writeFile(path.join(consumerDir, "package.json"), JSON.stringify(consumerPackageJson(requireTarball()), null, 2) + "\n");
        runOk("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], consumerDir);
        assert.ok(fs.existsSync(path.join(consumerDir, "node_modules", "ztmesh", "dist", "components", "index.js")), "ztmesh was not installed from the tarball");
        installed = true;

        for (const sdk of ["@pulumi/kubernetes", "@pulumi/pulumi"]) {
            const tree = JSON.parse(runOk("npm", ["ls", sdk, "--all", "--json"], consumerDir));
            const versions = [...versionsInTree(tree, sdk)];
            assert.deepStrictEqual(versions, [projectPackage.dependencies[sdk]],
                `the consumer has ${sdk} at ${versions.join(", ")}; expected only ${projectPackage.dependencies[sdk]}`);
        }
    });

    it("runs the installed `ztmesh` command: npx ztmesh --help, and ztmesh reach on a folder", function () {
        requireInstalled();
        checkBinWithNpx(commands, consumerDir, workDir);
    });

    it("runs a plain-JavaScript consumer program: MeshService registers NetworkPolicy, AuthorizationPolicy and Deployment", function () {
        requireInstalled();
        writeFile(path.join(consumerDir, "program.js"), consumerProgram);
        const stdout = runOk(process.execPath, ["program.js"], consumerDir);
        const resources: Recorded[] = JSON.parse(lastLines(stdout, 1));

        findRecorded(resources, "ztmesh:index:MeshService", (r) => r.name === "ratings");

        const networkPolicy = findRecorded(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            (r) => r.inputs.metadata?.name === "ratings" && r.inputs.metadata?.namespace === "shop");
        const ingress: any[] = networkPolicy.inputs.spec?.ingress ?? [];
        assert.ok(ingress.some((rule) =>
            (rule.from ?? []).some((peer: any) => isDeepEqual(peer.podSelector?.matchLabels, { app: "reviews" }))
            && (rule.ports ?? []).some((port: any) => port.protocol === "TCP" && port.port === 9080)),
        `no ingress rule from app=reviews on TCP 9080: ${JSON.stringify(ingress)}`);

        const authorizationPolicy = findRecorded(resources, "kubernetes:security.istio.io/v1:AuthorizationPolicy",
            (r) => r.inputs.metadata?.name === "ratings" && r.inputs.metadata?.namespace === "shop");
        const rules: any[] = authorizationPolicy.inputs.spec?.rules ?? [];
        assert.ok(rules.some((rule) =>
            (rule.from ?? []).some((from: any) => (from.source?.principals ?? []).includes("cluster.local/ns/shop/sa/reviews"))
            && (rule.to ?? []).some((to: any) => isDeepEqual(to.operation?.methods, ["GET"]))),
        `no rule for cluster.local/ns/shop/sa/reviews with methods [GET]: ${JSON.stringify(rules)}`);

        const deployment = findRecorded(resources, "kubernetes:apps/v1:Deployment", (r) => r.inputs.metadata?.name === "ratings-v1");
        assert.strictEqual(deployment.inputs.metadata.namespace, "shop");
        assert.strictEqual(deployment.inputs.spec?.template?.spec?.containers?.[0]?.image, "example/ratings:1");
    });

    /**
     * The project's own tsc, strict, on one consumer file. Run in the consumer directory, it
     * resolves "ztmesh" from the consumer's node_modules; `listFiles` prints what it read.
     */
    function typeCheck(file: string, listFiles = false): SpawnSyncReturns<string> {
        return run(tsc, [
            "--noEmit", "--strict", "--esModuleInterop", "--skipLibCheck",
            "--module", "commonjs", "--moduleResolution", "node", "--target", "ES2022",
            // No ambient types from this project: only what the consumer installed.
            "--typeRoots", path.join(consumerDir, "node_modules", "@types"),
            ...(listFiles ? ["--listFiles"] : []),
            file,
        ], consumerDir);
    }

    it("type-checks a TypeScript consumer against the shipped declarations", function () {
        requireInstalled();
        writeFile(path.join(consumerDir, "index.ts"), consumerTypeScript);
        const result = typeCheck("index.ts", true);
        assert.strictEqual(result.status, 0, `tsc rejected the consumer:\n${lastLines(result.stdout)}\n${lastLines(result.stderr)}`);
        // The declarations came from the installed tarball, not from this repository.
        const shipped = path.join(fs.realpathSync(consumerDir), "node_modules", "ztmesh", "dist", "components", "index.d.ts");
        const listed = result.stdout.split("\n").map((line) => line.trim()).filter((line) => fs.existsSync(line)).map((line) => fs.realpathSync(line));
        assert.ok(listed.includes(shipped), `tsc did not read ${shipped}`);
        assert.ok(!listed.some((file) => file.startsWith(path.join(projectRoot, "components"))), "tsc read this repository's sources");
    });

    it("rejects a TypeScript consumer with a wrong argument type (the declarations are not `any`)", function () {
        requireInstalled();
        writeFile(path.join(consumerDir, "broken.ts"), brokenTypeScript);
        const result = typeCheck("broken.ts");
        const output = `${result.stdout}\n${result.stderr}`;
        assert.notStrictEqual(result.status, 0, "tsc accepted `ports: \"http\"` for MeshServiceArgs");
        assert.match(output, /broken\.ts\(\d+,\d+\): error TS2322/, `tsc failed, but not with a type error in broken.ts:\n${lastLines(output)}`);
        assert.match(output, /ServicePort\[\]/, `the error does not name ServicePort[]:\n${lastLines(output)}`);
    });
});

function isDeepEqual(actual: unknown, expected: unknown): boolean {
    try {
        assert.deepStrictEqual(actual, expected);
        return true;
    } catch {
        return false;
    }
}
