import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../../analysis/cli";
import { formatFlows } from "../../analysis/flowFormat";
import { reachability } from "../../analysis/reach";
import { writeClusterFiles } from "./clusterFiles";
import { clusterPolicyCluster } from "./clusterPolicyCluster";
import { syntheticCluster } from "./syntheticCluster";

/** The ClusterNetworkPolicy bench measures what it says: valid input, evaluated, with the guardrails' effect. */
describe("benchmark clusters with ClusterNetworkPolicy guardrails (npm run bench)", () => {
    it("are read by ztmesh reach without a warning, on both engines", async () => {
        const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-bench-cnp-test-"));
        try {
            for (const shape of ["kubernetes", "calico"] as const) {
                const folder = path.join(scratch, shape);
                writeClusterFiles(20, folder, clusterPolicyCluster(20, shape));
                let stderr = "";
                const code = await main(["reach", folder], { stdout: () => undefined, stderr: (text) => { stderr += text; } });
                assert.strictEqual(code, 0, stderr);
                assert.strictEqual(stderr, "", shape);
            }
        } finally {
            fs.rmSync(scratch, { recursive: true, force: true });
        }
    });

    it("allow what the Calico guardrails allow, the Baseline deny-all holding where no NetworkPolicy isolates a pod", () => {
        const withCalico = formatFlows(reachability(syntheticCluster(40)));
        assert.strictEqual(formatFlows(reachability(clusterPolicyCluster(40, "kubernetes"))), withCalico);
        assert.strictEqual(formatFlows(reachability(clusterPolicyCluster(40, "calico"))), withCalico);
        const unisolated = clusterPolicyCluster(40, "kubernetes").filter((object) => object.kind !== "NetworkPolicy");
        const flows = formatFlows(reachability(unisolated)).split("\n").filter((line) => line !== "");
        // A ClusterNetworkPolicy's ingress peers are pods and namespaces only (v1alpha2 has no
        // ingress `networks`), so no deny-all of it holds traffic from outside the cluster.
        assert.ok(flows.length > 0 && flows.every((line) => line.startsWith("0.0.0.0-255.255.255.255[External] => ")), flows.join("\n"));
    });
});
