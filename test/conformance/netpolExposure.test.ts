import * as assert from "assert";
import * as path from "path";
import { exposure } from "../../analysis/exposure/exposure";
import { formatList, ListFormat } from "../../analysis/formats/connlist";
import { focusList } from "../../analysis/formats/focus";
import { loadManifests } from "../../analysis/manifests";
import { clusterFromObjects } from "../../analysis/netpol/workloads";
import { reachability } from "../../analysis/reach";
import { assertSameText, caseFlags, caseNames, conformanceFolder, expectedFiles } from "./conformanceText";

/** np-guard/netpol-analyzer's `list --exposure` outputs (../shared/conformance/netpol-exposure). */
const root = conformanceFolder("netpol-exposure");

describe("netpol-analyzer exposure analysis (conformance)", () => {
    it("has the upstream cases", () => {
        assert.strictEqual(caseNames(root).length, 12);
    });

    for (const name of caseNames(root)) {
        const folder = path.join(root, name);
        for (const [format, expected] of expectedFiles(folder)) {
            it(`${name} (${format})`, () => {
                const objects = loadManifests(path.join(folder, "input"));
                const flags = caseFlags(folder);
                assert.ok(flags.exposure, "every case here runs with --exposure");
                const list = focusList(reachability(objects), clusterFromObjects(objects).workloads, flags);
                assertSameText(formatList(list, { output: format as ListFormat, exposure: exposure(objects, flags) }), expected);
            });
        }
    }
});
