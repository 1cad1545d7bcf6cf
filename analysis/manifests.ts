/**
 * Loads Kubernetes objects from manifest files and folders: multi-document YAML, JSON, and
 * `List` / `<Kind>List` wrappers (as `kubectl get -o yaml` writes them), flattened into one
 * list of objects. A document that is no Kubernetes object at all (neither apiVersion nor
 * kind, e.g. an analyzer's JSON report beside the manifests) is skipped with a warning. Every
 * problem is reported as a `ManifestError` naming the file, the document and, inside a list,
 * the item; `readManifests` also validates each object (schema/validate.ts).
 */
import * as jsYaml from "js-yaml";
import { InputOptions, inputFiles, readInputFile } from "./files/inputFiles";
import { ManifestError } from "./manifestError";
import { rejectDuplicates } from "./manifestIdentity";
import type { FieldValidation, UnknownFieldDropped } from "./schema/fieldValidation";
import { describeKubeObject, objectProblem } from "./schema/validate";
import { checkYamlAliases, ExcessiveAliasingError, jsYamlAliasListener, mayHaveAliases } from "./yaml/aliasBudget";

export { ManifestError };

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

/** Where a skipped document is reported; by default, standard error. */
export type Warn = (message: string) => void;

const warnOnStderr: Warn = (message) => process.stderr.write(`warning: ${message}\n`);

/** Loads every object in the given files and folders; folders are read recursively, in name order, for `.yaml`, `.yml` and `.json` files (files/inputFiles.ts). */
export function loadManifests(...paths: string[]): KubeObject[] {
    return inputFiles(paths).flatMap((input) => parseManifests(readInputFile(input), input.file));
}

/** An object with the file it came from. */
export interface ManifestObject {
    readonly object: KubeObject;
    readonly file: string;
}

export interface ReadOptions extends InputOptions {
    /** Fields the schemas do not know (default strict: the object is refused). */
    readonly fieldValidation?: FieldValidation;
}

/**
 * Loads and validates every object in the given files and folders (what `ztmesh reach` reads):
 * an object the API server would refuse is a `ManifestError` naming the file, the object, the
 * field and the problem; finding no Kubernetes object at all is one too. Under
 * `fieldValidation` warn or ignore, unknown fields are dropped instead, as the API server
 * stores the object (warn: one warning each).
 */
export function readManifests(paths: readonly string[], warn: Warn = warnOnStderr, options: ReadOptions = {}): ManifestObject[] {
    const entries = inputFiles(paths, options).flatMap((input) => parseManifests(readInputFile(input, options.maxFileBytes), input.file, warn)
        .map((object) => validated({ object, file: input.file }, warn, options)));
    if (entries.length === 0) {
        throw new ManifestError(paths.join(", "), `no Kubernetes objects found in ${paths.join(", ")}`);
    }
    rejectDuplicates(entries, (file, problem) => new ManifestError(file, problem));
    return entries;
}

/**
 * Validates objects read from elsewhere (a live cluster), as `readManifests` validates a file's,
 * each named by where it came from.
 */
export function validateObjects(entries: readonly ManifestObject[], warn: Warn, options: Pick<ReadOptions, "fieldValidation">): ManifestObject[] {
    const checked = entries.map((entry) => validated(entry, warn, options));
    rejectDuplicates(checked, (file, problem) => new ManifestError(file, problem));
    return checked;
}

/** `entry`, or a `ManifestError` naming its file, the object, the field and the problem when the API server would refuse it. */
function validated(entry: ManifestObject, warn: Warn, options: Pick<ReadOptions, "fieldValidation">): ManifestObject {
    const { object, file } = entry;
    const dropUnknown: UnknownFieldDropped | undefined = options.fieldValidation === "warn"
        ? (field) => warn(`${file}: ${describeKubeObject(object)}: ${field}: unknown field, dropped as the API server stores the object (--field-validation warn)`)
        : options.fieldValidation === "ignore" ? () => undefined : undefined;
    const problem = objectProblem(object, dropUnknown);
    if (problem !== undefined) {
        throw new ManifestError(file, `${describeKubeObject(object)}: ${problem}`);
    }
    return entry;
}

/** The manifest files at `location`: the file itself, or a folder's `.yaml`, `.yml` and `.json` files, recursively, in name order. */
export function manifestFiles(location: string): string[] {
    return inputFiles([location]).map((input) => input.file);
}

/**
 * Parses the text of one manifest file (`file` only names it in errors). JSON is read by the
 * same parser, as the YAML 1.2 subset it is. Empty documents (a stray `---`) are skipped, and
 * so, with a warning, are documents that are no Kubernetes object.
 *
 * js-yaml reads (YAML 1.2 core schema, as `yaml` does by default): it is about eight times
 * faster than `yaml`, whose document model is the bulk of a large cluster dump's run time.
 * Text js-yaml refuses is read again with `yaml`, whose errors name the document and position;
 * `yaml` is loaded only then, as loading it is most of the command's start-up time. Both read
 * as kubectl does: merge keys (`<<: *defaults`) merge, a key given twice is refused, and aliases
 * expand only within go-yaml's bound (yaml/aliasBudget.ts).
 */
