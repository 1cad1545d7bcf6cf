/**
 * Generates analysis/schema/generated/schemas.json, the JSON Schemas `ztmesh reach` validates its
 * input against, from the pinned upstream sources:
 *   - Kubernetes v1.36.3: `api/openapi-spec/v3` of the Go module k8s.io/kubernetes@v1.36.3
 *     (`go mod download k8s.io/kubernetes@v1.36.3` puts it in `$(go env GOMODCACHE)`), for the
 *     built-in kinds the engine reads;
 *   - the CRDs of Calico v3.32.1 (with the ClusterNetworkPolicy CRD of network-policy-api v0.2.0
 *     that it ships), Istio 1.30.3 and Gateway API v1.5.1 (a folder holding the upstream CRD
 *     manifests), for the custom resources it reads.
 *
 *   node -r ts-node/register/transpile-only scripts/generateSchemas.ts <crd-folder> [<openapi-v3-folder>]
 *
 * The output keeps only what validation needs (no descriptions or list/patch hints; the CRDs'
 * CEL rules, `x-kubernetes-validations`, with what evaluating them needs: their rule, message,
 * messageExpression, fieldPath and reason, and the CRDs' defaults, which the API server applies
 * before it evaluates them, see analysis/schema/cel/),
 * and makes the schemas as strict as the API server with field validation `Strict` (what
 * kubectl asks for by default): a field a schema does not declare is an error unless the schema
 * preserves unknown fields. Two departures, both for inputs read from a cluster rather than
 * written for one:
 *   - `status` is not checked: the server writes it and resets what a client sends, and the
 *     analysis never reads it (snapshots of older clusters carry fields since removed, such as
 *     NetworkPolicy's `status: {}`);
 *   - the required fields of built-in kinds other than NetworkPolicy and label selectors are
 *     not enforced: analyzers' inputs are often trimmed (`containers: [{}]`, an ownerReference
 *     without uid), and the analysis reads an absent field as its default. Every field given
 *     is still checked, and so are every CRD's required fields.
 * It is committed; a test regenerates it and compares.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

export const kubernetesVersion = "v1.36.3";

/** The upstream CRD manifests, by file name in the CRD folder. */
export const crdFiles = [
    "calico-v3.32.1-crds.yaml",
    "calico-v3.32.1-projectcalico-v3-crds.yaml",
    "istio-1.30.3-crds.yaml",
    "gateway-api-v1.5.1-standard.yaml",
];

/** Built-in kinds the engine reads, by OpenAPI v3 document (`<file>_openapi.json`) and definition. */
const builtinKinds: Record<string, string[]> = {
    "api__v1": ["Pod", "Service", "Namespace", "ServiceAccount", "ReplicationController", "Node"],
    "apis__apps__v1": ["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"],
    "apis__batch__v1": ["Job", "CronJob"],
    "apis__networking.k8s.io__v1": ["NetworkPolicy"],
};

const calicoKinds = ["GlobalNetworkPolicy", "NetworkPolicy", "GlobalNetworkSet", "NetworkSet", "HostEndpoint", "Tier",
    "StagedGlobalNetworkPolicy", "StagedNetworkPolicy", "StagedKubernetesNetworkPolicy"];

/** Custom resources the engine reads, by API group. */
const customKinds: Record<string, string[]> = {
    // The staged kinds too: evaluated as the policies they stage with `ztmesh reach --as-enforced`, and checked like them always.
    "projectcalico.org": calicoKinds,
    "crd.projectcalico.org": calicoKinds,
    "security.istio.io": ["AuthorizationPolicy", "PeerAuthentication", "RequestAuthentication"],
    "networking.istio.io": ["Sidecar", "ServiceEntry", "Gateway", "VirtualService"],
    "gateway.networking.k8s.io": ["GatewayClass", "Gateway", "HTTPRoute"],
    // network-policy-api v0.2.0's standard channel, as Calico v3.32.1 ships it (in calico-v3.32.1-crds.yaml).
    "policy.networking.k8s.io": ["ClusterNetworkPolicy"],
};

const objectMeta = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

/**
 * Parts of a pod spec that no policy reads (volumes, probes, lifecycle hooks, affinity,
 * security contexts, ephemeral containers, topology spread, volume claim templates): checked
 * only as mappings. They hold about 60% of a workload schema's definitions, and compiling them
 * would triple the time the first workload of a run takes to validate.
 */
const unreadDefinitions = new Set(["Volume", "Probe", "Lifecycle", "Affinity", "SecurityContext", "PodSecurityContext",
    "EphemeralContainer", "TopologySpreadConstraint", "PersistentVolumeClaim"].map((name) => `io.k8s.api.core.v1.${name}`));

type Schema = { [keyword: string]: any };

export interface GeneratedSchemas {
    readonly generatedBy: string;
    readonly sources: string[];
    /** `apiVersion/kind` → the definition that validates it. */
    readonly kinds: Record<string, string>;
    readonly definitions: Record<string, Schema>;
}

