import * as assert from "assert";
import * as path from "path";
import { explainText } from "../../analysis/explanation/explainList";
import { loadManifests } from "../../analysis/manifests";
import { reachability } from "../../analysis/reach";
import { runCli } from "../analysis/cliRun";
import { assertSameText, caseArgs, caseFlags, caseNames, conformanceFolder, expectedFiles } from "./conformanceText";

/**
 * netpol-analyzer's `list --explain` (with --exposure and the focus flags each case records in
 * its `args`), run as its users run it, against its outputs byte for byte
 * (../shared/conformance/netpol-explain).
 */

/**
 * Inputs the API server would refuse, which netpol-analyzer reads anyway, with the error the
 * command line gives: netpol_named_port_test's Deployment has a container port spelled
 * `containerport:` (dropped as an unknown field) and so none with the required `containerPort`.
 * The command line refuses it, naming the field; the explanation itself is checked on the
 * objects as written (loadManifests does not check schemas).
 */
const refusedInputs = new Map([["netpol_named_port_test_explain", "ports[1].containerPort: required field is missing"]]);

describe("netpol-analyzer's list --explain command line (conformance)", () => {
    const root = conformanceFolder("netpol-explain");
    for (const name of caseNames(root)) {
        const folder = path.join(root, name);
        const input = path.join(folder, "input");
        const expected = expectedFiles(folder).get("txt")!;
        const refusal = refusedInputs.get(name);
        it(`${caseArgs(folder).join(" ")}: ${name}`, async () => {
            const { code, stdout, stderr } = await runCli(["list", "--dirpath", input, ...caseArgs(folder), "--field-validation", "warn"]);
            if (refusal === undefined) {
                assert.strictEqual(code, 0, stderr);
                assertSameText(stdout, expected);
                return;
            }
            assert.strictEqual(code, 2);
            assert.ok(stderr.includes(refusal), stderr);
            const objects = loadManifests(input);
            const { exposure, focusworkload, focusDirection } = caseFlags(folder);
            assertSameText([...explainText(objects, reachability(objects), { exposure, focus: { focusworkload, focusDirection } }, () => undefined)].join(""), expected);
        });
    }
});
