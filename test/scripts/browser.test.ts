import * as assert from "assert";
import { spawnSync } from "child_process";
import * as path from "path";
import { projectRoot } from "../harness/stackConfig";

/** `scripts/browser.sh --check`, which `npm run test:browser` runs first: it only looks, never installs. */
function check(chromium: string) {
    return spawnSync("bash", [path.join(projectRoot, "scripts", "browser.sh"), "--check"], {
        env: { ...process.env, ZTMESH_CHROMIUM: chromium },
        encoding: "utf8",
    });
}

describe("browser check for the browser tier (scripts/browser.sh --check)", () => {
    it("prints the executable it finds", () => {
        const result = check(process.execPath);
        assert.strictEqual(result.status, 0, result.stderr);
        assert.strictEqual(result.stdout, `${process.execPath}\n`);
    });

    it("fails with one line that says how to get a browser when it finds none", () => {
        const result = check("/nonexistent/chromium");
        assert.strictEqual(result.status, 1);
        assert.strictEqual(result.stdout, "");
        const lines = result.stderr.trimEnd().split("\n");
        assert.strictEqual(lines.length, 1, result.stderr);
        assert.match(lines[0], /^error: ZTMESH_CHROMIUM=\/nonexistent\/chromium is not an executable: .*run `bash scripts\/browser\.sh`$/);
    });
});
