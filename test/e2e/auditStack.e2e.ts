import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PulumiCli } from "./pulumiCli";
import { renderConfig, writeStackConfig } from "./stackFiles";

/**
 * The audit stack (Pulumi.audit.yaml: the dev Bookinfo stack with `ztmesh:enforcement: audit`)
 * under the real engine and the policy pack, rendered: its staged and dry-run objects must pass
 * every mandatory rule, and the same configuration must be refused in a stack whose name says
 * production, because there its default-deny and allow policies would enforce nothing.
 */
describe("e2e: the audit stack with the real Pulumi CLI and the policy pack (render mode)", function () {
    this.timeout(1_800_000);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-e2e-audit-"));
    const state = path.join(work, "state");
    const config = writeStackConfig(path.join(work, "Pulumi.audit.yaml"), renderConfig("audit", path.join(work, "rendered")));
    // `productionStacks` defaults to prod*; the audit stack's name must not match it.
    const audit = new PulumiCli(state, `e2e-audit-${process.pid}`, config);
    const production = new PulumiCli(state, `prod-audit-${process.pid}`, config);

    before(() => {
        fs.mkdirSync(state);
        audit.ok(["stack", "init"]);
        production.ok(["stack", "init"]);
    });

    after(() => {
        // Previews create nothing; `stack rm` removes the Pulumi.<stack>.yaml files `stack init` wrote.
        audit.run(["stack", "rm", "--yes", "--force"]);
        production.run(["stack", "rm", "--yes", "--force"]);
        fs.rmSync(work, { recursive: true, force: true });
    });

    it("pulumi preview --policy-pack policypack: no mandatory violation, with the staged Calico policies and dry-run AuthorizationPolicies in the plan", () => {
        const output = audit.ok(["preview", "--policy-pack", "policypack"]);
        assert.doesNotMatch(output, /mandatory/i, output);
        assert.match(output, /ztmesh-zero-trust/, "the pack ran");
        assert.match(output, /\+ +kubernetes:crd\.projectcalico\.org\/v1:StagedGlobalNetworkPolicy +\S+ +create/, output);
        assert.match(output, /\+ +kubernetes:crd\.projectcalico\.org\/v1:StagedKubernetesNetworkPolicy +\S+ +create/, output);
        assert.doesNotMatch(output, /\+ +kubernetes:crd\.projectcalico\.org\/v1:GlobalNetworkPolicy +\S*default-deny/, "no enforcing default-deny in audit mode");
    });

    it("the same configuration in a stack named like production is refused, naming the rule", () => {
        const { status, output } = production.run(["preview", "--policy-pack", "policypack"]);
        assert.notStrictEqual(status, 0, output);
        assert.match(output, /\[mandatory\]\s+production-not-in-audit/, output);
        assert.match(output, new RegExp(`prod-audit-${process.pid}`), "the message names the stack");
    });
});
