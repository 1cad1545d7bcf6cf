import * as assert from "assert";
import { parseEnvironment } from "../../stacks/config";
import { construct, installMocks } from "../../stacks/offline";
import { deployMesh } from "../../stacks/program";
import { skipAwait } from "../../stacks/skipAwait";
import { stackConfig } from "../harness/stackConfig";

const opts = {} as any;

describe("ztmesh:cluster.skipAwait", () => {
    before(installMocks);

    it("marks every Kubernetes object to be neither awaited nor deleted in the foreground, keeping its other annotations", () => {
        const result = skipAwait({
            type: "kubernetes:apps/v1:Deployment", name: "details-v1", custom: true, opts,
            props: { metadata: { name: "details-v1", annotations: { team: "bookinfo" } }, spec: { replicas: 1 } },
        }) as any;
        assert.deepStrictEqual(result.props, { metadata: { name: "details-v1", annotations: { team: "bookinfo", "pulumi.com/skipAwait": "true", "pulumi.com/deletionPropagationPolicy": "background" } }, spec: { replicas: 1 } });
    });

    it("passes skipAwait to charts and manifests, and leaves providers and components alone", () => {
        const chart = skipAwait({ type: "kubernetes:helm.sh/v4:Chart", name: "istio-istiod", custom: false, opts, props: { chart: "istiod" } }) as any;
        assert.deepStrictEqual(chart.props, { chart: "istiod", skipAwait: true });
        assert.strictEqual(skipAwait({ type: "pulumi:providers:kubernetes", name: "cluster", custom: true, opts, props: {} }), undefined);
        assert.strictEqual(skipAwait({ type: "ztmesh:index:MeshService", name: "details", custom: false, opts, props: {} }), undefined);
    });

    it("is applied to every component of the stack when the config asks, and only then", async () => {
        const config = { ...stackConfig("dev"), "ztmesh:cluster": JSON.stringify({ context: "kind-ztmesh", skipAwait: true }) };
        let log = await construct(() => deployMesh(parseEnvironment(config), "dev"));
        const topLevel = log.resources.filter((r) => r.type.startsWith("ztmesh:index:") && !r.parent.includes("ztmesh:index:"));
        assert.ok(topLevel.length >= 8);
        for (const component of topLevel) {
            assert.deepStrictEqual(component.transforms, [skipAwait], component.name);
        }
        log = await construct(() => deployMesh(parseEnvironment(stackConfig("dev")), "dev"));
        assert.ok(log.resources.every((r) => !r.transforms.includes(skipAwait)));
    });
});
