/**
 * Loads Kubernetes objects from manifest files and folders: multi-document YAML, JSON, and
 * `List` / `<Kind>List` wrappers (as `kubectl get -o yaml` writes them), flattened into one
 * list of objects. Every problem is reported as a `ManifestError` naming the file, the
 * document and, inside a list, the item.
 */
import * as fs from "fs";
import * as path from "path";
import * as jsYaml from "js-yaml";

export interface OwnerReference {
    kind?: string;
    name?: string;
    controller?: boolean;
}

export interface ObjectMeta {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    ownerReferences?: OwnerReference[];
}

/** A Kubernetes object as read: only `kind` is guaranteed, the rest is for its reader to check. */
export interface KubeObject {
    kind: string;
    apiVersion?: string;
    metadata?: ObjectMeta;
    [field: string]: unknown;
}

export class ManifestError extends Error {
    constructor(readonly file: string, readonly problem: string) {
        super(`${file}: ${problem}`);
    }
}

const manifestExtensions = new Set([".yaml", ".yml", ".json"]);

/** Loads every object in the given files and folders; folders are read recursively, in name order, for `.yaml`, `.yml` and `.json` files. */
export function loadManifests(...paths: string[]): KubeObject[] {
    return paths.flatMap(manifestFiles).flatMap((file) => parseManifests(fs.readFileSync(file, "utf8"), file));
}

/** The manifest files at `location`: the file itself, or a folder's `.yaml`, `.yml` and `.json` files, recursively, in name order. */
export function manifestFiles(location: string): string[] {
    if (!fs.statSync(location).isDirectory()) {
        return [location];
    }
    return fs.readdirSync(location).sort().flatMap((name) => {
        const child = path.join(location, name);
        if (fs.statSync(child).isDirectory()) {
            return manifestFiles(child);
        }
        return manifestExtensions.has(path.extname(name).toLowerCase()) ? [child] : [];
    });
}

/**
 * Parses the text of one manifest file (`file` only names it in errors). JSON is read by the
 * same parser, as the YAML 1.2 subset it is. Empty documents (a stray `---`) are skipped.
 *
 * js-yaml reads (YAML 1.2 core schema, as `yaml` does by default): it is about eight times
 * faster than `yaml`, whose document model is the bulk of a large cluster dump's run time.
 * Text js-yaml refuses is read again with `yaml`, whose errors name the document and position;
 * `yaml` is loaded only then, as loading it is most of the command's start-up time.
 */
export function parseManifests(text: string, file: string): KubeObject[] {
    let documents: unknown[];
    try {
        documents = jsYaml.loadAll(text, undefined, { schema: jsYaml.CORE_SCHEMA, filename: file });
    } catch {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const YAML: typeof import("yaml") = require("yaml");
        documents = YAML.parseAllDocuments(text).map((document, index) => {
            if (document.errors.length > 0) {
                throw new ManifestError(file, `document ${index + 1}: ${firstLine(document.errors[0].message)}`);
            }
            return document.toJS();
        });
    }
    return documents.flatMap((content, index) =>
        content === null || content === undefined ? [] : flatten(content, file, `document ${index + 1}`, undefined));
}

/** Unwraps `List` kinds; a `PodList`'s items may leave out `kind: Pod`, as the API server writes them. */
function flatten(content: unknown, file: string, where: string, impliedKind: string | undefined): KubeObject[] {
    const object = checkObject(content, file, where, impliedKind);
    const listedKind = object.kind === "List" ? undefined : /^(.+)List$/.exec(object.kind)?.[1];
    if (object.kind !== "List" && listedKind === undefined) {
        return [object];
    }
    if (!Array.isArray(object.items)) {
        throw new ManifestError(file, `${where}: ${object.kind} has no "items" list`);
    }
    return object.items.flatMap((item: unknown, index: number) => flatten(item, file, `${where}, ${object.kind} item ${index + 1}`, listedKind));
}

function checkObject(content: unknown, file: string, where: string, impliedKind: string | undefined): KubeObject {
    if (!isMapping(content)) {
        throw new ManifestError(file, `${where}: expected a Kubernetes object (a mapping), found ${describe(content)}`);
    }
    const kind = content.kind ?? impliedKind;
    const name = isMapping(content.metadata) && typeof content.metadata.name === "string" ? ` (name ${JSON.stringify(content.metadata.name)})` : "";
    if (typeof kind !== "string" || kind === "") {
        throw new ManifestError(file, `${where}${name}: object has no "kind"`);
    }
    if (content.metadata !== undefined && !isMapping(content.metadata)) {
        throw new ManifestError(file, `${where}: ${kind} has a "metadata" that is ${describe(content.metadata)}, not a mapping`);
    }
    return { ...content, kind };
}

function isMapping(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
    return Array.isArray(value) ? "a list" : value === null ? "null" : `a ${typeof value} ${JSON.stringify(value)}`;
}

/** The yaml package's messages go on to quote the offending source lines; the first line has the position. */
function firstLine(message: string): string {
    return message.split("\n")[0];
}
