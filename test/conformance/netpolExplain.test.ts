import * as assert from "assert";
import * as path from "path";
import { runCli } from "../analysis/cliRun";
import { assertSameText, caseArgs, caseNames, conformanceFolder, expectedFiles } from "./conformanceText";

/**
 * netpol-analyzer's `list --explain` (with --exposure and the focus flags each case records in
 * its `args`), run as its users run it, against its outputs byte for byte
 * (../shared/conformance/netpol-explain).
 */
/**
 * netpol-analyzer reads manifests leniently; ztmesh checks fields as strictly as kubectl by
 * default. One input (netpol_named_port_test) has a lower-case `containerport:` key, which the
 * API server would drop: warn mode analyses the object as stored, as netpol-analyzer does.
 */
const lenientFields = ["--field-validation", "warn"];

describe("netpol-analyzer's list --explain command line (conformance)", () => {
    const root = conformanceFolder("netpol-explain");
    for (const name of caseNames(root)) {
        const folder = path.join(root, name);
        const args = ["list", "--dirpath", path.join(folder, "input"), ...caseArgs(folder), ...lenientFields];
        it(`${caseArgs(folder).join(" ")}: ${name}`, async () => {
            const { code, stdout } = await runCli(args);
            assert.strictEqual(code, 0);
            assertSameText(stdout, expectedFiles(folder).get("txt")!);
        });
    }
});
