import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { projectRoot } from "../harness/stackConfig";

/**
 * A stand-in `pulumi` of version `version`: it logs each call to $FAKE_LOG; for
 * `stack output renderDirectory` it prints $FAKE_PREVIOUS (the last run's render folder), and
 * for `stack output --json` the outputs of a render into $FAKE_RENDER with two objects.
 */
function fakePulumi(directory: string, version: string): void {
    fs.writeFileSync(path.join(directory, "pulumi"), `#!/bin/sh
echo "$*" >> "$FAKE_LOG"
case "$1" in
  version) echo "${version}" ;;
  stack) if [ "$2 $3" = "output renderDirectory" ]; then
           echo "$FAKE_PREVIOUS"
         elif [ "$2" = output ]; then
           mkdir -p "$FAKE_RENDER/1-manifest" && touch "$FAKE_RENDER/1-manifest/a.yaml" "$FAKE_RENDER/1-manifest/b.yaml"
           echo '{"mode":"render","renderDirectory":"'"$FAKE_RENDER"'","notRendered":["chart \\"base\\""]}'
         fi ;;
esac
`, { mode: 0o755 });
}

describe("main-job script (scripts/up.sh)", function () {
    this.timeout(120_000);
    let work: string;
    beforeEach(() => { work = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-up-")); });
    afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

    /** Runs `up.sh dev` with a stand-in pulumi of `version` first on `path`; returns its result and the pulumi calls. */
    function runUp(version: string, env: NodeJS.ProcessEnv, searchPath = process.env.PATH) {
        fakePulumi(work, version);
        const log = path.join(work, "calls.log");
        const result = spawnSync("bash", [path.join(projectRoot, "scripts", "up.sh"), "dev"], {
            env: { ...process.env, PATH: `${work}:${searchPath}`, FAKE_LOG: log, FAKE_RENDER: path.join(work, "rendered"), PULUMI_BACKEND_URL: `file://${work}`, ...env },
            encoding: "utf8",
        });
        return { result, calls: fs.readFileSync(log, "utf8").trim().split("\n") };
    }

    it("uses a pulumi >= 3.221 on PATH as it is, and ends with a one-line summary of what it rendered", () => {
        const { result, calls } = runUp("v3.259.0", {});
        assert.strictEqual(result.status, 0, result.stderr);
        assert.deepStrictEqual(calls, [
            "version", "version",
            "stack select --create dev --non-interactive",
            "stack output renderDirectory --stack dev",
            "up --stack dev --yes --non-interactive",
            "stack output --stack dev --json",
        ]);
        assert.doesNotMatch(result.stdout + result.stderr, /toolchain/, "nothing is built");
        const lines = result.stdout.trim().split("\n");
        assert.match(lines[lines.length - 1], /^\[up \+\d+s\] dev: rendered 2 objects to .*rendered\/; not rendered \(cannot be fetched, see the warning above\): chart "base"$/);
    });

    it("renders everything again when the last run's render folder was removed (the pinned provider renders only changes)", () => {
        const { result, calls } = runUp("v3.259.0", { FAKE_PREVIOUS: path.join(work, "removed") });
        assert.strictEqual(result.status, 0, result.stderr);
        assert.deepStrictEqual(calls.slice(3, 5), ["stack output renderDirectory --stack dev", "destroy --stack dev --yes --non-interactive --skip-preview"]);
        assert.strictEqual(calls[5], "up --stack dev --yes --non-interactive");
        assert.match(result.stdout, /removed has no manifests left: clearing the stack's render state/);
    });

    it("does not use a pulumi older than 3.221: it builds the pinned toolchain instead (and says so)", () => {
        // Without Go on PATH the build stops at its first check, after the choice was made.
        const { result, calls } = runUp("v3.100.0", { TOOLCHAIN_DIR: path.join(work, "toolchain") }, `${path.dirname(process.execPath)}:/usr/bin:/bin`);
        assert.notStrictEqual(result.status, 0);
        assert.match(result.stdout, /no pulumi >= 3\.221\.0 on PATH: building the toolchain into \.toolchain\/ \(progress below\)/);
        assert.match(result.stderr, /\[toolchain \+\d+s\] ERROR: go is not on PATH/);
        assert.deepStrictEqual(calls, ["version"], "the old pulumi ran nothing");
    });
});