/** The folder of Kubernetes' OpenAPI v3 documents in the Go module cache, if the module is there. */
export function kubernetesOpenApiFolder(): string | undefined {
    let cache: string;
    try {
        cache = execFileSync("go", ["env", "GOMODCACHE"], { encoding: "utf8" }).trim();
    } catch {
        return undefined;
    }
    const folder = path.join(cache, `k8s.io/kubernetes@${kubernetesVersion}`, "api/openapi-spec/v3");
    return fs.existsSync(folder) ? folder : undefined;
}

/**
 * The schemas from the CRD folder and Kubernetes' OpenAPI folder; without the latter (no Go
 * module at hand), the built-in kinds' schemas are taken from the committed output as they are.
 */
export function generateSchemas(crdFolder: string, openApiFolder: string | undefined): GeneratedSchemas {
    const definitions: Record<string, Schema> = {};
    const kinds: Record<string, string> = {};
    if (openApiFolder === undefined) {
        addCommittedBuiltinKinds(definitions, kinds);
    } else {
        addBuiltinKinds(openApiFolder, definitions, kinds);
    }
    addCustomKinds(crdFolder, definitions, kinds);
    return {
        generatedBy: "scripts/generateSchemas.ts (do not edit; regenerate)",
        sources: [`k8s.io/kubernetes@${kubernetesVersion} api/openapi-spec/v3`, ...crdFiles],
        kinds: sortedRecord(kinds),
        definitions: sortedRecord(definitions),
    };
}

function addBuiltinKinds(openApiFolder: string, definitions: Record<string, Schema>, kinds: Record<string, string>): void {
    for (const [document, names] of Object.entries(builtinKinds)) {
        const schemas: Record<string, Schema> = JSON.parse(fs.readFileSync(path.join(openApiFolder, `${document}_openapi.json`), "utf8")).components.schemas;
        const pending = names.map((name) => {
            const [id, schema] = Object.entries(schemas).find(([, candidate]) => (candidate["x-kubernetes-group-version-kind"] ?? [])
                .some((gvk: { kind: string }) => gvk.kind === name))!;
            const gvk = schema["x-kubernetes-group-version-kind"][0];
            kinds[`${gvk.group === "" ? "" : `${gvk.group}/`}${gvk.version}/${name}`] = id;
            return id;
        });
        while (pending.length > 0) {
            const id = pending.pop()!;
            if (definitions[id] === undefined && unreadDefinitions.has(id)) {
                definitions[id] = { type: "object" };
            } else if (definitions[id] === undefined) {
                const schema = strict(schemas[id], enforcesRequired(id), false);
                definitions[id] = names.some((name) => id.endsWith(`.${name}`)) ? topLevel(schema) : schema;
                pending.push(...references(schemas[id]));
            }
        }
    }
}

function addCommittedBuiltinKinds(definitions: Record<string, Schema>, kinds: Record<string, string>): void {
    const committed = JSON.parse(fs.readFileSync(outputFile, "utf8")) as GeneratedSchemas;
    for (const [id, schema] of Object.entries(committed.definitions)) {
        if (id.startsWith("io.k8s.")) {
            definitions[id] = schema;
        }
    }
    for (const [key, id] of Object.entries(committed.kinds)) {
        if (id.startsWith("io.k8s.")) {
            kinds[key] = id;
        }
    }
}

function addCustomKinds(crdFolder: string, definitions: Record<string, Schema>, kinds: Record<string, string>): void {
    for (const file of crdFiles) {
        // Parsing only the documents that may define a wanted kind: the operator CRDs dwarf the rest.
        const wanted = fs.readFileSync(path.join(crdFolder, file), "utf8").split(/^---\s*$/m).filter((text) => {
            const group = /^\s+group: *"?([^\s"]+)/m.exec(text)?.[1];
            return group !== undefined && (customKinds[group] ?? []).some((kind) => new RegExp(`^\\s+kind: *"?${kind}"?\\s*$`, "m").test(text));
        });
        for (const text of wanted) {
            const crd = YAML.parse(text);
            if (crd?.kind !== "CustomResourceDefinition" || !customKinds[crd.spec.group]?.includes(crd.spec.names.kind)) {
                continue;
            }
            for (const version of crd.spec.versions) {
                if (!version.served) {
                    continue;
                }
                // CRD schemas may leave out apiVersion, kind and metadata, which the server checks itself.
                const schema = topLevel(strict(version.schema.openAPIV3Schema, true, true));
                Object.assign(schema.properties, { apiVersion: { type: "string" }, kind: { type: "string" }, metadata: { $ref: `#/definitions/${objectMeta}` } });
                // Versions of one kind often share a schema: keep it once, under the first version.
                const same = Object.entries(kinds).find(([key, id]) => key.startsWith(`${crd.spec.group}/`) && key.endsWith(`/${crd.spec.names.kind}`)
                    && JSON.stringify(definitions[id]) === JSON.stringify(schema));
                const id = same?.[1] ?? `${crd.spec.group}.${version.name}.${crd.spec.names.kind}`;
                definitions[id] = schema;
                kinds[`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`] = id;
            }
        }
    }
}

