import { unknownCheckingProxy } from "@pulumi/policy";
import * as assert from "assert";
import { plainData } from "../../policypack/kubernetes";
import { peerAuthenticationStrict } from "../../policypack/rules/meshIdentity";
import { StackModel } from "../../policypack/stackModel";
import type { RecordedResource } from "../../stacks/offline";
import { runPolicyPack } from "../harness/policyPack";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { unknownStringValue, unknownObjectValue, isSpecialProxy } = require("@pulumi/policy/proxy");

/** Props as the analyzer hands them to a stack policy, read past its proxy for speed, with the same unknowns. */
describe("policy pack: reading analyzer props", () => {
    const object = { apiVersion: "v1", kind: "Service", metadata: { name: "ratings", labels: { app: "ratings" } }, spec: { ports: [{ port: 9080 }], selector: { app: "ratings" } } };

    it("gives known props as plain data, no longer behind the analyzer's proxy", () => {
        const copy = plainData(unknownCheckingProxy(structuredClone(object)));
        assert.deepStrictEqual(copy, object);
        assert.notStrictEqual((copy as any)[isSpecialProxy], true, "a plain object, not the proxy");
        assert.notStrictEqual((copy!.spec.ports as any)[isSpecialProxy], true, "nested values are plain too");
    });

    it("gives nothing for props with a value unknown during preview, however deep", () => {
        assert.strictEqual(plainData(unknownCheckingProxy({ ...object, spec: { ports: [{ port: 9080 }, { port: unknownStringValue }] } })), undefined);
        assert.strictEqual(plainData(unknownCheckingProxy({ ...object, metadata: unknownObjectValue })), undefined);
    });

    it("gives props that are not behind the proxy as they are, checked the same way", () => {
        assert.strictEqual(plainData(object), object, "the analyzer's copy is the policy's own: checked, not copied again");
        assert.strictEqual(plainData({ ...object, spec: unknownStringValue }), undefined);
    });

    it("indexes objects by their identity, leaving out those whose kind or name is unknown, as the proxy would", () => {
        const resource = (name: string, props: Record<string, unknown>) => ({ type: "kubernetes:core/v1:Service", urn: `urn:${name}`, name, props: unknownCheckingProxy(props) }) as any;
        const model = new StackModel([
            resource("known", object),
            resource("unknown-name", { ...object, metadata: { name: unknownStringValue } }),
            resource("unknown-metadata", { ...object, metadata: unknownObjectValue }),
            resource("unknown-kind", { ...object, kind: unknownStringValue }),
            resource("unknown-namespace", { ...object, metadata: { name: "reviews", namespace: unknownStringValue } }),
            resource("unknown-labels", { ...object, metadata: { name: "details", labels: { app: unknownStringValue } } }),
        ]);
        assert.deepStrictEqual(model.objects.map((entry) => entry.resource.name), ["known", "unknown-namespace", "unknown-labels"]);
        assert.deepStrictEqual(model.inNamespace("Service", "default").map((entry) => entry.resource.name), ["known", "unknown-labels"], "an unknown namespace is in no namespace");
        assert.strictEqual(model.named("Service", "", "default", "ratings")?.resource.name, "known");
    });

    it("reads nothing of an object to find it is not exempt when no exemptions are configured", async () => {
        const strict: RecordedResource = {
            urn: "urn:pulumi:dev::ztmesh::kubernetes:security.istio.io/v1:PeerAuthentication::generated", type: "kubernetes:security.istio.io/v1:PeerAuthentication", name: "generated", custom: true,
            inputs: { apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: unknownStringValue, namespace: "bookinfo" }, spec: { mtls: { mode: "STRICT" } } },
            parent: "", dependencies: [], transforms: [], additionalSecretOutputs: [], retainOnDelete: false,
        };
        const withoutExemptions = await runPolicyPack([peerAuthenticationStrict], [strict]);
        assert.deepStrictEqual(withoutExemptions.violations, [], "a STRICT policy whose name is unknown during preview passes");
        const withExemptions = await runPolicyPack([peerAuthenticationStrict], [strict], { config: { "peer-authentication-strict": { exemptions: ["PeerAuthentication/bookinfo/legacy"] } } });
        assert.deepStrictEqual(withExemptions.violations.map((violation) => violation.enforcementLevel), ["advisory"], "matching exemptions needs its name");
    });
});
