import * as assert from "assert";
import { construct, RecordedResource } from "../../stacks/offline";
import { deployMesh } from "../../stacks/program";
import { directResourcesOf } from "./directResources";
import { syntheticEnvironment } from "./generate";

/**
 * The raw program of `npm run bench` writes what the stack program registered besides its
 * components as the stack program declared it: component by component, with the same
 * dependencies between objects. The log it is taken from lists like objects together.
 */
describe("what the benchmark's raw program writes (directResourcesOf)", () => {
    let log: RecordedResource[];
    before(async () => {
        log = [...(await construct(() => deployMesh(syntheticEnvironment(4), "bench"))).resources];
    });

    /** The log entry each written object came from (the inputs are the same objects). */
    const sources = () => directResourcesOf(log).map((direct) => log.find((resource) => resource.inputs === direct.inputs)!);

    it("writes every object the stack registered, once, and no component", () => {
        const written = sources();
        assert.strictEqual(new Set(written).size, written.length);
        assert.deepStrictEqual(
            new Set(written),
            new Set(log.filter((resource) => !resource.type.startsWith("ztmesh:"))),
        );
    });

    it("writes each service's objects together, in the order the services were declared, where the log lists like objects together", () => {
        const services = log.filter((resource) => resource.type === "ztmesh:index:MeshService");
        assert.strictEqual(services.length, 4);
        const positions = (list: readonly RecordedResource[]) =>
            services.map((service) => list.flatMap((resource, index) => (resource.parent === service.urn ? [index] : [])));
        const together = (indices: number[]) => indices[indices.length - 1] - indices[0] + 1 === indices.length;
        assert.ok(!positions(log).every(together), "the log interleaves the services' objects");
        const ranges = positions(sources());
        for (const [service, indices] of ranges.entries()) {
            assert.ok(indices.length >= 8, `service ${service} has its objects`);
            assert.ok(together(indices), `service ${service}'s objects are written together`);
        }
        assert.deepStrictEqual(ranges.map((indices) => indices[0]), ranges.map((indices) => indices[0]).sort((a, b) => a - b), "services in the order they were declared");
    });

    it("gives every object the dependencies it registered, on objects written before it", () => {
        const direct = directResourcesOf(log);
        const written = sources();
        for (const [index, resource] of written.entries()) {
            const expected = resource.dependencies.flatMap((urn) => written.filter((other) => other.urn === urn));
            assert.deepStrictEqual(direct[index].dependsOn.map((at) => written[at]), expected, resource.urn);
            assert.ok(direct[index].dependsOn.every((at) => at < index), `${resource.urn} follows what it depends on`);
        }
        const deployments = written.filter((resource) => resource.type === "kubernetes:apps/v1:Deployment");
        assert.strictEqual(deployments.length, 8);
        for (const deployment of deployments) {
            const [dependency] = direct[written.indexOf(deployment)].dependsOn.map((at) => written[at]);
            assert.strictEqual(dependency?.type, "kubernetes:core/v1:ServiceAccount", `${deployment.urn} waits for its ServiceAccount`);
            assert.strictEqual(dependency.parent, deployment.parent);
        }
    });

    it("writes an object that waits for a later component's objects after all of them, and fails for one that would wait for itself", () => {
        const object = (urn: string, parent: string, dependencies: string[] = []): RecordedResource => ({
            urn, type: "kubernetes:core/v1:ConfigMap", name: urn, custom: true, inputs: { name: urn }, parent, dependencies,
            transforms: [], additionalSecretOutputs: [], retainOnDelete: false,
        });
        const component = (urn: string): RecordedResource => ({ ...object(urn, ""), type: "ztmesh:index:MeshService", custom: false });
        const later = [component("first"), component("second"), object("early", "first", ["late"]), object("other", "first"), object("late", "second"), object("last", "second")];
        assert.deepStrictEqual(directResourcesOf(later).map((direct) => direct.inputs.name), ["other", "late", "last", "early"]);
        const circular = [component("first"), object("a", "first", ["b"]), object("b", "first", ["a"])];
        assert.throws(() => directResourcesOf(circular), /a would never be written: it waits for b, which waits for it/);
    });
});
