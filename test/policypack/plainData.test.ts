import { unknownCheckingProxy } from "@pulumi/policy";
import * as assert from "assert";
import { plainData } from "../../policypack/kubernetes";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { unknownStringValue, unknownObjectValue, isSpecialProxy } = require("@pulumi/policy/proxy");

/** Props as the analyzer hands them to a stack policy reading them for the reachability analysis. */
describe("policy pack: plain copies of analyzer props", () => {
    const object = { apiVersion: "v1", kind: "Service", metadata: { name: "ratings", labels: { app: "ratings" } }, spec: { ports: [{ port: 9080 }], selector: { app: "ratings" } } };

    it("copies known props into plain data, no longer behind the analyzer's proxy", () => {
        const copy = plainData(unknownCheckingProxy(structuredClone(object)));
        assert.deepStrictEqual(copy, object);
        assert.notStrictEqual((copy as any)[isSpecialProxy], true, "a plain object, not the proxy");
        assert.notStrictEqual((copy!.spec.ports as any)[isSpecialProxy], true, "nested values are plain too");
    });

    it("gives nothing for props with a value unknown during preview, however deep", () => {
        assert.strictEqual(plainData(unknownCheckingProxy({ ...object, spec: { ports: [{ port: 9080 }, { port: unknownStringValue }] } })), undefined);
        assert.strictEqual(plainData(unknownCheckingProxy({ ...object, metadata: unknownObjectValue })), undefined);
    });

    it("copies props that are not behind the proxy the same way", () => {
        const copy = plainData(object);
        assert.deepStrictEqual(copy, object);
        assert.notStrictEqual(copy, object);
        assert.strictEqual(plainData({ ...object, spec: unknownStringValue }), undefined);
    });
});
