/**
 * Every relative link of README.md and docs/ leads somewhere: the file exists and, for a link
 * to a heading (`#anchor`), the heading does. Pages moved between README and docs/ keep working.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { projectRoot } from "../harness/stackConfig";

const pages = ["README.md", ...fs.readdirSync(path.join(projectRoot, "docs")).filter((name) => name.endsWith(".md")).map((name) => `docs/${name}`)];

/** The Markdown without its fenced blocks, whose brackets and `#` lines are code, not links or headings. */
const prose = (markdown: string) => markdown.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, "");

/**
 * The anchor GitHub gives a heading: lower case, punctuation other than `-` and `_` dropped,
 * spaces to `-`. Written here rather than adding a slug package: one rule, and the test checks
 * it against the headings this documentation uses.
 */
const anchor = (heading: string) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");

function anchors(file: string): Set<string> {
    const headings = prose(fs.readFileSync(path.join(projectRoot, file), "utf8")).match(/^#{1,6} .*$/gm) ?? [];
    return new Set(headings.map((heading) => anchor(heading.replace(/^#+ /, ""))));
}

describe("documentation links", () => {
    it("computes GitHub's anchors", () => {
        assert.strictEqual(anchor("Who can reach whom: `ztmesh reach`"), "who-can-reach-whom-ztmesh-reach");
        assert.strictEqual(anchor("Real Pulumi: toolchain, language host and end-to-end test"), "real-pulumi-toolchain-language-host-and-end-to-end-test");
        assert.strictEqual(anchor("Default-deny, layer by layer"), "default-deny-layer-by-layer");
    });

    it("every relative link of README.md and docs/ names a file and heading that exist", () => {
        const broken = pages.flatMap((page) => [...prose(fs.readFileSync(path.join(projectRoot, page), "utf8")).matchAll(/\]\(([^)\s]+)\)/g)]
            .map((match) => match[1])
            .filter((target) => !/^[a-z]+:/.test(target))
            .filter((target) => {
                const [file, fragment] = target.split("#");
                const resolved = file === "" ? page : path.normalize(path.join(path.dirname(page), file));
                if (!fs.existsSync(path.join(projectRoot, resolved))) return true;
                return fragment !== undefined && !anchors(resolved).has(fragment);
            })
            .map((target) => `${page}: ${target}`));
        assert.deepStrictEqual(broken, []);
    });
});
