/**
 * Every TypeScript example of README.md and docs/ compiles against this checkout, so the
 * documentation cannot drift from the components' arguments and outputs.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { projectRoot } from "../harness/stackConfig";
import { extractSnippets, typecheckSnippets } from "./snippets";

function documentation(): string[] {
    const docs = fs.readdirSync(path.join(projectRoot, "docs")).filter((name) => name.endsWith(".md")).map((name) => path.join("docs", name));
    return ["README.md", ...docs.sort()];
}

describe("documentation examples", function () {
    this.timeout(120000);

    it("finds the example of every component page", () => {
        for (const page of ["calico", "istio", "mesh-gateway", "zero-trust-baseline", "mesh-service"]) {
            const file = path.join("docs", `${page}.md`);
            const snippets = extractSnippets(file, fs.readFileSync(path.join(projectRoot, file), "utf8"));
            assert.ok(snippets.length >= 1, `${file} has no \`\`\`ts example`);
        }
    });

    it("typechecks every ```ts block of README.md and docs/ against the package", () => {
        const snippets = documentation().flatMap((file) => extractSnippets(file, fs.readFileSync(path.join(projectRoot, file), "utf8")));
        assert.ok(snippets.length >= 6, `only ${snippets.length} examples found`);
        assert.deepStrictEqual(typecheckSnippets(projectRoot, snippets), []);
    });

    it("names the Markdown file and line of an example that does not compile", () => {
        const markdown = [
            "# Example",
            "",
            "```bash",
            "npm ci",
            "```",
            "",
            "```ts",
            'import { MeshService } from "ztmesh";',
            "",
            'new MeshService("details", { namespace: "bookinfo", port: 9080 });',
            "```",
        ].join("\n");
        const snippets = extractSnippets("docs/example.md", markdown);
        assert.deepStrictEqual(snippets.map((snippet) => snippet.line), [7]);
        const problems = typecheckSnippets(projectRoot, snippets);
        assert.strictEqual(problems.length, 1, problems.join("\n"));
        assert.match(problems[0], /^docs\/example\.md:10: .*'port' does not exist in type 'MeshServiceArgs'/);
    });

    it("refuses a block that is never closed, naming where it starts", () => {
        assert.throws(() => extractSnippets("docs/example.md", "text\n```ts\nconst a = 1;\n"), /^Error: docs\/example\.md:2: the ```ts block is never closed$/);
    });
});
