import * as assert from "assert";
import { parseEnvironment } from "../../stacks/config";
import { deployMesh } from "../../stacks/program";
import { construct } from "../../stacks/offline";
import { CrdSchemas } from "../harness/crdSchemas";
import { kubeconfigIsSecret, stackConfig } from "../harness/stackConfig";

describe("every custom resource the stacks produce is valid against the upstream CRD schemas", () => {
    const schemas = new CrdSchemas();

    for (const stack of ["dev", "prod", "ambient"]) {
        it(`${stack}: Istio, Gateway API and Calico objects pass their CRD's openAPIV3Schema (unknown fields rejected)`, async () => {
            const config = stack === "prod" ? { ...stackConfig(stack), "ztmesh:kubeconfig": "apiVersion: v1" } : stackConfig(stack);
            const log = await construct(() => deployMesh(parseEnvironment(config, kubeconfigIsSecret), stack));
            const checked = log.resources.filter((r) => r.custom && r.inputs.apiVersion).map((r) => ({ name: `${r.inputs.kind} ${r.inputs.metadata?.namespace ?? ""}/${r.inputs.metadata?.name}`, problems: schemas.problems(JSON.parse(JSON.stringify(r.inputs))) }));
            const validated = checked.filter((c) => c.problems !== undefined);
            assert.ok(validated.length >= 10, `objects with a CRD: ${validated.length}`);
            assert.deepStrictEqual(validated.filter((c) => c.problems!.length).map((c) => `${c.name}: ${c.problems!.join("; ")}`), []);
            if (stack === "ambient") {
                // The ambient objects themselves: the waypoint Gateway, a targetRefs policy, a GAMMA route.
                const names = validated.map((c) => c.name);
                for (const name of ["Gateway bookinfo/waypoint", "AuthorizationPolicy bookinfo/reviews", "AuthorizationPolicy bookinfo/reviews-ztunnel", "HTTPRoute bookinfo/reviews-http"]) {
                    assert.ok(names.includes(name), `${name} was validated`);
                }
            }
        });
    }

    it("reports a typo'd field, a wrong enum and a missing required field with the JSON path", () => {
        const typo = schemas.problems({ apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: "x" }, spec: { rule: [] } } as any);
        assert.deepStrictEqual(typo, ["/spec: must NOT have additional properties (rule)"]);
        const badEnum = schemas.problems({ apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: "x" }, spec: { mtls: { mode: "STRICTER" } } } as any);
        assert.ok(badEnum!.some((p) => p.startsWith("/spec/mtls/mode: must be equal to one of the allowed values")), String(badEnum));
        const missing = schemas.problems({ apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name: "x" }, spec: { listeners: [] } } as any);
        assert.ok(missing!.some((p) => p === "/spec: must have required property 'gatewayClassName'"), String(missing));
    });
});