export function parseManifests(text: string, file: string, warn: Warn = warnOnStderr): KubeObject[] {
    let documents: unknown[];
    try {
        documents = jsYaml.loadAll(text, undefined, {
            schema: coreSchemaWithMerge,
            filename: file,
            maxDepth,
            maxTotalMergeKeys: -1, // aliases are bounded below; merges of written mappings are bounded by the text
            ...(mayHaveAliases(text) ? { listener: jsYamlAliasListener() } : {}),
        } as jsYaml.LoadOptions);
    } catch (error) {
        if (error instanceof ExcessiveAliasingError) {
            throw new ManifestError(file, error.message);
        }
        if (error instanceof jsYaml.YAMLException && error.reason.startsWith("nesting exceeded maxDepth")) {
            throw new ManifestError(file, `line ${error.mark.line + 1}: values are nested more than ${maxDepth} levels deep, more than ztmesh reach reads`);
        }
        documents = readWithYaml(text, file);
    }
    return documents.flatMap((content, index) => {
        const where = `document ${index + 1}`;
        if (content === null || content === undefined) {
            return [];
        }
        if (!isMapping(content) || (content.kind === undefined && content.apiVersion === undefined)) {
            warn(`${file}: ${where} is not a Kubernetes object (${isMapping(content) ? "no apiVersion or kind" : describe(content)}); skipped`);
            return [];
        }
        return flatten(content, file, where, undefined);
    });
}

/** Deeper than any Kubernetes object nests (a CRD's schema is a few dozen levels), and within what both parsers can recurse through. */
const maxDepth = 500;

/** The YAML 1.2 core schema and merge keys, as go-yaml (so kubectl) reads them (js-yaml exports `types`; its typings leave it out). */
const coreSchemaWithMerge = jsYaml.CORE_SCHEMA.extend({ implicit: [(jsYaml as unknown as { types: { merge: jsYaml.Type } }).types.merge] });

/**
 * Reads `text` with `yaml`: a document's syntax error (any document's, before any value is
 * built), then the alias bound, are reported with the document's number.
 */
function readWithYaml(text: string, file: string): unknown[] {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const YAML: typeof import("yaml") = require("yaml");
    // logLevel "error": `yaml` would print its warnings (a mapping used as a key) on the process's stderr.
    const parsed = YAML.parseAllDocuments(text, { merge: true, logLevel: "error" });
    const all = Array.isArray(parsed) ? parsed : [parsed];
    all.forEach((document, index) => {
        if (document.errors.length > 0) {
            throw new ManifestError(file, `document ${index + 1}: ${firstLine(document.errors[0].message)}`);
        }
    });
    return all.map((document, index) => {
        try {
            checkYamlAliases(YAML, document, index);
        } catch (error) {
            throw error instanceof ExcessiveAliasingError ? new ManifestError(file, error.message) : error;
        }
        try {
            return document.toJS({ maxAliasCount: -1 });
        } catch (error) {
            // What the parser leaves to building values, e.g. "Merge sources must be maps or map aliases".
            throw new ManifestError(file, `document ${index + 1}: ${firstLine((error as Error).message)}`);
        }
    });
}

/** What a typed list (`PodList`) implies for items that leave it out, as the API server writes them. */
interface ListContext {
    readonly kind: string;
    readonly apiVersion: unknown;
}

/** Unwraps `List` kinds; a `PodList`'s items may leave out `kind: Pod` and the list's apiVersion, as the API server writes them. */
function flatten(content: unknown, file: string, where: string, list: ListContext | undefined): KubeObject[] {
    const object = checkObject(content, file, where, list);
    const listedKind = object.kind === "List" ? undefined : /^(.+)List$/.exec(object.kind)?.[1];
    if (object.kind !== "List" && listedKind === undefined) {
        return [object];
    }
    if (!Array.isArray(object.items)) {
        throw new ManifestError(file, `${where}: ${object.kind} has no "items" list`);
    }
    const context = listedKind === undefined ? undefined : { kind: listedKind, apiVersion: object.apiVersion };
    return object.items.flatMap((item: unknown, index: number) => flatten(item, file, `${where}, ${object.kind} item ${index + 1}`, context));
}

function checkObject(content: unknown, file: string, where: string, list: ListContext | undefined): KubeObject {
    if (!isMapping(content)) {
        throw new ManifestError(file, `${where}: expected a Kubernetes object (a mapping), found ${describe(content)}`);
    }
    const kind = content.kind ?? list?.kind;
    const name = isMapping(content.metadata) && typeof content.metadata.name === "string" ? ` (name ${JSON.stringify(content.metadata.name)})` : "";
    if (typeof kind !== "string" || kind === "") {
        throw new ManifestError(file, `${where}${name}: object has no "kind"`);
    }
    if (content.metadata !== undefined && !isMapping(content.metadata)) {
        throw new ManifestError(file, `${where}: ${kind} has a "metadata" that is ${describe(content.metadata)}, not a mapping`);
    }
    const apiVersion = content.apiVersion ?? (kind === list?.kind ? list.apiVersion : undefined);
    return apiVersion === undefined ? { ...content, kind } : { ...content, kind, apiVersion: apiVersion as string };
}

function isMapping(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** What a value is, never what it says: a document may be a key or a token that ended up among the manifests. */
function describe(value: unknown): string {
    return Array.isArray(value) ? "a list" : value === null ? "null" : `a ${typeof value}`;
}

/** The yaml package's messages go on to quote the offending source lines; the first line has the position. */
function firstLine(message: string): string {
    return message.split("\n")[0];
}
