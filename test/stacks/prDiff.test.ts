import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { connectivityDiff, diffSides } from "../../analysis/diff/connectivityDiff";
import { parseEnvironment } from "../../stacks/config";
import { diffArgs } from "../../stacks/diff";
import { diffComment, escapeMarkdown, noChange } from "../../stacks/diffComment";
import { stackObjects } from "../../stacks/offline";
import { renderStackFile } from "../../stacks/renderRevision";
import { repositoryOf, resolveCommit } from "../../stacks/revisions";
import { editedConfig, projectRoot, stackConfig } from "../harness/stackConfig";

describe("npm run diff: arguments, the stack file of a render, the pull-request comment", () => {
    describe("arguments", () => {
        it("takes --stack, --base, --fail-on-change and -o/--output", () => {
            assert.deepStrictEqual(diffArgs(["--stack", "dev", "--base", "origin/main", "--fail-on-change", "-o", "diff.md"]), { stack: "dev", base: "origin/main", failOnChange: true, output: "diff.md" });
            assert.deepStrictEqual(diffArgs(["--base=HEAD~1", "--stack=prod"]), { stack: "prod", base: "HEAD~1", failOnChange: false, output: undefined });
            assert.strictEqual(diffArgs(["-h"]), undefined);
        });

        it("refuses a missing --stack or --base, a stray argument, a stack name that is no file name, and an unknown option", () => {
            assert.throws(() => diffArgs([]), /^Error: --stack and --base are required$/);
            assert.throws(() => diffArgs(["--stack", "dev"]), /^Error: --base is required$/);
            assert.throws(() => diffArgs(["--stack", "dev", "--base", "main", "HEAD"]), /^Error: unexpected argument "HEAD": name the base with --base <git-ref>$/);
            assert.throws(() => diffArgs(["--stack", "../dev", "--base", "main"]), /^Error: --stack "\.\.\/dev" is not a stack name/);
            assert.throws(() => diffArgs(["--stack", "dev", "--base", "main", "--l8"]), (error: NodeJS.ErrnoException) => error.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION");
        });

        it("the command exits 2 with one line for a stack the base does not have, before rendering anything, and removes its temporary folder", () => {
            const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-prdiff-tmp-"));
            try {
                const missing = spawnSync("node", ["-r", "ts-node/register/transpile-only", "stacks/diff.ts", "--stack", "staging", "--base", "HEAD"], { cwd: projectRoot, encoding: "utf8", env: { ...process.env, TMPDIR: tmp } });
                assert.strictEqual(missing.status, 2, missing.stderr);
                assert.strictEqual(missing.stdout, "");
                assert.match(missing.stderr, /\ndiff: base \(HEAD\): no stack "staging" there: Pulumi\.staging\.yaml does not exist \(stacks: ambient, audit, dev, [^)]*\)\n$/);
                assert.doesNotMatch(missing.stderr, /pulumi up/);
                assert.deepStrictEqual(fs.readdirSync(tmp).filter((name) => name.startsWith("ztmesh-diff-")), []);
            } finally {
                fs.rmSync(tmp, { recursive: true, force: true });
            }
        });

        it("resolves the base to its commit, and names a base that is no commit with the fix for shallow CI checkouts", () => {
            const repository = repositoryOf(projectRoot);
            assert.match(resolveCommit(repository, "HEAD"), /^[0-9a-f]{40}$/);
            assert.throws(() => resolveCommit(repository, "no-such-ref-of-this-repository"),
                /^Error: --base "no-such-ref-of-this-repository" names no commit in .*; in a shallow CI checkout, fetch the base first \(git fetch origin no-such-ref-of-this-repository\)$/);
            assert.throws(() => resolveCommit(repository, "--all"), /^Error: --base "--all" is not a git revision$/);
        });
    });

    describe("the stack file a render uses", () => {
        let project: string;
        before(() => {
            project = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-prdiff-"));
            fs.writeFileSync(path.join(project, "Pulumi.prod.yaml"), [
                "# production",
                "secretsprovider: awskms://alias/ztmesh",
                "encryptedkey: AAAA",
                "config:",
                "  ztmesh:kubeconfig: {secure: v1:AAAA}",
                "  ztmesh:cluster: {context: prod-eu}",
                "  ztmesh:calico: {install: false}  # minikube's",
                "  ztmesh:monitoring: {secure: v1:BBBB}",
            ].join("\n"));
        });
        after(() => fs.rmSync(project, { recursive: true, force: true }));

        it("renders into the given folder whatever the stack targets, and keeps everything else as written, secrets encrypted", () => {
            const file = renderStackFile(project, "prod", "/tmp/render");
            assert.deepStrictEqual(YAML.parse(file.text), {
                secretsprovider: "awskms://alias/ztmesh",
                encryptedkey: "AAAA",
                config: { "ztmesh:cluster": { renderDirectory: "/tmp/render" }, "ztmesh:calico": { install: false }, "ztmesh:monitoring": { secure: "v1:BBBB" } },
            });
            assert.match(file.text, /# minikube's/);
            assert.strictEqual(file.usesSecrets, true);
            assert.strictEqual(file.secretsProvider, "awskms://alias/ztmesh");
        });

        it("names the stacks of the revision when the stack file is missing there", () => {
            assert.throws(() => renderStackFile(project, "dev", "/tmp/render"), /^Error: no stack "dev" there: Pulumi\.dev\.yaml does not exist \(stacks: prod\)$/);
        });
    });

    describe("the comment", () => {
        const labels = { stack: "dev", base: "origin/main (1a2b3c4)", head: "working tree" };

        it("one added caller: a heading, the counts, and one row with the L4 ports and the L7 requests, escaped for GitHub", async () => {
            const before = await stackObjects(parseEnvironment(stackConfig("dev")), "dev");
            const after = await stackObjects(parseEnvironment(editedConfig("dev", "ztmesh:services", (services) => {
                services.find((service: { name: string }) => service.name === "ratings").callers.push({ service: "details", methods: ["GET"], paths: ["/ratings/*"] });
                return services;
            })), "dev");
            const [beforeSide, afterSide] = diffSides(before, after);
            assert.strictEqual(diffComment(connectivityDiff(beforeSide, afterSide, { l7: true }), labels), [
                "### Connectivity of stack dev: origin/main (1a2b3c4) → working tree",
                "",
                "1 connection added, 0 connections removed, 0 connections changed (layers 3/4 and 7: a change in the HTTP requests a flow allows is a change).",
                "",
                "| diff-type | source | destination | origin/main (1a2b3c4) | working tree | workloads-diff-info |",
                "| --- | --- | --- | --- | --- | --- |",
                "| added | bookinfo/details-v1\\[Deployment\\] | bookinfo/ratings-v1\\[Deployment\\] | No Connections | TCP 9080 \\[GET /ratings/\\*\\] |  |",
                "",
            ].join("\n"));
            // The same stack on both sides: nothing changed, said in one sentence, with what the renders left out.
            const [same, again] = diffSides(before, before);
            assert.strictEqual(diffComment(connectivityDiff(same, again, { l7: true }), labels, ["not rendered: chart \"istiod\""]),
                `### Connectivity of stack dev: origin/main (1a2b3c4) → working tree\n\n${noChange}\n\nNote: not rendered: chart "istiod"\n`);
        });

        it("escapes what GitHub would read as markup or a cell boundary, and control characters", () => {
            assert.strictEqual(escapeMarkdown("GET /a/*; GET /b/* | x_y <b> `c` [d]\n"), "GET /a/\\*; GET /b/\\* \\| x\\_y \\<b\\> \\`c\\` \\[d\\]\\\\n");
        });
    });
});
