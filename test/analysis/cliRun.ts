/** Runs the `ztmesh` command line in-process, collecting what it writes. */
import { main } from "../../analysis/cli";

export interface CliResult {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

export async function runCli(args: readonly string[]): Promise<CliResult> {
    let stdout = "";
    let stderr = "";
    const code = await main(args, { stdout: (text) => { stdout += text; }, stderr: (text) => { stderr += text; } });
    return { code, stdout, stderr };
}
