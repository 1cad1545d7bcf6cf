/**
 * What a command prints and where: `-o/--output FORMAT` and `-f/--file FILE` in
 * netpol-analyzer's spelling, and ztmesh's own `--json`, `--html` and `reach -o FILE`.
 *
 * `reach` took `-o/--output FILE` before it took formats, so there a value that is no format
 * name is still the file to write; the format names are a closed list of bare words
 * (`outputFormatNames`), so `-o ./json` writes a file named json. `list`, which follows
 * netpol-analyzer, takes only formats after `-o`.
 */
import { Command, Option } from "commander";
import { wouldBeRead } from "../files/inputFiles";
import { OutputError, outputTarget } from "../files/outputFile";
import { UsageError } from "./usage";

/**
 * Every format name `-o` knows, including those a command does not write (yet): netpol-analyzer's
 * (txt, json, dot, svg, csv, md) and ztmesh's html. Reserving them keeps `reach -o svg` from ever
 * meaning a file named svg.
 */
export const outputFormatNames = ["txt", "json", "html", "csv", "md", "dot", "svg"] as const;
export type OutputFormat = (typeof outputFormatNames)[number];

/** How `-o/--output` reads its value: only a format (netpol-analyzer), or a format or else a file (ztmesh reach). */
export type OutputFlag = "format" | "format-or-file";

export interface OutputFlags {
    readonly output?: string;
    readonly file?: string;
    readonly json?: boolean;
    readonly html?: boolean;
}

/** The file to write: as given (for messages) and its real path (files/outputFile.ts). */
export interface OutputFile {
    readonly shown: string;
    readonly target: string;
}

export interface OutputChoice {
    readonly format: OutputFormat;
    /** The file to write, as given; undefined: standard output. */
    readonly file?: string;
}

/** Adds the output flags to `command`. */
export function addOutputOptions(command: Command, outputFlag: OutputFlag, formats: readonly OutputFormat[]): Command {
    const formatList = formats.join(", ");
    return command
        .addOption(new Option("-o, --output <format>", outputFlag === "format"
            ? `output format: ${formatList} (default txt)`
            : `output format: ${formatList} (default txt); any other value is a FILE to write, as -f FILE`))
        .addOption(new Option("-f, --file <file>", "write to FILE instead of standard output (written whole or not at all; FILE may not be one of the manifests read)"))
        .addOption(new Option("--json", "the same as -o json"))
        .addOption(new Option("--html", "the same as -o html"));
}

function isFormatName(value: string): value is OutputFormat {
    return (outputFormatNames as readonly string[]).includes(value);
}

/** The format and file the flags ask for: one format however spelled, one the command writes, and at most one file. */
export function outputChoice(flags: OutputFlags, outputFlag: OutputFlag, formats: readonly OutputFormat[]): OutputChoice {
    const requested: { spelling: string; format: OutputFormat }[] = [];
    const files: { spelling: string; file: string }[] = [];
    if (flags.output !== undefined) {
        if (isFormatName(flags.output)) {
            requested.push({ spelling: `-o ${flags.output}`, format: flags.output });
        } else if (outputFlag === "format-or-file") {
            files.push({ spelling: "-o FILE", file: flags.output });
        } else {
            throw new UsageError(`-o/--output takes an output format (${formats.join(", ")}), found ${JSON.stringify(flags.output)}; write to a file with -f/--file FILE`);
        }
    }
    if (flags.json) requested.push({ spelling: "--json", format: "json" });
    if (flags.html) requested.push({ spelling: "--html", format: "html" });
    if (flags.file !== undefined) files.push({ spelling: "-f FILE", file: flags.file });
    const distinct = requested.filter((request, index) => requested.findIndex((other) => other.format === request.format) === index);
    if (distinct.length > 1) {
        throw new UsageError(`${distinct[0].spelling} and ${distinct[1].spelling} are two output formats; give one`);
    }
    const format = distinct[0]?.format ?? "txt";
    if (!formats.includes(format)) {
        throw new UsageError(`${distinct[0].spelling}: this command writes ${formats.join(", ")} only${outputFlag === "format-or-file" ? ` (to write a file named ${format}, give -f ${format})` : ""}`);
    }
    if (files.length > 1) {
        throw new UsageError(`${files[0].spelling} and ${files[1].spelling} both name the file to write; give one`);
    }
    return files.length === 0 ? { format } : { format, file: files[0].file };
}

/** The output file, checked before anything is read: writable, and not one of the inputs. */
export function checkedOutputFile(output: string, inputs: readonly string[]): OutputFile {
    const target = outputTarget(output);
    if (wouldBeRead(target, inputs)) {
        throw new OutputError(output, "is among the manifests read (or would be read by the next run); write it outside the folders given");
    }
    return { shown: output, target };
}
