import * as assert from "assert";
import { policies } from "../../policypack/policies";
import { installMocks } from "../../stacks/offline";
import { packOnStack } from "../harness/packRun";
import { mandatory } from "../harness/policyPack";

describe("policy pack on the real stacks", () => {
    before(installMocks);

    for (const stack of ["dev", "prod"] as const) {
        it(`${stack}: zero violations, chart-rendered objects included`, async () => {
            const result = await packOnStack(stack);
            assert.deepStrictEqual(result.violations.map((v) => `${v.policyName}: ${v.message}`), []);
            assert.ok(result.resources.some((r) => r.type === "kubernetes:apps/v1:Deployment" && r.inputs.metadata.name === "istiod"), "the istiod chart's objects were checked too");
        });
    }

    it("classic ingress mode is clean too: the gateway chart's LoadBalancer Service is the approved gateway", async () => {
        const result = await packOnStack("dev", { editConfig: (config) => { config["ztmesh:istio"].ingressMode = "classic"; } });
        assert.deepStrictEqual(mandatory(result).map((v) => v.message), []);
        assert.ok(result.resources.some((r) => r.inputs.kind === "Service" && r.inputs.spec?.type === "LoadBalancer"));
    });

    it("has stable, unique rule names, each with a description, mandatory unless advisory by design", () => {
        const names = policies.map((p) => p.name);
        assert.strictEqual(new Set(names).size, names.length);
        assert.ok(names.every((name) => /^[a-z0-9]+(-[a-z0-9]+)*$/.test(name)));
        assert.ok(policies.every((p) => p.description.length > 40));
        assert.deepStrictEqual(policies.filter((p) => p.enforcementLevel !== "mandatory").map((p) => p.name), ["container-images-pinned", "audit-enforcement-impact"]);
        assert.strictEqual(policies.length, 29);
    });
});
