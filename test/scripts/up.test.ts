import * as assert from "assert";
import { spawnSync } from "child_process";
import * as path from "path";
import { projectRoot } from "../harness/stackConfig";

describe("main-job script (scripts/up.sh)", () => {
    it("stops with one clear message, before touching anything, when the Pulumi CLI is missing", () => {
        // A PATH with the shell tools but no pulumi.
        const result = spawnSync("bash", [path.join(projectRoot, "scripts", "up.sh"), "dev"], {
            env: { PATH: "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp" },
            encoding: "utf8",
        });
        assert.strictEqual(result.status, 127);
        assert.match(result.stderr, /^error: the Pulumi CLI is not on PATH\. Install it .* and run this again\.\n$/);
        assert.strictEqual(result.stdout, "", "no step started");
    });
});
