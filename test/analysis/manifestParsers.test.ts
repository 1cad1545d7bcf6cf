import * as assert from "assert";
import * as fs from "fs";
import * as jsYaml from "js-yaml";
import * as path from "path";
import * as YAML from "yaml";
import { manifestFiles } from "../../analysis/manifests";
import { projectRoot } from "../harness/stackConfig";

/**
 * manifests.ts reads with js-yaml (YAML 1.2 core schema) for speed and falls back to `yaml` only
 * for its error messages: both must read every manifest of the NCA conformance cases (np-guard's
 * YAML and JSON, as kubectl and people write them) into the same values.
 */
describe("manifest parsers: js-yaml's core schema reads what `yaml` reads", () => {
    const corpora = ["nca", "nca-invalid"].map((folder) => path.resolve(projectRoot, "..", "shared", "conformance", folder));
    const files = corpora.flatMap(manifestFiles);

    it("on every conformance manifest", () => {
        assert.ok(files.length > 50, `found only ${files.length} manifests under ${corpora.join(", ")}`);
        let compared = 0;
        for (const file of files) {
            const text = fs.readFileSync(file, "utf8");
            const documents = YAML.parseAllDocuments(text);
            if (documents.some((document) => document.errors.length > 0)) {
                assert.throws(() => jsYaml.loadAll(text, undefined, { schema: jsYaml.CORE_SCHEMA }), `${file}: yaml refuses it, js-yaml reads it`);
                continue;
            }
            assert.deepStrictEqual(jsYaml.loadAll(text, undefined, { schema: jsYaml.CORE_SCHEMA }), documents.map((document) => document.toJS()), file);
            compared++;
        }
        assert.ok(compared > 50, `only ${compared} manifests were readable`);
    });

    it("on scalars whose type YAML 1.1 and 1.2 disagree about, and on empty documents", () => {
        const text = "a: yes\nb: 0o17\nc: 017\nd: 2001-12-14\ne: ~\nf: 1e3\n<<: {g: 1}\n---\n---\n# only a comment\n";
        assert.deepStrictEqual(jsYaml.loadAll(text, undefined, { schema: jsYaml.CORE_SCHEMA }), YAML.parseAllDocuments(text).map((document) => document.toJS()));
    });
});
