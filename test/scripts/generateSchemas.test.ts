import * as assert from "assert";
import Ajv from "ajv";
import * as fs from "fs";
import * as path from "path";
import { generateSchemas, GeneratedSchemas, kubernetesOpenApiFolder, kubernetesVersion, outputFile, serialize } from "../../scripts/generateSchemas";
import { projectRoot } from "../harness/stackConfig";

const crdFolder = path.resolve(projectRoot, "..", "shared", "crds");

/** The committed schemas, regenerated from the pinned upstream sources, are unchanged. */
describe("generated input schemas (analysis/schema/generated/schemas.json)", () => {
    const committed = JSON.parse(fs.readFileSync(outputFile, "utf8")) as GeneratedSchemas;
    const openApiFolder = kubernetesOpenApiFolder();

    it("regenerate exactly from the pinned CRDs and Kubernetes' OpenAPI documents", function () {
        if (openApiFolder === undefined) {
            // Without the Go module only the CRD half can be compared; the built-in half is taken as committed.
            console.log(`      (k8s.io/kubernetes@${kubernetesVersion} is not in the Go module cache: comparing the CRD schemas only; go mod download k8s.io/kubernetes@${kubernetesVersion} to compare all)`);
        }
        const text = fs.readFileSync(outputFile, "utf8");
        assert.strictEqual(serialize(generateSchemas(crdFolder, openApiFolder)), text);
        assert.strictEqual(serialize(generateSchemas(crdFolder, undefined)), text, "the CRD half alone, built-in schemas as committed");
    });

    it("compile with ajv's schema check, every kind", () => {
        const ajv = new Ajv({ strict: false }).addSchema({ $id: "s", definitions: committed.definitions });
        for (const id of new Set(Object.values(committed.kinds))) {
            assert.doesNotThrow(() => ajv.compile({ $ref: `s#/definitions/${id}` }), id);
        }
    });
});
