/**
 * Renders one stack of a project folder (a revision copied by revisions.ts) with the real Pulumi
 * engine, as `npm run up` does for a stack without a cluster, but on a temporary file backend
 * inside the temporary folder: never the user's backend, never a stack anyone else uses, and
 * removing the folder removes the stack with its state.
 *
 * The stack's config is that revision's `Pulumi.<stack>.yaml`, changed in two places only, so
 * that the run renders whatever the stack targets: `ztmesh:cluster` becomes a render folder in
 * the temporary folder (a context would deploy) and `ztmesh:kubeconfig` goes. Everything else,
 * encrypted values and the secrets provider's salt included, stays as written; decrypting them
 * needs what `pulumi up` of that stack needs (PULUMI_CONFIG_PASSPHRASE, or access to the KMS key).
 * Pulumi's output is kept, not shown (it masks secrets anyway): a failed run shows its end.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { configPath } from "./configKeys";

/** A render that failed; the message names the side and ends with Pulumi's last lines. */
export class RenderError extends Error {}

export interface RenderRequest {
    /** The project folder of the revision (Pulumi.yaml, the stack file, node_modules). */
    readonly project: string;
    readonly stack: string;
    /** Where the rendered manifests go (created by the render). */
    readonly renderDirectory: string;
    /** The temporary file backend's folder. */
    readonly backend: string;
    /** One line of progress (the caller prefixes the side and the time). */
    readonly progress: (line: string) => void;
}

export interface Rendered {
    readonly directory: string;
    /** Pulumi's `warning: not rendered: ...` lines: charts and CRDs this render left out. */
    readonly leftOut: readonly string[];
}

/**
 * The stack file of `project` rewritten for a render into `renderDirectory`; a missing stack file
 * is an error naming the revision's stack files.
 */
export function renderStackFile(project: string, stack: string, renderDirectory: string): { text: string; usesSecrets: boolean; secretsProvider?: string } {
    const file = path.join(project, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) {
        const stacks = fs.readdirSync(project).flatMap((name) => /^Pulumi\.(.+)\.yaml$/.exec(name)?.[1] ?? []);
        throw new RenderError(`no stack "${stack}" there: Pulumi.${stack}.yaml does not exist (stacks: ${stacks.join(", ") || "none"})`);
    }
    const document = YAML.parseDocument(fs.readFileSync(file, "utf8"));
    if (document.errors.length > 0) {
        throw new RenderError(`Pulumi.${stack}.yaml: ${document.errors[0].message}`);
    }
    document.deleteIn(["config", configPath(["kubeconfig"])]);
    document.setIn(["config", configPath(["cluster"])], { renderDirectory });
    const secretsProvider = document.get("secretsprovider");
    return {
        text: document.toString(),
        usesSecrets: document.has("encryptionsalt") || document.has("encryptedkey") || secretsProvider !== undefined,
        secretsProvider: typeof secretsProvider === "string" ? secretsProvider : undefined,
    };
}

/** The Pulumi processes running now, to stop when the run is interrupted. */
const running = new Set<ChildProcess>();

/**
 * Stops every Pulumi process still running (the run was interrupted, or the other side failed;
 * its folder is about to go) and resolves once they have exited, so that none writes into the
 * folder while it is removed; after 10 s it resolves anyway.
 */
export function stopRenders(): Promise<void> {
    const exited = [...running].map((child) => new Promise<void>((resolve) => {
        child.once("close", () => resolve());
        child.kill("SIGTERM");
    }));
    return Promise.race([Promise.all(exited).then(() => undefined), new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref())]);
}

/** Runs `pulumi args` in `cwd`; resolves with its output, rejects naming the command when it fails. */
function pulumi(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv, onLine: (line: string) => void = () => {}): Promise<string> {
    return new Promise((resolve, reject) => {
        const child = spawn("pulumi", [...args, "--non-interactive"], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
        running.add(child);
        let output = "";
        let partial = "";
        const collect = (chunk: Buffer) => {
            const text = chunk.toString("utf8");
            output += text;
            const lines = (partial + text).split("\n");
            partial = lines.pop() ?? "";
            lines.forEach(onLine);
        };
        child.stdout.on("data", collect);
        child.stderr.on("data", collect);
        child.on("error", (error) => reject(new RenderError(`pulumi cannot be started (${error.message}); npm run diff finds it on PATH or builds it into .toolchain/`)));
        child.on("close", (code) => {
            running.delete(child);
            if (code === 0) {
                resolve(output);
            } else {
                reject(new RenderError(`pulumi ${args.join(" ")} exited ${code}:\n${output.trim().split("\n").slice(-30).join("\n")}`));
            }
        });
    });
}

/** Initialises the stack on the temporary backend and renders it with `pulumi up`. */
export async function renderRevision(request: RenderRequest): Promise<Rendered> {
    const { project, stack, renderDirectory, backend, progress } = request;
    const stackFile = renderStackFile(project, stack, renderDirectory);
    fs.writeFileSync(path.join(project, `Pulumi.${stack}.yaml`), stackFile.text);
    fs.mkdirSync(backend, { recursive: true });
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        PULUMI_BACKEND_URL: `file://${backend}`,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        // A config without secrets needs no passphrase, and dev's is empty (as in scripts/up.sh);
        // any other stack's comes from the caller's environment.
        ...(process.env.PULUMI_CONFIG_PASSPHRASE === undefined && process.env.PULUMI_CONFIG_PASSPHRASE_FILE === undefined && (!stackFile.usesSecrets || stack === "dev")
            ? { PULUMI_CONFIG_PASSPHRASE: "" } : {}),
    };
    await pulumi(["stack", "init", stack, ...(stackFile.secretsProvider ? ["--secrets-provider", stackFile.secretsProvider] : [])], project, env);
    progress("pulumi up (render mode)");
    let resources = 0;
    const heartbeat = setInterval(() => progress(`still rendering (${resources} resources done)`), 30_000);
    try {
        const output = await pulumi(["up", "--stack", stack, "--yes", "--skip-preview"], project, env, (line) => {
            if (/^\s+\+\s+\S+\s+\S+\s+created/.test(line)) {
                resources++;
            }
        });
        const leftOut = output.split("\n").map((line) => /warning: (not rendered: .*)$/.exec(line.trim())?.[1]).filter((line): line is string => line !== undefined);
        progress(`rendered ${resources} resources`);
        return { directory: renderDirectory, leftOut: [...new Set(leftOut)] };
    } finally {
        clearInterval(heartbeat);
    }
}
