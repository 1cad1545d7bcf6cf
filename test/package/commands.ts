/**
 * Running npm, npx, node and tsc from the package tier's tests: each command prints a progress
 * line before and after (the tier takes minutes), and runs with the environment of a user's
 * shell rather than that of this project's `npm run`.
 */
import * as assert from "assert";
import { SpawnSyncReturns, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

export const projectRoot = path.resolve(__dirname, "..", "..");

/** Generous per-command limits: a cold npm cache or a slow disk must not fail the suite. */
const commandTimeoutMs = 300_000;

/** Progress lines of one suite, with seconds since `start()`. */
export class Commands {
    private started = Date.now();

    constructor(private readonly label: string) {}

    start(): void {
        this.started = Date.now();
    }

    progress(message: string): void {
        console.error(`    [${this.label} +${((Date.now() - this.started) / 1000).toFixed(1)}s] ${message}`);
    }

    /** Runs a command (no shell), printing a progress line before and after with elapsed seconds. */
    run(command: string, args: string[], cwd: string): SpawnSyncReturns<string> {
        const label = `${path.basename(command)} ${args.join(" ")}`;
        this.progress(`${label}  (in ${cwd})`);
        const stepStarted = Date.now();
        const result = spawnSync(command, args, {
            cwd,
            env: childEnv(),
            encoding: "utf8",
            timeout: commandTimeoutMs,
            maxBuffer: 64 * 1024 * 1024,
        });
        if (result.error) {
            throw new Error(`${label} could not run or timed out after ${commandTimeoutMs / 1000}s: ${result.error.message}`);
        }
        this.progress(`${label}  -> exit ${result.status} in ${((Date.now() - stepStarted) / 1000).toFixed(1)}s`);
        return result;
    }

    /** Runs a command that must succeed; a failure reports the tail of its output. */
    runOk(command: string, args: string[], cwd: string): string {
        const result = this.run(command, args, cwd);
        assert.strictEqual(result.status, 0,
            `${command} ${args.join(" ")} exited ${result.status}\n--- stdout ---\n${lastLines(result.stdout)}\n--- stderr ---\n${lastLines(result.stderr)}`);
        return result.stdout;
    }
}

/**
 * The environment for child commands, without the variables `npx`/`npm run` set for *this*
 * project (its package.json, lifecycle and local prefix), so that npm in another directory
 * acts on that directory's project. Cache, registry and user configuration are kept.
 */
export function childEnv(): NodeJS.ProcessEnv {
    const env = { ...process.env };
    for (const key of Object.keys(env)) {
        if (/^npm_(package_|lifecycle_|command$|config_local_prefix$|config_call$)/i.test(key)) {
            delete env[key];
        }
    }
    return env;
}

export function lastLines(text: string, count = 40): string {
    return text.trim().split("\n").slice(-count).join("\n");
}

export function writeFile(file: string, content: string): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
}

/**
 * A namespace of two pods where a NetworkPolicy admits only `a` to `b`, on TCP 8080, and the
 * lines `ztmesh reach` prints for it: egress and ingress from outside stay open, `b` reaches `a`.
 */
export const twoPods = {
    manifest: `apiVersion: v1
kind: Pod
metadata: {name: a, namespace: shop, labels: {app: a}}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: shop, labels: {app: b}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: b, namespace: shop}
spec:
  podSelector: {matchLabels: {app: b}}
  policyTypes: [Ingress]
  ingress:
  - from: [{podSelector: {matchLabels: {app: a}}}]
    ports: [{port: 8080}]
`,
    flows: [
        "0.0.0.0-255.255.255.255[External] => shop/a[Pod] : All Connections",
        "shop/a[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections",
        "shop/a[Pod] => shop/b[Pod] : TCP 8080",
        "shop/b[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections",
        "shop/b[Pod] => shop/a[Pod] : All Connections",
    ],
};

/**
 * `ztmesh --help`, `ztmesh reach` on the two pods (also as SVG, drawn by the installed WebAssembly
 * Graphviz), and `ztmesh diff` from the pods without their policy, run with `npx` in `cwd` (a
 * project that has ztmesh).
 */
export function checkBinWithNpx(commands: Commands, cwd: string, scratch: string): void {
    const help = commands.runOk("npx", ["--no-install", "ztmesh", "--help"], cwd);
    assert.match(help, /^Usage: ztmesh <command> \[options\]\n[^]*\n  reach \[options\]/);
    assert.match(commands.runOk("npx", ["--no-install", "ztmesh", "reach", "--help"], cwd), /^Usage: ztmesh reach <dir-or-file>/);
    const folder = path.join(scratch, "two-pods");
    writeFile(path.join(folder, "shop.yaml"), twoPods.manifest);
    const printed = commands.runOk("npx", ["--no-install", "ztmesh", "reach", folder], cwd);
    assert.deepStrictEqual(printed.trimEnd().split("\n"), twoPods.flows);
    const svg = commands.runOk("npx", ["--no-install", "ztmesh", "reach", folder, "-o", "svg"], cwd);
    assert.match(svg, /<svg [^]*<title>shop\/a\[Pod\]&#45;&gt;shop\/b\[Pod\]<\/title>/);
    const open = path.join(scratch, "two-pods-open.yaml");
    writeFile(open, twoPods.manifest.slice(0, twoPods.manifest.indexOf("---\napiVersion: networking.k8s.io/v1")));
    assert.strictEqual(commands.runOk("npx", ["--no-install", "ztmesh", "diff", open, folder], cwd), [
        "Connectivity diff:",
        "diff-type: changed, source: shop/a[Pod], destination: shop/b[Pod], dir1: All Connections, dir2: TCP 8080",
        "diff-type: removed, source: 0.0.0.0-255.255.255.255[External], destination: shop/b[Pod], dir1: All Connections, dir2: No Connections",
        "",
    ].join("\n"));
    // eval in netpol-analyzer's spelling: the verdict line, and the verdict as the exit code (0 allowed, 3 denied).
    const evalArgs = (port: string) => ["--no-install", "ztmesh", "eval", "--dirpath", folder, "-s", "a", "-n", "shop", "-d", "b", "--destination-namespace", "shop", "-p", port, "-q"];
    assert.strictEqual(commands.runOk("npx", evalArgs("8080"), cwd), "shop/a => shop/b over tcp/8080: true\n");
    const denied = commands.run("npx", evalArgs("9090"), cwd);
    assert.deepStrictEqual([denied.status, denied.stdout], [3, "shop/a => shop/b over tcp/9090: false\n"]);
}
