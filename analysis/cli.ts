/**
 * The `ztmesh` command line: one command per file in commands/, parsed with commander (no
 * dependencies, about 8 ms to load; it gives each command its options, help and errors for
 * unknown flags). A command file exports a function that, given where to write (`Io`) and where
 * to report its exit code, returns its commander `Command`, reporting through
 * `commands/usage.ts`; it is added to the program below. The options two commands share live in
 * `commands/inputOptions.ts`, `commands/outputOptions.ts` and `commands/focusOptions.ts`. Exit
 * codes: 0 success, 1 unexpected failure (and `diff --fail-on-change` when something changed),
 * 2 bad usage or a manifest or policy that cannot be read, 3 `eval`'s verdict "denied".
 */
import { Command, CommanderError } from "commander";
import { diffCommand } from "./commands/diff";
import { evalCommand } from "./commands/eval";
import { Io, processIo } from "./commands/io";
import { listCommand } from "./commands/list";
import { reachCommand, reachSpelling } from "./commands/reach";
import { commanderExitCode, reportingTo } from "./commands/usage";

export type { Io } from "./commands/io";

/** Runs the command line `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
    let exitCode = 0;
    const done = (code: number) => {
        exitCode = code;
    };
    const program = reportingTo(new Command("ztmesh"), io)
        .usage("<command> [options]")
        .description("Evaluates Kubernetes NetworkPolicy, Calico and Istio policy in manifests: which workloads may reach which.\n`ztmesh <command> --help` describes a command.")
        .addCommand(reachCommand(reachSpelling, io, done))
        .addCommand(listCommand(io, done))
        .addCommand(diffCommand(io, done))
        .addCommand(evalCommand(io, done));
    if (argv.length === 0) {
        io.stderr(`ztmesh: no command given\n\n${program.helpInformation()}`);
        return 2;
    }
    try {
        await program.parseAsync([...argv], { from: "user" });
        return exitCode;
    } catch (error) {
        if (error instanceof CommanderError) {
            return commanderExitCode(error);
        }
        throw error;
    }
}
