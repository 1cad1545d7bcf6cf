import * as assert from "assert";
import { execFileSync } from "child_process";
import { dotToSvg } from "../../analysis/formats/svg";
import { projectRoot } from "../harness/stackConfig";

/** The XML character references Graphviz writes in titles (`&#45;` for `-`, `&gt;`). */
function decodeEntities(text: string): string {
    const named: Record<string, string> = { gt: ">", lt: "<", amp: "&", quot: '"' };
    return text.replace(/&(#\d+|\w+);/g, (entity, name: string) => (name.startsWith("#") ? String.fromCharCode(Number(name.slice(1))) : named[name] ?? entity));
}

describe("SVG from DOT (in-process Graphviz)", () => {
    it("draws every node and edge of a small graph", async () => {
        const svg = await dotToSvg('digraph {\n\t"x/a[Pod]" -> "x/b[Pod]" [label="TCP 8080"]\n\t"x/b[Pod]" -> "0.0.0.0-255.255.255.255[External]" [label="All Connections"]\n}');
        assert.match(svg, /^<\?xml[^>]*>\s*<!DOCTYPE svg/);
        const titles = [...svg.matchAll(/<title>([^<]*)<\/title>/g)].map((match) => decodeEntities(match[1]));
        for (const expected of ["x/a[Pod]", "x/b[Pod]", "0.0.0.0-255.255.255.255[External]", "x/a[Pod]->x/b[Pod]", "x/b[Pod]->0.0.0.0-255.255.255.255[External]"]) {
            assert.ok(titles.includes(expected), `no ${expected} in ${titles.join(", ")}`);
        }
        assert.ok(svg.includes(">TCP 8080</text>") && svg.includes(">All Connections</text>"), "edge labels drawn");
    });

    it("reports a DOT syntax error with Graphviz's message", async () => {
        await assert.rejects(dotToSvg("digraph { a -> }"), /Graphviz could not draw the graph: .*syntax error/);
    });

    it("does not load Graphviz until a graph is drawn", () => {
        const loaded = execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e",
            "require('./analysis/formats/svg'); process.stdout.write(String(Object.keys(require.cache).some((file) => file.includes('@viz-js'))))"], { cwd: projectRoot, encoding: "utf8" });
        assert.strictEqual(loaded, "false");
    });
});
