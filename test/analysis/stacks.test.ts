import * as assert from "assert";
import { KubeObject } from "../../analysis/manifests";
import { formatFlows } from "../../analysis/flowFormat";
import { reachability } from "../../analysis/reach";
import { renderedStackObjects } from "../harness/renderedStacks";

/** What the stack registers offline. */
function objectsOf(stack: "dev" | "prod"): Promise<KubeObject[]> {
    return renderedStackObjects(stack);
}

describe("reachability of what the stacks deploy: exactly the declared flows", () => {
    it("dev: the gateway (the Deployment Istio creates for the Gateway) → productpage; productpage → details, reviews; reviews (every version) → ratings; nothing else, with the declared methods and paths", async () => {
        const flows = reachability(await objectsOf("dev"), { istio: true });
        assert.deepStrictEqual(formatFlows(flows, { l7: true }).trim().split("\n"), [
            "0.0.0.0-255.255.255.255[External] => istio-ingress/mesh-gateway-istio[Deployment] : TCP 80,443,15021 [all requests]",
            "bookinfo/productpage-v1[Deployment] => bookinfo/details-v1[Deployment] : TCP 9080 [GET /details/*]",
            "bookinfo/productpage-v1[Deployment] => bookinfo/reviews-v1[Deployment] : TCP 9080 [GET /reviews/*]",
            "bookinfo/productpage-v1[Deployment] => bookinfo/reviews-v2[Deployment] : TCP 9080 [GET /reviews/*]",
            "bookinfo/productpage-v1[Deployment] => bookinfo/reviews-v3[Deployment] : TCP 9080 [GET /reviews/*]",
            "bookinfo/reviews-v1[Deployment] => bookinfo/ratings-v1[Deployment] : TCP 9080 [GET /ratings/*]",
            "bookinfo/reviews-v2[Deployment] => bookinfo/ratings-v1[Deployment] : TCP 9080 [GET /ratings/*]",
            "bookinfo/reviews-v3[Deployment] => bookinfo/ratings-v1[Deployment] : TCP 9080 [GET /ratings/*]",
            "istio-ingress/mesh-gateway-istio[Deployment] => bookinfo/productpage-v1[Deployment] : TCP 9080 [* /api/v1/products,/api/v1/products/*,/login,/logout,/productpage,/static,/static/*]",
        ]);
    });

    it("prod: the gateway reaches the storefront; the storefront's canary and stable versions reach the catalog's gRPC port only", async () => {
        const flows = reachability(await objectsOf("prod"), { istio: true });
        assert.deepStrictEqual(formatFlows(flows, { l7: true }).trim().split("\n"), [
            // External is cut at the API server range (apiServerCidrs, a Calico `nets` rule).
            "0.0.0.0-9.255.255.255[External] => istio-ingress/mesh-gateway-istio[Deployment] : TCP 80,443,15021 [all requests]",
            "10.0.0.0-10.0.0.255[External] => istio-ingress/mesh-gateway-istio[Deployment] : TCP 80,443,15021 [all requests]",
            "10.0.1.0-255.255.255.255[External] => istio-ingress/mesh-gateway-istio[Deployment] : TCP 80,443,15021 [all requests]",
            "istio-ingress/mesh-gateway-istio[Deployment] => shop/storefront-canary[Deployment] : TCP 8080 [all requests]",
            "istio-ingress/mesh-gateway-istio[Deployment] => shop/storefront-stable[Deployment] : TCP 8080 [all requests]",
            "shop/storefront-canary[Deployment] => shop/catalog-v1[Deployment] : TCP 9000 [POST /shop.catalog.v1.Catalog/*]",
            "shop/storefront-stable[Deployment] => shop/catalog-v1[Deployment] : TCP 9000 [POST /shop.catalog.v1.Catalog/*]",
        ]);
    });
});
