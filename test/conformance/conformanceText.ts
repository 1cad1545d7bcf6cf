/**
 * Helpers the conformance tests share: the upstream data's location, reading a case's recorded
 * flags, and comparing whole texts with a readable first difference.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { projectRoot } from "../harness/stackConfig";

/** A folder of ../shared/conformance (upstream test vectors, not written by this project). */
export function conformanceFolder(name: string): string {
    return path.resolve(projectRoot, "..", "shared", "conformance", name);
}

/** The case folders of a conformance folder, by name. */
export function caseNames(folder: string): string[] {
    return fs.readdirSync(folder, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
}

/** A case's `args` file: netpol-analyzer's command-line words, one a line (empty for a plain list). */
export function caseArgs(caseFolder: string): string[] {
    return fs.readFileSync(path.join(caseFolder, "args"), "utf8").split("\n").map((line) => line.trim()).filter((line) => line !== "");
}

/** A case's `args` file as netpol-analyzer's flags (`--explain` aside, which the caller knows): `--exposure`, `--focusworkload W`, `--focus-direction D`. */
export function caseFlags(caseFolder: string): { exposure: boolean; focusworkload?: string[]; focusDirection?: string } {
    const words = caseArgs(caseFolder);
    const valueOf = (flag: string) => {
        const at = words.indexOf(flag);
        return at < 0 ? undefined : words[at + 1];
    };
    const known = new Set(["--explain", "--exposure", "--focusworkload", "--focus-direction"]);
    const unknown = words.filter((word, i) => word.startsWith("--") && !known.has(word) && !known.has(words[i - 1]));
    assert.deepStrictEqual(unknown, [], `flags this test does not map in ${caseFolder}`);
    return { exposure: words.includes("--exposure"), focusworkload: valueOf("--focusworkload")?.split(","), focusDirection: valueOf("--focus-direction") };
}

/** The expected outputs of a case, by format (`txt`, `csv`, `md`, `dot`). */
export function expectedFiles(caseFolder: string): Map<string, string> {
    return new Map(fs.readdirSync(caseFolder).filter((file) => /^expected\.\w+$/.test(file)).map((file) => [file.slice("expected.".length), fs.readFileSync(path.join(caseFolder, file), "utf8")]));
}

function firstDifference(actual: string, expected: string): string {
    const actualLines = actual.split("\n");
    const expectedLines = expected.split("\n");
    const at = expectedLines.findIndex((line, i) => line !== actualLines[i]);
    const first = at < 0 ? Math.min(actualLines.length, expectedLines.length) : at;
    const show = (lines: string[]) => lines.slice(first, first + 5).map((line) => `    ${JSON.stringify(line)}`).join("\n");
    return `first difference at line ${first + 1} (${actualLines.length} lines computed, ${expectedLines.length} expected)\n  expected:\n${show(expectedLines)}\n  computed:\n${show(actualLines)}`;
}

/** Byte-for-byte equality, failing with the first differing lines rather than two long texts. */
export function assertSameText(actual: string, expected: string, what = ""): void {
    if (actual !== expected) {
        throw new assert.AssertionError({ message: `${what}${what ? ": " : ""}${firstDifference(actual, expected)}` });
    }
}