function enforcesRequired(id: string): boolean {
    return id.startsWith("io.k8s.api.networking.") || id.startsWith("io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector");
}

/** A kind's schema takes any `status` (see the header). */
function topLevel(schema: Schema): Schema {
    schema.properties.status = {};
    return schema;
}

/** Keywords validation needs; the rest (descriptions, defaults, list and patch hints) is dropped. */
const kept = new Set(["type", "properties", "additionalProperties", "items", "required", "enum", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "pattern", "minItems", "maxItems", "minProperties",
    "maxProperties", "anyOf", "oneOf", "allOf", "not", "$ref"]);

/** What evaluating a CEL rule needs (its rule, and what the API server reports when it fails); the rest (optionalOldSelf) is dropped. */
const celRuleFields = ["rule", "message", "messageExpression", "fieldPath", "reason"];

/**
 * The schema in the form ajv validates, as strict as the API server: undeclared fields are
 * errors (unless `x-kubernetes-preserve-unknown-fields`), int-or-string takes both, and a
 * resource.Quantity takes a number, as its JSON decoder does. A CRD's schema (`crd`) keeps its
 * CEL rules and defaults (Kubernetes' own OpenAPI documents have no CEL rules).
 */
function strict(schema: Schema, required: boolean, crd: boolean): Schema {
    const result: Schema = schema["x-kubernetes-int-or-string"] || schema.format === "int-or-string"
        ? { anyOf: [{ type: "integer" }, { type: "string" }] }
        : strictKeywords(schema, required, crd);
    if (crd && schema.default !== undefined) {
        result.default = schema.default;
    }
    if (crd && schema["x-kubernetes-validations"] !== undefined) {
        result["x-kubernetes-validations"] = (schema["x-kubernetes-validations"] as Schema[]).map((rule) =>
            Object.fromEntries(celRuleFields.filter((field) => rule[field] !== undefined).map((field) => [field, rule[field]])));
    }
    return result;
}

function strictKeywords(schema: Schema, required: boolean, crd: boolean): Schema {
    const result: Schema = {};
    for (const [keyword, value] of Object.entries(schema)) {
        if (!kept.has(keyword) || (keyword === "required" && !required)) {
            continue;
        }
        if (keyword === "$ref") {
            result.$ref = `#/definitions/${String(value).replace("#/components/schemas/", "")}`;
        } else if (keyword === "properties") {
            result.properties = Object.fromEntries(Object.entries(value as Record<string, Schema>).map(([name, child]) => [name, strict(child, required, crd)]));
        } else if (keyword === "items" || (keyword === "additionalProperties" && typeof value === "object") || keyword === "not") {
            result[keyword] = strict(value as Schema, required, crd);
        } else if (keyword === "anyOf" || keyword === "oneOf" || keyword === "allOf") {
            result[keyword] = (value as Schema[]).map((branch) => strict(branch, required, crd));
        } else {
            result[keyword] = value;
        }
    }
    if (result.properties !== undefined && result.additionalProperties === undefined && !schema["x-kubernetes-preserve-unknown-fields"]) {
        result.additionalProperties = false;
    }
    return result;
}

function references(schema: unknown): string[] {
    if (typeof schema !== "object" || schema === null) {
        return [];
    }
    return Object.entries(schema).flatMap(([keyword, value]) => keyword === "$ref"
        ? [String(value).replace("#/components/schemas/", "")]
        : references(value));
}

function sortedRecord<T>(record: Record<string, T>): Record<string, T> {
    return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** One definition a line: compact, and a regeneration's diff shows which schemas changed. */
export function serialize(schemas: GeneratedSchemas): string {
    const definitions = Object.entries(schemas.definitions).map(([id, schema]) => `  ${JSON.stringify(id)}: ${JSON.stringify(schema)}`);
    return [
        "{",
        `"generatedBy": ${JSON.stringify(schemas.generatedBy)},`,
        `"sources": ${JSON.stringify(schemas.sources)},`,
        `"kinds": ${JSON.stringify(schemas.kinds, null, 1)},`,
        `"definitions": {\n${definitions.join(",\n")}\n}`,
        "}",
        "",
    ].join("\n");
}

export const outputFile = path.join(__dirname, "..", "analysis", "schema", "generated", "schemas.json");

if (require.main === module) {
    const [crdFolder, openApiFolder = kubernetesOpenApiFolder()] = process.argv.slice(2);
    if (crdFolder === undefined || openApiFolder === undefined) {
        console.error(`usage: generateSchemas.ts <crd-folder> [<openapi-v3-folder>]\n(the OpenAPI folder defaults to k8s.io/kubernetes@${kubernetesVersion} in the Go module cache: go mod download k8s.io/kubernetes@${kubernetesVersion})`);
        process.exit(2);
    }
    fs.mkdirSync(path.dirname(outputFile), { recursive: true });
    fs.writeFileSync(outputFile, serialize(generateSchemas(crdFolder, openApiFolder)));
    console.log(`wrote ${path.relative(process.cwd(), outputFile)}`);
}
