import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { copyWorkingTree, repositoryOf } from "../../stacks/revisions";
import { projectRoot } from "../harness/stackConfig";
import { toolchainEnv } from "./pulumiCli";

/**
 * `npm run diff` with the real Pulumi engine, in a git repository made from this checkout: the
 * current tree is the base commit, and a second commit lets details call ratings in
 * Pulumi.dev.yaml. Each run renders the base and the working tree once.
 */
describe("e2e: npm run diff -- --stack dev --base REF (the pull-request comment)", function () {
    this.timeout(1_800_000);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-e2e-diff-"));
    const repo = path.join(work, "repo");
    // The script's temporary folders go here, to check that it removes them.
    const tmp = path.join(work, "tmp");
    const git = (...args: string[]) => execFileSync("git", ["-C", repo, "-c", "user.name=e2e", "-c", "user.email=e2e@example.invalid", ...args], { encoding: "utf8" });

    before(() => {
        fs.mkdirSync(tmp);
        copyWorkingTree(repositoryOf(projectRoot), repo);
        fs.symlinkSync(fs.realpathSync(path.join(projectRoot, "node_modules")), path.join(repo, "node_modules"));
        git("init", "-q");
        // The link is not the folder .gitignore names (`node_modules/`): keep it out of the commits.
        fs.appendFileSync(path.join(repo, ".git", "info", "exclude"), "/node_modules\n");
        git("add", "-A");
        git("commit", "-qm", "base");
        const stackFile = path.join(repo, "Pulumi.dev.yaml");
        const document = YAML.parseDocument(fs.readFileSync(stackFile, "utf8"));
        const services = document.getIn(["config", "ztmesh:services"]) as YAML.YAMLSeq<YAML.YAMLMap>;
        const ratings = services.items.find((service) => service.get("name") === "ratings")!;
        (ratings.get("callers") as YAML.YAMLSeq).add(document.createNode({ service: "details", methods: ["GET"], paths: ["/ratings/*"] }));
        fs.writeFileSync(stackFile, document.toString());
        git("commit", "-qam", "details calls ratings");
    });

    after(() => fs.rmSync(work, { recursive: true, force: true }));

    function diff(...args: string[]): { status: number | null; stdout: string; stderr: string } {
        const started = Date.now();
        const result = spawnSync("npm", ["run", "-s", "diff", "--", "--stack", "dev", ...args], { cwd: repo, env: { ...toolchainEnv(), TMPDIR: tmp }, encoding: "utf8", timeout: 900_000 });
        console.log(`      npm run diff -- ${args.join(" ")}: exit ${result.status} in ${Math.round((Date.now() - started) / 1000)}s`);
        // (Node.js tools keep caches of their own there, such as v8-compile-cache.)
        assert.deepStrictEqual(fs.readdirSync(tmp).filter((name) => name.startsWith("ztmesh-diff-")), [], `the temporary folders are removed\n${result.stderr}`);
        return result;
    }

    /** The comment's table rows, without the header and separator. */
    const rows = (comment: string) => comment.split("\n").filter((line) => line.startsWith("| ")).slice(2);

    it("the added caller is the one added flow, at layers 4 and 7, and --fail-on-change exits 1", () => {
        const { status, stdout, stderr } = diff("--base", "HEAD~1", "--fail-on-change");
        assert.strictEqual(status, 1, stderr);
        const base = git("rev-parse", "--short=7", "HEAD~1").trim();
        // `~` is escaped: GitHub reads `~text~` as struck through.
        assert.ok(stdout.startsWith(`### Connectivity of stack dev: HEAD\\~1 (${base}) → working tree\n\n1 connection added, 0 connections removed, 0 connections changed`), stdout);
        assert.deepStrictEqual(rows(stdout), ["| added | bookinfo/details-v1\\[Deployment\\] | bookinfo/ratings-v1\\[Deployment\\] | No Connections | TCP 9080 \\[GET /ratings/\\*\\] |  |"], stdout);
        assert.match(stderr, /base: pulumi up \(render mode\)/);
        assert.match(stderr, /head: rendered \d+ resources/);
        assert.strictEqual(git("status", "--porcelain"), "", "the repository's working tree is as it was");
    });

    it("no change: the comment says so and --fail-on-change exits 0", () => {
        const { status, stdout, stderr } = diff("--base", "HEAD", "--fail-on-change");
        assert.strictEqual(status, 0, stderr);
        assert.match(stdout, /^### Connectivity of stack dev: HEAD \([0-9a-f]{7}\) → working tree\n\nNo change in who can reach whom\.\n/);
        assert.deepStrictEqual(rows(stdout), []);
    });
});
