/**
 * How commands report bad usage: "ztmesh reach: the problem", a blank line and the command's
 * help, on standard error, exit code 2 — the same for commander's own errors (an unknown flag,
 * a flag without its value) and for the checks a command makes of the values it was given.
 */
import { Command, CommanderError } from "commander";
import { escapeControl } from "../text/escape";
import { Io } from "./io";

/** A command line that cannot run as given; the message says what to change. */
export class UsageError extends Error {}

/** Help is laid out for this width whatever the terminal, so that it reads the same in a pipe and in tests. */
const helpWidth = 100;

/** `ztmesh reach`: how messages of `command` begin. */
export function commandPrefix(command: Command): string {
    const names: string[] = [];
    for (let current: Command | null = command; current; current = current.parent) names.unshift(current.name());
    return names.join(" ");
}

/** Sends `command`'s help to `io.stdout` and its errors, each followed by its help, to `io.stderr`. */
export function reportingTo(command: Command, io: Io): Command {
    return command
        .exitOverride()
        .configureHelp({ helpWidth })
        .showHelpAfterError(true)
        .configureOutput({
            writeOut: io.stdout,
            writeErr: io.stderr,
            // commander's messages begin "error: "; it writes a blank line and the help after them (showHelpAfterError).
            outputError: (message, write) => write(`${commandPrefix(command)}: ${escapeControl(message.replace(/^error: /, "").trimEnd())}\n`),
        });
}

/** Prints a `UsageError` as commander prints its own errors; returns exit code 2. */
export function reportUsageError(command: Command, io: Io, error: UsageError): number {
    io.stderr(`${commandPrefix(command)}: ${escapeControl(error.message)}\n\n${command.helpInformation()}`);
    return 2;
}

/** The exit code of a commander error: 0 after help was asked for, 2 for bad usage. */
export function commanderExitCode(error: CommanderError): number {
    return error.exitCode === 0 ? 0 : 2;
}
