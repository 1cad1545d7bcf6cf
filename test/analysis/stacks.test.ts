import * as assert from "assert";
import { KubeObject } from "../../components/analysis/manifests";
import { formatFlows } from "../../components/analysis/flowFormat";
import { reachability } from "../../components/analysis/reach";
import { parseEnvironment } from "../../stacks/config";
import { deployMesh } from "../../stacks/program";
import { construct } from "../harness/construct";
import { stackConfig } from "../harness/stackConfig";

/** The Kubernetes objects the stack program registers under mocks, as a cluster would receive them. */
async function stackObjects(stack: "dev" | "prod"): Promise<KubeObject[]> {
    const config = stack === "prod" ? { ...stackConfig(stack), "ztmesh:kubeconfig": "apiVersion: v1" } : stackConfig(stack);
    const log = await construct(() => deployMesh(parseEnvironment(config), stack));
    return log.resources.filter((r) => r.custom && r.inputs.kind).map((r) => JSON.parse(JSON.stringify(r.inputs)) as KubeObject);
}

describe("reachability of what the stacks deploy: exactly the declared flows", () => {
    it("dev: productpage → details, reviews; reviews (every version) → ratings; nothing else, with the declared methods and paths", async () => {
        const flows = reachability(await stackObjects("dev"), { istio: true });
        assert.deepStrictEqual(formatFlows(flows, { l7: true }).trim().split("\n"), [
            "bookinfo/productpage-v1[Deployment] => bookinfo/details-v1[Deployment] : TCP 9080 [GET /details/*]",
            "bookinfo/productpage-v1[Deployment] => bookinfo/reviews-v1[Deployment] : TCP 9080 [GET /reviews/*]",
            "bookinfo/productpage-v1[Deployment] => bookinfo/reviews-v2[Deployment] : TCP 9080 [GET /reviews/*]",
            "bookinfo/productpage-v1[Deployment] => bookinfo/reviews-v3[Deployment] : TCP 9080 [GET /reviews/*]",
            "bookinfo/reviews-v1[Deployment] => bookinfo/ratings-v1[Deployment] : TCP 9080 [GET /ratings/*]",
            "bookinfo/reviews-v2[Deployment] => bookinfo/ratings-v1[Deployment] : TCP 9080 [GET /ratings/*]",
            "bookinfo/reviews-v3[Deployment] => bookinfo/ratings-v1[Deployment] : TCP 9080 [GET /ratings/*]",
        ]);
    });

    it("prod: the storefront's canary and stable versions reach the catalog's gRPC port only", async () => {
        const flows = reachability(await stackObjects("prod"), { istio: true });
        assert.deepStrictEqual(formatFlows(flows, { l7: true }).trim().split("\n"), [
            "shop/storefront-canary[Deployment] => shop/catalog-v1[Deployment] : TCP 9000 [POST /shop.catalog.v1.Catalog/*]",
            "shop/storefront-stable[Deployment] => shop/catalog-v1[Deployment] : TCP 9000 [POST /shop.catalog.v1.Catalog/*]",
        ]);
    });
});
