/**
 * The policy pack as `pulumi policy publish` ships it and as Pulumi installs it for an
 * organisation: publish runs `npm pack` in policypack/ (whose `prepack` compiles the pack with
 * the engine sources it imports into policypack/dist/), uploads the tarball, and each machine
 * that enforces the pack extracts it and installs its dependencies in the extracted folder.
 *
 * The test does the same outside the repository, with `npm install --omit=dev` so that only
 * the declared runtime dependencies exist, starts the installed pack with its own Pulumi policy
 * runner, and checks what the runner serves against the pack's sources in this checkout.
 */
import * as assert from "assert";
import * as fs from "fs";
import { builtinModules } from "module";
import * as os from "os";
import * as path from "path";
import { policies } from "../../policypack/policies";
import { runPolicyPack } from "../harness/policyPack";
import type { RecordedResource } from "../../stacks/offline";
import { Commands, projectRoot } from "./commands";
import { ServedPack } from "./policyAnalyzer";

const commands = new Commands("policyPack.package");
const packSource = path.join(projectRoot, "policypack");
const packPackage = JSON.parse(fs.readFileSync(path.join(packSource, "package.json"), "utf8"));
const rootPackage = JSON.parse(fs.readFileSync(path.join(projectRoot, "package.json"), "utf8"));

/**
 * Two Deployments of namespace shop; Service b declares `a` as its caller on TCP 8080, and a
 * NetworkPolicy admits `a` to `b` on 8080 and 9090: the reachability rule must find the
 * undeclared 9090 (through the engine: Kubernetes and Calico evaluation, intent, explanation),
 * beside what the syntactic rules say about a namespace without baseline or mesh.
 */
function smallStack(): RecordedResource[] {
    const resource = (type: string, name: string, inputs: Record<string, unknown>): RecordedResource => ({
        urn: `urn:pulumi:pack::shop::${type}::${name}`, type, name, custom: true, inputs, parent: "", dependencies: [], transforms: [], additionalSecretOutputs: [], retainOnDelete: false,
    });
    const deployment = (app: string) => resource("kubernetes:apps/v1:Deployment", app, {
        apiVersion: "apps/v1", kind: "Deployment", metadata: { name: app, namespace: "shop" },
        spec: { selector: { matchLabels: { app } }, template: { metadata: { labels: { app } }, spec: { serviceAccountName: app, containers: [{ name: app, image: `example/${app}:1` }] } } },
    });
    return [
        deployment("a"),
        deployment("b"),
        resource("kubernetes:core/v1:Service", "b", {
            apiVersion: "v1", kind: "Service",
            metadata: { name: "b", namespace: "shop", annotations: { "ztmesh.io/declared-callers": JSON.stringify([{ namespace: "shop", podLabels: { app: "a" }, ports: [8080] }]) } },
            spec: { selector: { app: "b" }, ports: [{ port: 8080 }] },
        }),
        resource("kubernetes:networking.k8s.io/v1:NetworkPolicy", "b", {
            apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "b", namespace: "shop" },
            spec: { podSelector: { matchLabels: { app: "b" } }, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: { matchLabels: { app: "a" } } }], ports: [{ port: 8080 }, { port: 9090 }] }] },
        }),
    ];
}

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
    return fs.readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((file) => fs.statSync(path.join(dir, file)).isFile());
}

/** The bare module names the compiled files require (`require("yaml")`, not `require("./x")`). */
function requiredPackages(dir: string): Set<string> {
    const names = new Set<string>();
    for (const file of filesUnder(dir).filter((f) => f.endsWith(".js"))) {
        for (const [, specifier] of fs.readFileSync(path.join(dir, file), "utf8").matchAll(/\brequire\("([^"./][^"]*)"\)/g)) {
            const parts = specifier.split("/");
            names.add(specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]);
        }
    }
    return names;
}

const sortedViolations = (violations: { policyName: string; message: string; urn?: string; enforcementLevel: string }[]) =>
    violations.map((v) => JSON.stringify([v.policyName, v.urn ?? "", v.enforcementLevel, v.message])).sort();

