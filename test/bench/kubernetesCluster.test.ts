import * as assert from "assert";
import { connectivity } from "../../analysis/netpol";
import { objectProblem } from "../../analysis/schema/validate";
import { clusterFromObjects } from "../../analysis/netpol/workloads";
import { kubernetesCluster } from "./kubernetesCluster";

describe("benchmark: the Kubernetes-only cluster (npm run bench)", () => {
    const objects = kubernetesCluster(300);

    it("is valid input, the same for the same seed, and of the size asked (plus DNS and monitoring)", () => {
        const problems = structuredClone(objects).flatMap((object) => objectProblem(object) ?? []);
        assert.deepStrictEqual(problems, []);
        assert.deepStrictEqual(kubernetesCluster(300), objects);
        assert.notDeepStrictEqual(kubernetesCluster(300, 2), objects);
        const cluster = clusterFromObjects(objects);
        assert.strictEqual(cluster.workloads.length, 302);
        assert.deepStrictEqual(new Set(cluster.workloads.map((workload) => workload.kind)), new Set(["Deployment", "StatefulSet", "Pod"]));
        assert.strictEqual(cluster.namespaces.size, 3 + 2);
    });

    it("is policed: each workload reaches a few others, External ranges reach some, and most pairs are denied", () => {
        const connections = connectivity(objects);
        const internal = connections.filter((connection) => connection.src.kind === "workload" && connection.dst.kind === "workload");
        assert.ok(internal.length > 302 && internal.length < 302 * 20, `${internal.length} flows between workloads`);
        assert.ok(connections.some((connection) => connection.src.kind === "external"), "no flow from External");
        assert.ok(connections.some((connection) => connection.dst.kind === "external" && !connection.allowed.isAll()), "no narrowed flow to External");
    });
});
