/**
 * Running `ztmesh reach` on hostile input: in this process (`run`), or in a child process with
 * a deadline (`runCases`) where the input could hang the command, so that a hang fails the
 * test instead of blocking mocha. Both capture the exit code and both outputs.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../../analysis/cli";
import { projectRoot } from "../harness/stackConfig";

export interface Run {
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

export async function run(args: readonly string[]): Promise<Run> {
    let stdout = "";
    let stderr = "";
    const code = await main(["reach", ...args], { stdout: (text) => { stdout += text; }, stderr: (text) => { stderr += text; } });
    return { code, stdout, stderr };
}

/**
 * The command with each argument list of `cases`, in one child process (starting one costs
 * seconds) killed after `deadlineMs`; a case the child did not finish is a run with code null.
 */
export function runCases(cases: readonly (readonly string[])[], deadlineMs = 30_000, env: NodeJS.ProcessEnv = process.env): Run[] {
    const child = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "runCases.ts"), JSON.stringify(cases)], {
        cwd: projectRoot,
        env,
        encoding: "utf8",
        timeout: deadlineMs,
        killSignal: "SIGKILL",
        maxBuffer: 1 << 26,
    });
    const finished = child.stdout.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as Run);
    const unfinished = { code: null, stdout: "", stderr: `did not finish within ${deadlineMs} ms (${child.stderr.slice(0, 500)})` };
    return cases.map((_, index) => finished[index] ?? unfinished);
}

/** Exit code 2, nothing on stdout, and one line on stderr matching `pattern`, with no stack trace. */
export function assertOneLineError(result: Run, pattern: RegExp): void {
    assert.strictEqual(result.code, 2, `exit code ${result.code}; stderr: ${result.stderr.slice(0, 2000)}`);
    assert.strictEqual(result.stdout, "");
    assert.match(result.stderr, /^ztmesh reach: [^\n]*\n$/, `not one line: ${JSON.stringify(result.stderr.slice(0, 2000))}`);
    assert.doesNotMatch(result.stderr, /\n\s+at |internal error/);
    assert.match(result.stderr, pattern);
}

/** A temporary folder for one test, removed by the returned `remove`. */
export function temporaryFolder(): { folder: string; remove: () => void } {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-hostile-"));
    return { folder, remove: () => fs.rmSync(folder, { recursive: true, force: true }) };
}

export const pod = (name: string, namespace = "shop") =>
    `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: ${namespace}, labels: {app: ${name}}}\nspec: {containers: [{name: main, image: example/app:1}]}\n`;
