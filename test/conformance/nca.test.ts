/**
 * Calico and Istio reachability against np-guard/network-config-analyzer's test suite
 * (shared/conformance/nca, corrected where NCA departs from Calico or Istio — see the README
 * there), and the objects Istio or Calico refuse (nca-invalid). Both run the command line as a
 * user would: `ztmesh reach --l7 <case>/input`.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { main } from "../../analysis/cli";
import { projectRoot } from "../harness/stackConfig";

const conformanceRoot = path.resolve(projectRoot, "..", "shared", "conformance");
const casesIn = (folder: string) => fs.readdirSync(path.join(conformanceRoot, folder), { withFileTypes: true })
    .filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();

async function reach(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = "";
    let stderr = "";
    const code = await main(["reach", ...args], { stdout: (text) => { stdout += text; }, stderr: (text) => { stderr += text; } });
    return { code, stdout, stderr };
}

/** The ` => ` lines, sorted in code-unit order as expected.txt lists them. */
const flowLines = (text: string) => text.split("\n").filter((line) => line.includes(" => ")).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

describe("Calico and Istio connectivity conformance (np-guard NCA cases)", function () {
    const cases = casesIn("nca");

    it("has the upstream cases", function () {
        assert.ok(cases.length >= 24, `found ${cases.length} cases`);
    });

    for (const name of cases) {
        const caseDir = path.join(conformanceRoot, "nca", name);
        const l7Expected = path.join(caseDir, "expected-l7.json");
        // A case restricting request hosts lists layer 3/4 lines in expected.txt and the layer 7
        // grants in expected-l7.json, because the bracket cannot spell hosts (README there).
        const hasHosts = fs.existsSync(l7Expected);

        it(name, async function () {
            const result = await reach([...(hasHosts ? [] : ["--l7"]), path.join(caseDir, "input")]);
            assert.strictEqual(result.code, 0, result.stderr);
            assert.deepStrictEqual(flowLines(result.stdout), flowLines(fs.readFileSync(path.join(caseDir, "expected.txt"), "utf8")));
        });

        if (hasHosts) {
            it(`${name} (layer 7 grants with hosts, --json)`, async function () {
                const result = await reach(["--l7", "--json", path.join(caseDir, "input")]);
                assert.strictEqual(result.code, 0, result.stderr);
                const expected = JSON.parse(fs.readFileSync(l7Expected, "utf8")) as { flows: { src: string; dst: string }[] };
                const actual = JSON.parse(result.stdout) as { flows: { src: string; dst: string; l7?: unknown }[] };
                const toProxies = new Set(expected.flows.map((flow) => `${flow.src} => ${flow.dst}`));
                assert.deepStrictEqual(actual.flows.filter((flow) => toProxies.has(`${flow.src} => ${flow.dst}`) || flow.l7 !== undefined), expected.flows);
            });
        }
    }
});

describe("objects Istio or Calico refuse (NCA expectedError configs)", function () {
    for (const name of casesIn("nca-invalid")) {
        it(name, async function () {
            const caseDir = path.join(conformanceRoot, "nca-invalid", name);
            // reason.txt: `Kind namespace/name: what is wrong (the rule)`.
            const object = fs.readFileSync(path.join(caseDir, "reason.txt"), "utf8").split(":")[0].trim();
            const result = await reach(["--l7", path.join(caseDir, "input")]);
            assert.strictEqual(result.code, 2, `exit ${result.code}; stdout:\n${result.stdout}`);
            assert.ok(result.stderr.includes(object), `the message names ${object}:\n${result.stderr}`);
        });
    }
});
