import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { calicoConnectivity } from "../../analysis/calico";
import { main } from "../../analysis/cli";
import { flowLines } from "../../analysis/flowFormat";
import { loadManifests } from "../../analysis/manifests";
import { formatConnections } from "../../analysis/netpol";
import { reachability } from "../../analysis/reach";
import { projectRoot } from "../harness/stackConfig";

/**
 * ClusterNetworkPolicy (v1alpha2) cases made from np-guard/netpol-analyzer's AdminNetworkPolicy
 * and BaselineAdminNetworkPolicy cases through an exact mapping, with netpol-analyzer's own
 * connlist outputs (shared/conformance, README "cnp/ and cnp-invalid/"; not written by this project).
 */
const conformanceRoot = path.resolve(projectRoot, "..", "shared", "conformance");
const caseNames = (set: string) => fs.readdirSync(path.join(conformanceRoot, set), { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
const cases = caseNames("cnp");
const invalidCases = caseNames("cnp-invalid");

async function reach(input: string): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = "";
    let stderr = "";
    const code = await main(["reach", input], { stdout: (text) => { stdout += text; }, stderr: (text) => { stderr += text; } });
    return { code, stdout, stderr };
}

/** strictEqual on the whole listing, with the first differing line as the message. */
function assertSameListing(actual: string, expected: string, what: string): void {
    if (actual !== expected) {
        const actualLines = actual.split("\n");
        const at = expected.split("\n").findIndex((line, index) => line !== actualLines[index]);
        assert.fail(`${what}: differs at line ${at + 1}: expected ${JSON.stringify(expected.split("\n")[at])}, computed ${JSON.stringify(actualLines[at])}`);
    }
}

/**
 * Three inputs that `ztmesh reach` refuses, as the API server would: netpol-analyzer's files
 * (kept verbatim by the conversion) hold a Deployment whose `spec.selector` does not select its
 * own pod template's labels, which apps/v1 validation refuses ("selector does not match template
 * labels"). The expected results are right about the policies; for these, the listing is
 * compared as `ztmesh reach` computes it once its checks pass (the same evaluation, on the
 * objects as read), and the refusal is checked to name the Deployment.
 */
const refusedDeployments: Readonly<Record<string, string>> = {
    anp_test_1_deny_traffic_at_cluster_level: "Deployment sensitive-ns/sensitive: spec.selector: selects app=sensitive, which spec.template.metadata.labels does not have",
    anp_test_2_allow_traffic_at_cluster_level: "Deployment monitoring-ns/monitoring: spec.selector: selects app=monitoring, which spec.template.metadata.labels does not have",
    anp_test_ingress_egress_intersection: "Deployment monitoring-ns/monitoring: spec.selector: selects app=monitoring, which spec.template.metadata.labels does not have",
};

describe("ClusterNetworkPolicy conformance (netpol-analyzer's ANP/BANP cases as v1alpha2, with its connlist outputs)", () => {
    it("has the upstream cases", () => {
        assert.strictEqual(cases.length, 20, `found ${cases.length} cases`);
        assert.strictEqual(invalidCases.length, 8, `found ${invalidCases.length} invalid cases`);
    });

    for (const name of cases) {
        const input = path.join(conformanceRoot, "cnp", name, "input");
        const expected = () => fs.readFileSync(path.join(conformanceRoot, "cnp", name, "expected.txt"), "utf8");

        it(`${name}: ztmesh reach lists exactly the expected connections`, async () => {
            const { code, stdout, stderr } = await reach(input);
            const refused = refusedDeployments[name];
            if (refused === undefined) {
                assert.strictEqual(stderr, "", "no warning: every ClusterNetworkPolicy is evaluated");
                assert.strictEqual(code, 0);
                assertSameListing(stdout, expected(), name);
            } else {
                assert.strictEqual(code, 2);
                assert.ok(stderr.includes(refused), stderr);
                assertSameListing([...flowLines(reachability(loadManifests(input)), { l7: false })].join(""), expected(), name);
            }
        });

        it(`${name}: the same in Calico's kube-admin and kube-baseline tiers`, () => {
            assertSameListing(formatConnections(calicoConnectivity(loadManifests(input))), expected(), `${name} (Calico)`);
        });
    }

    /** What each object breaks, as `ztmesh reach` words it after the object's name: the field and the rule's message. */
    const refusals: Readonly<Record<string, string>> = {
        "action-allow": 'spec.ingress[0].action: must be one of "Accept", "Deny", "Pass", found a string "Allow"',
        "baseline-without-priority": "spec.priority: required field is missing",
        "domainnames-peer": "spec.egress[0].to[0].domainNames: unknown field",
        "ingress-26-rules": "spec.ingress: must NOT have more than 25 items",
        "networks-invalid-cidr": 'spec.egress[0].to[0].networks[0]: Invalid CIDR format provided, found a string "zc00::/8"',
        "peer-pods-and-namespaces": "spec.ingress[0].from[0]: must NOT have more than 1 properties",
        "port-range-inverted": "spec.ingress[0].protocols[0].tcp.destinationPort.range: Start port must be less than End port",
        "priority-above-1000": "spec.priority: must be <= 1000, found a number 1001",
    };

    for (const name of invalidCases) {
        it(`${name}: refused with exit 2, naming the object and the rule`, async () => {
            const reason = fs.readFileSync(path.join(conformanceRoot, "cnp-invalid", name, "reason.txt"), "utf8");
            // "ClusterNetworkPolicy /<name>: ..." (cluster-scoped: no namespace before the slash).
            const object = reason.slice(0, reason.indexOf(":")).replace(" /", " ");
            const { code, stdout, stderr } = await reach(path.join(conformanceRoot, "cnp-invalid", name, "input"));
            assert.strictEqual(code, 2);
            assert.strictEqual(stdout, "");
            assert.ok(refusals[name] !== undefined, `no refusal written down for ${name}`);
            assert.ok(stderr.includes(`policies.yaml: ${object}: ${refusals[name]}`), stderr);
        });
    }
});
