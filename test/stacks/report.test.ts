import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { offlineStackConfig } from "../../stacks/stackFile";
import { projectRoot } from "../harness/stackConfig";

describe("npm run report: the stack's config, offline", () => {
    let root: string;
    before(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-stackfile-"));
        fs.writeFileSync(path.join(root, "Pulumi.yaml"), "name: ztmesh\n");
        fs.writeFileSync(path.join(root, "Pulumi.staging.yaml"), [
            "config:",
            "  ztmesh:kubeconfig: {secure: v1:AAAA}",
            "  ztmesh:calico: {install: false}",
        ].join("\n"));
        fs.writeFileSync(path.join(root, "Pulumi.secret.yaml"), "config:\n  ztmesh:gateway: {secure: v1:BBBB}\n  ztmesh:monitoring: {secure: v1:CCCC}\n");
    });
    after(() => fs.rmSync(root, { recursive: true, force: true }));

    it("drops the kubeconfig (nothing is deployed) and keeps the rest as Pulumi hands it over", () => {
        assert.deepStrictEqual(offlineStackConfig("staging", root), { "ztmesh:calico": "{\"install\":false}" });
    });

    it("refuses other encrypted values, naming them and the file", () => {
        assert.throws(() => offlineStackConfig("secret", root), (error: Error) => error.message ===
            `${path.join(root, "Pulumi.secret.yaml")}: ztmesh:gateway, ztmesh:monitoring cannot be read offline: only the Pulumi CLI decrypts secure values. `
            + "Keep secrets other than ztmesh:kubeconfig out of the stack's config, or run `ztmesh reach --html` on the rendered stack");
    });

    it("names a missing stack and lists the stacks there", () => {
        assert.throws(() => offlineStackConfig("prod", root), /^Error: no stack "prod": .*Pulumi\.prod\.yaml does not exist \(stacks here: secret, staging\)$/);
    });

    it("the command exits 2 with one line for a missing stack or a bad option", () => {
        for (const [args, message] of [[["--stack", "nope"], /^report: no stack "nope": .* \(stacks here: ambient, audit, dev, platform, prod, team-frontend, team-reviews\)\n$/], [["--stak", "dev"], /^report: Unknown option '--stak'/]] as const) {
            const result = spawnSync("npm", ["run", "-s", "report", "--", ...args], { cwd: projectRoot, encoding: "utf8" });
            assert.strictEqual(result.status, 2, result.stderr);
            assert.match(result.stderr, message);
        }
    });
});
