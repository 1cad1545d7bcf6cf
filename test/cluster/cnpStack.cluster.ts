import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { assertOnServer, clusterConfig, expectedObjects, onItsOwnServer } from "./stackOnServer";

/**
 * The dev stack in clusterNetworkPolicy mode (`ztmesh:baseline.clusterPolicy`) with `pulumi up`
 * against a real kube-apiserver, whose ClusterNetworkPolicy CRD is the one Calico v3.32.1 ships
 * (network-policy-api v0.2.0, standard channel), installed with Calico's other CRDs: the server
 * checks the guardrails against its schema and CEL rules and must hold them as sent. A cluster
 * of its own, as the dev stack's tests own the same namespaces.
 */
describe("cluster: the dev stack in clusterNetworkPolicy mode applied to kube-apiserver v1.36.3", function () {
    this.timeout(1_800_000);
    const config = clusterConfig("dev");
    config["ztmesh:baseline"] = { clusterPolicy: "clusterNetworkPolicy" };
    const server = onItsOwnServer("cnp", config);

    /** The server's refusal of `object`, or undefined when it accepts it. */
    async function refusal(object: Record<string, unknown>): Promise<string | undefined> {
        const file = path.join(server.work, `${String((object.metadata as { name: string }).name)}.yaml`);
        fs.writeFileSync(file, YAML.stringify(object));
        try {
            await server.cluster.apply([file]);
            return undefined;
        } catch (error) {
            return `${(error as Error).message} ${JSON.stringify((error as { body?: unknown }).body ?? "")}`;
        }
    }

    it("the server serves the ClusterNetworkPolicy CRD with its CEL rules active: it refuses a port range that is not start < end and a CIDR without mask", async () => {
        const crd = await server.cluster.read("apiextensions.k8s.io/v1", "CustomResourceDefinition", "clusternetworkpolicies.policy.networking.k8s.io");
        assert.strictEqual(crd?.metadata.annotations["policy.networking.k8s.io/bundle-version"], "v0.2.0");
        const policy = (name: string, peer: Record<string, unknown>, protocols: unknown[]) => ({
            apiVersion: "policy.networking.k8s.io/v1alpha2", kind: "ClusterNetworkPolicy", metadata: { name },
            spec: { tier: "Admin", priority: 1, subject: { namespaces: {} }, egress: [{ action: "Accept", to: [peer], protocols }] },
        });
        assert.match(String(await refusal(policy("range-inverted", { namespaces: {} }, [{ tcp: { destinationPort: { range: { start: 9, end: 9 } } } }]))), /Start port must be less than End port/);
        assert.match(String(await refusal(policy("cidr-without-mask", { networks: ["10.0.0.1"] }, [{ tcp: { destinationPort: { number: 443 } } }]))), /Invalid CIDR format provided/);
        assert.strictEqual(await refusal(policy("valid", { networks: ["10.0.0.0/8"] }, [{ tcp: { destinationPort: { range: { start: 1, end: 65535 } } } }])), undefined, "the same policy, valid, is accepted");
    });

    it("pulumi up creates every object of the stack; the server holds the ClusterNetworkPolicies as sent, and no Calico policy", async () => {
        server.pulumi.ok(["up", "--yes", "--skip-preview"]);
        const expected = await expectedObjects("dev", config);
        const guardrails = expected.filter((r) => r.inputs.kind === "ClusterNetworkPolicy").map((r) => r.inputs.metadata.name).sort();
        assert.deepStrictEqual(guardrails, ["ztmesh-default-deny", "ztmesh-guardrails"]);
        await assertOnServer(server.cluster, expected);
        const onServer = (await server.cluster.list("policy.networking.k8s.io/v1alpha2", "ClusterNetworkPolicy")).map((p) => p.metadata!.name).filter((name) => name !== "valid").sort();
        assert.deepStrictEqual(onServer, guardrails);
        assert.deepStrictEqual((await server.cluster.list("crd.projectcalico.org/v1", "GlobalNetworkPolicy")).map((p) => p.metadata!.name), []);
    });

    it("a second preview changes nothing", () => {
        server.pulumi.ok(["preview", "--expect-no-changes"]);
    });
});
