import * as assert from "assert";
import * as path from "path";
import { runCli } from "../analysis/cliRun";
import { assertSameText, caseArgs, caseNames, conformanceFolder, expectedFiles } from "./conformanceText";

/**
 * netpol-analyzer's command lines, run as its users' scripts run them (`list --dirpath DIR
 * [-o FMT] ARGS`, `diff --dir1 A --dir2 B [-o FMT]`, the flags of each case as recorded in its
 * `args`), against its outputs byte for byte (../shared/conformance/netpol-diff, netpol-list,
 * netpol-exposure). The library-level tests beside this one check the same outputs without the
 * command line.
 */

/** `-o FMT` as netpol-analyzer's tests give it: nothing for txt, its default. */
const formatArgs = (format: string) => (format === "txt" ? [] : ["-o", format]);

/**
 * The diff files come from netpol-analyzer's library tests, which name the two sides `ref1` and
 * `ref2`; its CLI prints `dir1` and `dir2` in the same places (the conformance README), as this
 * command line does. So the expected text is mapped: every `ref1`/`ref2` of these files is such a
 * label (no workload or namespace of the cases has either name).
 */
const cliLabels = (expected: string) => expected.replace(/\bref([12])\b/g, "dir$1");

describe("netpol-analyzer's diff command line (conformance)", () => {
    const root = conformanceFolder("netpol-diff");
    for (const name of caseNames(root)) {
        const folder = path.join(root, name);
        for (const [format, expected] of expectedFiles(folder)) {
            it(`diff --dir1 --dir2 ${formatArgs(format).join(" ")}: ${name}`, async () => {
                const { code, stdout, stderr } = await runCli(["diff", "--dir1", path.join(folder, "dir1"), "--dir2", path.join(folder, "dir2"), ...formatArgs(format)]);
                assert.deepStrictEqual([code, stderr], [0, ""]);
                assertSameText(stdout, cliLabels(expected));
            });
        }
    }
});

describe("netpol-analyzer's list command line, with focus and exposure flags (conformance)", () => {
    for (const folderName of ["netpol-list", "netpol-exposure"]) {
        const root = conformanceFolder(folderName);
        for (const name of caseNames(root)) {
            const folder = path.join(root, name);
            for (const [format, expected] of expectedFiles(folder)) {
                const args = ["list", "--dirpath", path.join(folder, "input"), ...formatArgs(format), ...caseArgs(folder)];
                it(`${args.slice(3).join(" ")}: ${folderName}/${name}`, async () => {
                    const { code, stdout } = await runCli(args);
                    assert.strictEqual(code, 0);
                    assertSameText(stdout, expected);
                });
            }
        }
    }
});

describe("ztmesh's own spellings give netpol-analyzer's outputs", () => {
    it("diff BEFORE AFTER is diff --dir1 BEFORE --dir2 AFTER", async () => {
        const folder = path.join(conformanceFolder("netpol-diff"), "onlineboutique_workloads__onlineboutique_workloads_changed_netpols");
        const { code, stdout } = await runCli(["diff", path.join(folder, "dir1"), path.join(folder, "dir2"), "-o", "md"]);
        assert.strictEqual(code, 0);
        assertSameText(stdout, cliLabels(expectedFiles(folder).get("md")!));
    });

    it("reach DIR --focus-workload W is list --dirpath DIR --focusworkload W", async () => {
        const folder = path.join(conformanceFolder("netpol-list"), "onlineboutique_workloads_focus_workload_emailservice_connlist");
        assert.deepStrictEqual(caseArgs(folder), ["--focusworkload", "emailservice"]);
        const { code, stdout } = await runCli(["reach", path.join(folder, "input"), "--focus-workload", "emailservice", "-o", "csv"]);
        assert.strictEqual(code, 0);
        assertSameText(stdout, expectedFiles(folder).get("csv")!);
    });
});
