import Ajv, { ValidateFunction } from "ajv";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { projectRoot } from "./stackConfig";

/**
 * The upstream CRDs of the pinned versions (../shared/crds) as JSON-Schema validators, keyed by
 * `group/version/Kind`. A structural schema becomes strict the way the API server's strict
 * field validation is: an object schema that lists properties rejects any other field, unless
 * it says `x-kubernetes-preserve-unknown-fields`.
 */
function strict(schema: any): any {
    if (!schema || typeof schema !== "object") {
        return schema;
    }
    const out: any = Array.isArray(schema) ? schema.map(strict) : {};
    if (Array.isArray(schema)) {
        return out;
    }
    for (const [key, value] of Object.entries(schema)) {
        // Go-only regular expressions (e.g. `(?i)`) have no JavaScript equivalent: such a pattern is not checked.
        if (key === "x-kubernetes-int-or-string" || (key === "pattern" && !isJavaScriptPattern(value as string))) {
            continue;
        }
        out[key] = ["properties", "patternProperties"].includes(key)
            ? Object.fromEntries(Object.entries(value as object).map(([name, sub]) => [name, strict(sub)]))
            : strict(value);
    }
    if (schema["x-kubernetes-int-or-string"]) {
        delete out.type;
        out.anyOf = [{ type: "integer" }, { type: "string" }];
    }
    if (schema.nullable) {
        out.type = out.type ? [...([] as string[]).concat(out.type), "null"] : undefined;
    }
    if (schema.properties && schema.additionalProperties === undefined && !schema["x-kubernetes-preserve-unknown-fields"]) {
        out.additionalProperties = false;
    }
    return out;
}

function isJavaScriptPattern(pattern: string): boolean {
    try {
        new RegExp(pattern, "u");
        return true;
    } catch {
        return false;
    }
}

export class CrdSchemas {
    private readonly validators = new Map<string, ValidateFunction>();

    constructor() {
        const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
        const folder = path.resolve(projectRoot, "..", "shared", "crds");
        for (const file of fs.readdirSync(folder).filter((f) => f.endsWith(".yaml"))) {
            for (const document of YAML.parseAllDocuments(fs.readFileSync(path.join(folder, file), "utf8"))) {
                const crd = document.toJSON();
                if (crd?.kind !== "CustomResourceDefinition") {
                    continue;
                }
                for (const version of crd.spec.versions ?? []) {
                    const schema = version.schema?.openAPIV3Schema;
                    if (schema) {
                        const { metadata: _metadata, ...rest } = strict(schema).properties ?? {};
                        this.validators.set(`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`, ajv.compile({ ...strict(schema), properties: { ...rest, apiVersion: { type: "string" }, kind: { type: "string" }, metadata: { type: "object" } } }));
                    }
                }
            }
        }
    }

    /** Problems of `object` against its CRD, as `<JSON path>: <message>`; undefined when no CRD describes its kind. */
    problems(object: { apiVersion: string; kind: string }): string[] | undefined {
        const validate = this.validators.get(`${object.apiVersion}/${object.kind}`);
        if (!validate) {
            return undefined;
        }
        return validate(object) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"}: ${e.message}${e.params && "additionalProperty" in e.params ? ` (${(e.params as any).additionalProperty})` : ""}`);
    }
}