describe("the policy pack as `pulumi policy publish` packs it and Pulumi installs it", function () {
    this.timeout(600_000);

    let workDir = "";
    let tarball = "";
    let installed = "";

    before(function () {
        commands.start();
        workDir = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-policypack-test-"));
        commands.progress(`working in ${workDir}`);
    });

    after(function () {
        if (workDir) {
            fs.rmSync(workDir, { recursive: true, force: true });
            commands.progress(`removed ${workDir}`);
        }
        // policypack/dist/ stays: it is the git-ignored output of `prepack`, as dist/ is of `npm run build`.
    });

    it("declares the engine's runtime dependencies at the root's exact versions", function () {
        for (const [name, version] of Object.entries<string>(packPackage.dependencies)) {
            const rootVersion = rootPackage.dependencies[name] ?? rootPackage.devDependencies[name];
            assert.strictEqual(version, rootVersion, `policypack/package.json has ${name} ${version}; the root has ${rootVersion}`);
        }
    });

    it("npm pack compiles the pack and the engine into dist/ and ships them, PulumiPolicy.yaml and the schemas, and no sources", function () {
        const packDir = path.join(workDir, "pack");
        fs.mkdirSync(packDir);
        commands.runOk("npm", ["pack", "--pack-destination", packDir], packSource);
        const tarballs = fs.readdirSync(packDir).filter((file) => file.endsWith(".tgz"));
        assert.strictEqual(tarballs.length, 1, `expected one tarball in ${packDir}, found: ${tarballs.join(", ") || "none"}`);
        const packed = path.join(packDir, tarballs[0]);

        const entries = commands.runOk("tar", ["-tzf", packed], workDir).split("\n").filter((line) => line.trim() !== "").map((line) => line.replace(/^package\//, ""));
        for (const required of ["package.json", "PulumiPolicy.yaml", packPackage.main, "dist/policypack/index.js", "dist/policypack/rules/intent.js", "dist/analysis/reach.js", "dist/analysis/schema/generated/schemas.json", "dist/common/wellKnown.js"]) {
            assert.ok(entries.includes(required), `the tarball lacks ${required}; it has: ${entries.join(", ")}`);
        }
        // No TypeScript at all (no tsconfig.json either: it extends ../tsconfig.json, absent once
        // installed), nothing of the tests, the stacks or the conformance data, no node_modules.
        const forbidden = entries.filter((entry) => /\.ts$|^tsconfig|(^|\/)(test|stacks|shared|node_modules)\//.test(entry));
        assert.deepStrictEqual(forbidden, [], "the tarball ships sources, tests or data");
        tarball = packed;
    });

    it("every package the compiled pack requires is a declared dependency or part of Node.js", function () {
        assert.ok(tarball, "no tarball: the pack step failed");
        const undeclared = [...requiredPackages(path.join(packSource, "dist"))]
            .filter((name) => !builtinModules.includes(name) && !(name in packPackage.dependencies));
        assert.deepStrictEqual(undeclared, [], "policypack/package.json does not declare what dist/ requires");
    });

    it("installs as Pulumi installs a published pack: extracted outside the repository, `npm install --omit=dev`", function () {
        assert.ok(tarball, "no tarball: the pack step failed");
        commands.runOk("tar", ["-xzf", tarball, "-C", workDir], workDir);
        const extracted = path.join(workDir, "package");
        commands.runOk("npm", ["install", "--omit=dev", "--prefer-offline", "--no-audit", "--no-fund"], extracted);
        for (const dependency of Object.keys(packPackage.dependencies)) {
            assert.ok(fs.existsSync(path.join(extracted, "node_modules", dependency, "package.json")), `the installed pack lacks ${dependency}`);
        }
        installed = extracted;
    });

    it("Pulumi's policy runner serves the installed pack: its name, version and every rule, and on a small stack the same diagnostics as the sources, the reachability rule's among them", async function () {
        assert.ok(installed, "the pack is not installed: the install step failed");
        const resources = smallStack();
        const fromSources = await runPolicyPack(policies, resources);
        const served = await ServedPack.start(installed);
        try {
            const info = await served.info();
            assert.strictEqual(info.name, "ztmesh-zero-trust");
            assert.strictEqual(info.version, packPackage.version);
            assert.deepStrictEqual([...info.policies].sort(), policies.map((policy) => policy.name).sort());

            const diagnostics = await served.analyzeStack(resources);
            const reachability = diagnostics.filter((d) => d.policyName === "reachability-matches-intent");
            assert.strictEqual(reachability.length, 1, JSON.stringify(diagnostics, null, 2));
            assert.match(reachability[0].message, /^Service shop\/b lets shop\/a\[Deployment\] reach shop\/b\[Deployment\] \(TCP [^)]*9090\), which no declared caller covers; .*allowed by NetworkPolicy shop\/b rule 1/);
            // AnalyzeStack runs the stack rules; the engine asks each resource rule with Analyze instead.
            const stackRules = new Set(policies.filter((policy) => "validateStack" in policy).map((policy) => policy.name));
            assert.deepStrictEqual(sortedViolations(diagnostics), sortedViolations(fromSources.violations.filter((v) => stackRules.has(v.policyName))));
        } finally {
            served.stop();
        }
    });
});
