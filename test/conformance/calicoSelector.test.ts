import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { canonical, parseSelector, selectorMatches, SelectorSyntaxError } from "../../analysis/calicoSelector";
import { projectRoot } from "../harness/stackConfig";

interface SelectorVectors {
    matches: { selector: string; match: Record<string, string>[]; noMatch: Record<string, string>[] }[];
    invalid: string[];
    canonical: { input: string; canonical: string }[];
}

/** Test vectors from libcalico-go's own parser tests (shared/conformance, not written by this project). */
const vectors: SelectorVectors = JSON.parse(
    fs.readFileSync(path.resolve(projectRoot, "..", "shared", "conformance", "calico-selectors.json"), "utf8"),
);

describe("Calico selector conformance (libcalico-go v3.32.1 vectors)", () => {
    it("has the upstream vectors", () => {
        assert.ok(vectors.matches.length > 50 && vectors.invalid.length > 20 && vectors.canonical.length > 10);
    });

    vectors.matches.forEach(({ selector, match, noMatch }, index) => {
        it(`matches[${index}] ${JSON.stringify(selector)}`, () => {
            for (const labels of match) {
                assert.ok(selectorMatches(selector, labels), `${selector} should match ${JSON.stringify(labels)}`);
            }
            for (const labels of noMatch) {
                assert.ok(!selectorMatches(selector, labels), `${selector} should not match ${JSON.stringify(labels)}`);
            }
        });
    });

    it("rejects every invalid selector with a positioned syntax error", () => {
        for (const selector of vectors.invalid) {
            assert.throws(() => parseSelector(selector), (error: unknown) => error instanceof SelectorSyntaxError && /at character \d+/.test(error.message), `rejects ${JSON.stringify(selector)}`);
        }
    });

    it("prints every canonical form", () => {
        for (const { input, canonical: expected } of vectors.canonical) {
            assert.strictEqual(canonical(parseSelector(input)), expected, `canonical form of ${JSON.stringify(input)}`);
        }
    });
});
