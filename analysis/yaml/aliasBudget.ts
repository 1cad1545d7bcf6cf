/**
 * The bound on YAML alias expansion, as kubectl applies it. kubectl reads manifests with
 * sigs.k8s.io/yaml, that is go-yaml, whose decoder counts every node it decodes and those it
 * decodes inside an alias; it fails with "document contains excessive aliasing" once more than
 * 100 nodes came from aliases, more than 1,000 were decoded, and the share from aliases exceeds
 * 99% up to 400,000 decoded nodes, falling linearly to 10% at 4,000,000 and staying there
 * (go-yaml's allowedAliasRatio). So a document may repeat what it wrote about a hundredfold,
 * but ten levels of ten aliases (10^10 nodes from 600 bytes) stop after half a million.
 *
 * Neither js-yaml nor `yaml` has this rule (js-yaml has no alias limit; `yaml`'s maxAliasCount
 * refuses some documents kubectl reads), and both hand out an alias as the same JavaScript
 * value as its anchor, so the expansion happens later, in whatever walks the objects. The
 * count is therefore kept here, per document, in the order go-yaml decodes, and checked after
 * each alias: within an alias the share only grows and the allowed share only shrinks, so
 * checking at its end stops exactly the documents go-yaml stops.
 */
import type * as YAML from "yaml";

const ratioRangeLow = 400_000;
const ratioRangeHigh = 4_000_000;

/** The share of decoded nodes that may come from aliases (go-yaml's allowedAliasRatio). */
function allowedAliasRatio(decoded: number): number {
    if (decoded <= ratioRangeLow) return 0.99;
    if (decoded >= ratioRangeHigh) return 0.1;
    return 0.99 - 0.89 * ((decoded - ratioRangeLow) / (ratioRangeHigh - ratioRangeLow));
}

/** Thrown when a document expands its aliases beyond the bound; `document` counts from 1. */
export class ExcessiveAliasingError extends Error {
    constructor(readonly document: number, decoded: number, expanded: number) {
        super(`document ${document}: its aliases expand it beyond what kubectl reads (go-yaml's "document contains excessive aliasing": `
            + `${Math.floor((100 * expanded) / decoded)}% of its first ${decoded.toLocaleString("en-US")} values repeat others); write the repeated parts out or use fewer aliases`);
    }
}

/** The running count of one document. */
class AliasBudget {
    private decoded = 0;
    private expanded = 0;

    constructor(private readonly document: number) {}

    node(): void {
        this.decoded++;
    }

    /** An alias node whose anchored value has `size` nodes, nested aliases expanded. */
    alias(size: number): void {
        this.decoded += 1 + size;
        this.expanded += size;
        if (this.expanded > 100 && this.decoded > 1000 && this.expanded / this.decoded > allowedAliasRatio(this.decoded)) {
            throw new ExcessiveAliasingError(this.document, this.decoded, this.expanded);
        }
    }
}

/**
 * Whether `text` may hold an alias (`*name` where a node starts: at a line's start or after a
 * space, `[`, `{`, `,` or `:`). Without one nothing can expand, so the common manifest is
 * read without the per-node count; a `*` inside a scalar at most costs the count.
 */
export function mayHaveAliases(text: string): boolean {
    return /(?:^|[\s[{,:])\*[^\s[\]{},]/m.test(text);
}

/** Node counts of values as js-yaml builds them: a repeated object is an alias's expansion. */
function valueSize(value: unknown, sizes: WeakMap<object, number>): number {
    if (typeof value !== "object" || value === null) return 1;
    const known = sizes.get(value);
    if (known !== undefined) return known;
    let size = 1;
    if (Array.isArray(value)) {
        for (const item of value) size += valueSize(item, sizes);
    } else {
        for (const item of Object.values(value)) size += 1 + valueSize(item, sizes);
    }
    sizes.set(value, size);
    return size;
}

/** The state js-yaml passes to a `listener` (the fields read here). */
interface JsYamlState {
    readonly documents: readonly unknown[];
    readonly kind: string | null;
    readonly result: unknown;
}

/**
 * A js-yaml `listener` that keeps the count while js-yaml composes, so that a bomb stops
 * before js-yaml itself copies anything (a merge key copies the keys of what it merges). An
 * alias is a node that closes with a value and no kind. Aliases of scalars and merged keys are
 * counted as written nodes, which they cannot multiply.
 */
export function jsYamlAliasListener(): (event: string, state: JsYamlState) => void {
    const sizes = new WeakMap<object, number>();
    let budget = new AliasBudget(1);
    let documents = 0;
    return (event, state) => {
        if (state.documents.length !== documents) {
            documents = state.documents.length;
            budget = new AliasBudget(documents + 1);
        }
        if (event === "open") {
            budget.node();
        } else if (state.kind === null && state.result !== null && typeof state.result === "object") {
            budget.alias(valueSize(state.result, sizes));
        }
    };
}

/**
 * Checks one document `yaml` parsed, before it is turned into values (`index` counts from 0).
 * Anchors are looked up as the walk meets them, in document order (an alias names the last
 * anchor of its name before it; `Alias.resolve` would search the whole document each time).
 */
export function checkYamlAliases(yaml: typeof import("yaml"), document: YAML.Document, index: number): void {
    const budget = new AliasBudget(index + 1);
    const anchors = new Map<string, unknown>();
    const targets = new Map<unknown, unknown>();
    const sizes = new Map<unknown, number>();
    const size = (node: unknown): number => {
        const known = sizes.get(node);
        if (known !== undefined) return known;
        let total = 1;
        if (yaml.isAlias(node)) {
            total += size(targets.get(node));
        } else if (yaml.isMap(node)) {
            for (const pair of node.items) total += size(pair.key) + size(pair.value);
        } else if (yaml.isSeq(node)) {
            for (const item of node.items) total += size(item);
        }
        sizes.set(node, total);
        return total;
    };
    const walk = (node: unknown): void => {
        if (yaml.isAlias(node)) {
            const target = anchors.get(node.source);
            targets.set(node, target);
            budget.alias(size(target));
            return;
        }
        budget.node();
        if (yaml.isMap(node)) {
            for (const pair of node.items) {
                walk(pair.key);
                walk(pair.value);
            }
        } else if (yaml.isSeq(node)) {
            node.items.forEach(walk);
        }
        if ((yaml.isScalar(node) || yaml.isCollection(node)) && node.anchor !== undefined) {
            anchors.set(node.anchor, node);
        }
    };
    walk(document.contents);
}
