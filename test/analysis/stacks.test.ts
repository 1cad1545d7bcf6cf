import * as assert from "assert";
import { KubeObject } from "../../analysis/manifests";
import { formatFlows } from "../../analysis/flowFormat";
import { reachability } from "../../analysis/reach";
import { parseEnvironment } from "../../stacks/config";
import { stackObjects } from "../../stacks/offline";
import { stackConfig } from "../harness/stackConfig";

/** What the stack registers offline; prod's kubeconfig only has to be present for a cluster deployment. */
function objectsOf(stack: "dev" | "prod"): Promise<KubeObject[]> {
    const config = stack === "prod" ? { ...stackConfig(stack), "ztmesh:kubeconfig": "apiVersion: v1" } : stackConfig(stack);
    return stackObjects(parseEnvironment(config), stack);
}

describe("reachability of what the stacks deploy: exactly the declared flows", () => {
    it("dev: productpage → details, reviews; reviews (every version) → ratings; nothing else, with the declared methods and paths", async () => {
        const flows = reachability(await objectsOf("dev"), { istio: true });
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
        const flows = reachability(await objectsOf("prod"), { istio: true });
        assert.deepStrictEqual(formatFlows(flows, { l7: true }).trim().split("\n"), [
            "shop/storefront-canary[Deployment] => shop/catalog-v1[Deployment] : TCP 9000 [POST /shop.catalog.v1.Catalog/*]",
            "shop/storefront-stable[Deployment] => shop/catalog-v1[Deployment] : TCP 9000 [POST /shop.catalog.v1.Catalog/*]",
        ]);
    });
});
