/**
 * The source tree's import graph: it flows one way, stacks and policypack → components →
 * analysis → common leaves; the reachability engine stands beside the components (it is not
 * one) and never imports them; and no module reaches itself through its imports — even type-only circles make a
 * folder impossible to read, move or test on its own.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { projectRoot } from "../harness/stackConfig";

const sourceFolders = ["common", "analysis", "components", "stacks", "policypack"];

function sourceFiles(folder: string): string[] {
    return fs.readdirSync(folder, { withFileTypes: true, recursive: true })
        .filter((entry) => entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts"))
        .map((entry) => path.join(entry.parentPath, entry.name))
        .filter((file) => !file.split(path.sep).includes("node_modules"));
}

/** Each file's relative imports (type-only ones included), resolved to files of the tree. */
function importGraph(): Map<string, string[]> {
    const graph = new Map<string, string[]>();
    for (const file of sourceFolders.flatMap((folder) => sourceFiles(path.join(projectRoot, folder)))) {
        const imports = ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true).importedFiles
            .map((imported) => imported.fileName)
            .filter((name) => name.startsWith("."))
            .map((name) => [`${name}.ts`, path.join(name, "index.ts")].map((candidate) => path.resolve(path.dirname(file), candidate)).find((candidate) => fs.existsSync(candidate)))
            .filter((resolved): resolved is string => resolved !== undefined);
        graph.set(path.relative(projectRoot, file), imports.map((resolved) => path.relative(projectRoot, resolved)));
    }
    return graph;
}

/** Every import circle, each as the path that closes it (depth-first search over the graph). */
function importCircles(graph: Map<string, string[]>): string[][] {
    const circles: string[][] = [];
    const state = new Map<string, "open" | "done">();
    const stack: string[] = [];
    const visit = (file: string) => {
        state.set(file, "open");
        stack.push(file);
        for (const next of graph.get(file) ?? []) {
            if (state.get(next) === "open") circles.push([...stack.slice(stack.indexOf(next)), next]);
            else if (!state.has(next)) visit(next);
        }
        stack.pop();
        state.set(file, "done");
    };
    for (const file of graph.keys()) if (!state.has(file)) visit(file);
    return circles;
}

describe("source layout", function () {
    const graph = importGraph();

    it("finds the imports it checks (a graph with edges into the engine)", function () {
        assert.ok(graph.size > 50, `only ${graph.size} source files found`);
        assert.ok([...graph.values()].flat().some((target) => target.startsWith(`analysis${path.sep}`)), "no file imports the analysis engine");
    });

    it("has no import circles, type-only imports included", function () {
        assert.deepStrictEqual(importCircles(graph).map((circle) => circle.join(" → ")), []);
    });

    it("keeps the reachability engine out of components/: components use it only through the package's index", function () {
        const inward = [...graph.entries()]
            .filter(([file]) => file.startsWith(`components${path.sep}`) && file !== path.join("components", "index.ts"))
            .filter(([, targets]) => targets.some((target) => target.startsWith(`analysis${path.sep}`)));
        assert.deepStrictEqual(inward.map(([file]) => file), []);
        assert.ok(!fs.existsSync(path.join(projectRoot, "components", "analysis")), "components/analysis/ still exists");
    });

    /** The files of `folder` that import a file of one of `forbidden`, each as "file → target". */
    function importsInto(folder: string, forbidden: readonly string[]): string[] {
        return [...graph.entries()]
            .filter(([file]) => file.startsWith(`${folder}${path.sep}`))
            .flatMap(([file, targets]) => targets.filter((target) => forbidden.some((other) => target.startsWith(`${other}${path.sep}`))).map((target) => `${file} → ${target}`));
    }

    it("keeps the components out of the engine: analysis/ imports common/ leaves, never components/", function () {
        assert.deepStrictEqual(importsInto("analysis", ["components", "stacks", "policypack"]), []);
    });

    it("keeps common/ a leaf: it imports nothing of the tree", function () {
        assert.ok(graph.has(path.join("common", "wellKnown.ts")), "common/wellKnown.ts is not in the graph");
        assert.deepStrictEqual(importsInto("common", ["analysis", "components", "stacks", "policypack"]), []);
    });
});
