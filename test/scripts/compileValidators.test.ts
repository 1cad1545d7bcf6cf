import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import type { ValidateFunction } from "ajv";
import { KubeObject } from "../../analysis/manifests";
import { definitionsAjv, kindRefs, precompiledFile } from "../../analysis/schema/schemas";
import { compileValidators } from "../../scripts/compileValidators";
import { kubernetesCluster } from "../bench/kubernetesCluster";
import { syntheticCluster } from "../bench/syntheticCluster";
import { projectRoot } from "../harness/stackConfig";

/** Copies of `object` with one mistake each: a field of the wrong type, an unknown field, a missing required one. */
function mistakes(object: KubeObject): KubeObject[] {
    const copy = () => structuredClone(object) as KubeObject & { spec?: Record<string, unknown> };
    const wrongType = copy();
    wrongType.metadata = { ...wrongType.metadata, labels: { app: 7 as unknown as string } };
    const unknown = copy();
    unknown.spec = { ...unknown.spec, notAField: true };
    const missing = copy();
    delete missing.metadata;
    const deep = copy();
    const template = (deep.spec?.template as { spec?: { containers?: { ports?: unknown[] }[] } } | undefined)?.spec;
    if (template?.containers?.[0]) {
        template.containers[0].ports = [{ containerPort: "http" }];
    }
    return [wrongType, unknown, missing, deep];
}

describe("precompiled schema validators (scripts/compileValidators.ts, written by npm run build)", () => {
    // Inside the project, so that the modules resolve ajv's runtime as the built ones do.
    const cache = path.join(projectRoot, "node_modules", ".cache", "ztmesh");
    fs.mkdirSync(cache, { recursive: true });
    const folder = fs.mkdtempSync(path.join(cache, "validators-"));
    after(() => fs.rmSync(folder, { recursive: true, force: true }));

    it("write a module per kind that judges every object as the validator compiled at run time, with the same errors", function () {
        this.timeout(120000);
        assert.strictEqual(compileValidators(folder), kindRefs().size);
        const ajv = definitionsAjv();
        const objects = [...kubernetesCluster(20), ...syntheticCluster(20)];
        const byKind = new Map(objects.map((object) => [`${object.apiVersion}/${object.kind}`, object]));
        assert.ok(byKind.size >= 8, `${byKind.size} kinds`);
        for (const [kindKey, object] of byKind) {
            const precompiled = (require(path.join(folder, precompiledFile(kindKey))) as Record<string, ValidateFunction>)[kindKey];
            const compiled = ajv.compile({ $ref: kindRefs().get(kindKey)! });
            for (const candidate of [object, ...mistakes(object)]) {
                assert.strictEqual(precompiled(candidate), compiled(candidate), kindKey);
                assert.deepStrictEqual(precompiled.errors, compiled.errors, kindKey);
            }
            assert.strictEqual(precompiled(mistakes(object)[0]), false, `${kindKey}: a mistake is refused`);
        }
    });
});
