/**
 * Child-process side of `runCases` (harness.ts): runs `ztmesh reach` with each argument list
 * given as JSON in argv[2], one after the other, and prints each result as a JSON line as soon
 * as it is known, so the parent sees which case hung when it kills this process.
 */
import { main } from "../../analysis/cli";

async function runAll(cases: string[][]): Promise<void> {
    for (const args of cases) {
        let stdout = "";
        let stderr = "";
        const code = await main(["reach", ...args], { stdout: (text) => { stdout += text; }, stderr: (text) => { stderr += text; } });
        process.stdout.write(`${JSON.stringify({ code, stdout, stderr })}\n`);
    }
}

void runAll(JSON.parse(process.argv[2]) as string[][]);
