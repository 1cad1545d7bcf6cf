import * as assert from "assert";
import { flowExplainer } from "../../analysis/explain";
import { formatFlows } from "../../analysis/flowFormat";
import { intentDifferences } from "../../analysis/intent";
import { formatGrants } from "../../analysis/istio/format";
import { KubeObject } from "../../analysis/manifests";
import { IntervalSet } from "../../analysis/netpol/intervals";
import { reachability } from "../../analysis/reach";
import { renderedStackObjects } from "../harness/renderedStacks";

const bookinfo = (name: string) => `bookinfo/${name}[Deployment]`;

/** The declared flows of the ambient stack: caller, callee, container port, requests. */
const declared: [string, string, number, string][] = [
    ["productpage-v1", "details-v1", 9080, "GET /details/*"],
    ["productpage-v1", "reviews-v1", 9080, "GET /reviews/*"],
    ["productpage-v1", "reviews-v2", 9080, "GET /reviews/*"],
    ["productpage-v1", "reviews-v3", 9080, "GET /reviews/*"],
    ["reviews-v1", "ratings-v1", 9080, "GET /ratings/*"],
    ["reviews-v2", "ratings-v1", 9080, "GET /ratings/*"],
    ["reviews-v3", "ratings-v1", 9080, "GET /ratings/*"],
    // httpbin's Service port is 8000; its pods listen on 8080.
    ["productpage-v1", "httpbin-v1", 8080, "GET /status/*"],
];

const gateway = "istio-ingress/mesh-gateway-istio[Deployment]";

/** `objects` with the rules of AuthorizationPolicy `name` in bookinfo replaced by `edit(rules)`. */
function withRules(objects: readonly KubeObject[], name: string, edit: (rules: any[]) => unknown[]): KubeObject[] {
    return objects.map((object) => (object.kind === "AuthorizationPolicy" && object.metadata?.name === name && object.metadata.namespace === "bookinfo"
        ? { ...object, spec: { ...(object.spec as object), rules: edit((object.spec as { rules: any[] }).rules) } }
        : object));
}

describe("reachability in ambient mode (ztunnel at L4, waypoints at L7)", () => {
    let objects: KubeObject[];

    before(async () => {
        objects = await renderedStackObjects("ambient");
    });

    const intoBookinfo = (flows: ReturnType<typeof reachability>) => flows.filter((flow) => flow.dst.name.startsWith("bookinfo/"));

    it("the ambient dev stack allows exactly the declared flows, at both layers, each admitted by its service's waypoint", () => {
        const flows = intoBookinfo(reachability(objects));
        // The public route: the Deployment Istio creates for the Gateway calls productpage on its public paths.
        const publicRoutes = [
            [gateway, bookinfo("productpage-v1"), [{ start: 9080, end: 9080 }], "* /api/v1/products,/api/v1/products/*,/login,/logout,/productpage,/static,/static/*"],
            [gateway, bookinfo("httpbin-v1"), [{ start: 8080, end: 8080 }], "* /headers,/headers/*"],
        ];
        assert.deepStrictEqual(
            flows.map((flow) => [flow.src.name, flow.dst.name, flow.allowed.ports("TCP").intervals, formatGrants(flow.l7 ?? [], flow.allowed.ports("TCP"))]).sort(),
            [...declared.map(([src, dst, port, requests]) => [bookinfo(src), bookinfo(dst), [{ start: port, end: port }], requests]), ...publicRoutes].sort(),
        );
        const reviews = flows.find((flow) => flow.dst.name === bookinfo("reviews-v2"))!;
        assert.deepStrictEqual(reviews.enforcedBy, ["waypoint bookinfo/reviews-waypoint for Service reviews, reviews-v2 (L7), then ztunnel of bookinfo/reviews-v2[Deployment] (L4)"]);
        assert.deepStrictEqual(intentDifferences(objects, reachability(objects)), []);
    });

    it("sees only HBONE (TCP 15008) at L3/4 between ambient pods, and no flow from the kubelet's probe address", () => {
        const layer4 = reachability(objects, { istio: false });
        const hop = layer4.find((flow) => flow.src.name === bookinfo("productpage-v1") && flow.dst.name === bookinfo("reviews-waypoint"))!;
        assert.deepStrictEqual(hop.allowed.ports("TCP").intervals, [{ start: 15008, end: 15008 }]);
        assert.ok(layer4.some((flow) => flow.src.name.startsWith("169.254.7.127")), "L3/4 admits the probes");
        // Into ambient workloads; the gateway's own namespace is outside ambient capture.
        assert.ok(!intoBookinfo(reachability(objects)).some((flow) => flow.src.name.startsWith("169.254.7.127")), "ztunnel exempts them from policy: not a workload flow");
    });

    it("a caller that skips the waypoint is only L4-checked: ztunnel's policy admitting just the waypoint refuses it", () => {
        // A NetworkPolicy that lets productpage dial reviews' pods directly.
        const direct: KubeObject = {
            apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "direct", namespace: "bookinfo" },
            spec: {
                podSelector: {}, policyTypes: ["Ingress", "Egress"],
                ingress: [{ from: [{ podSelector: { matchLabels: { app: "productpage" } } }], ports: [{ protocol: "TCP", port: 15008 }] }],
                egress: [{ to: [{ podSelector: { matchLabels: { app: "reviews" } } }], ports: [{ protocol: "TCP", port: 15008 }] }],
            },
        };
        const withDirect = [...objects, direct];
        assert.deepStrictEqual(intentDifferences(withDirect, reachability(withDirect)), [], "ztunnel admits only the waypoint");
        // ...and a ztunnel policy that also admits productpage itself: the direct path then skips every L7 rule.
        const leaky = withDirect.map((object) => (object.kind === "AuthorizationPolicy" && object.metadata?.name === "reviews-ztunnel"
            ? { ...object, spec: { ...(object.spec as object), rules: [...(object.spec as { rules: unknown[] }).rules, { from: [{ source: { principals: ["cluster.local/ns/bookinfo/sa/bookinfo-productpage"] } }] }] } }
            : object));
        const bypass = reachability(leaky).find((flow) => flow.src.name === bookinfo("productpage-v1") && flow.dst.name === bookinfo("reviews-v1"))!;
        assert.deepStrictEqual(bypass.enforcedBy, [
            "ztunnel of bookinfo/reviews-v1[Deployment] (L4, direct)",
            "waypoint bookinfo/reviews-waypoint for Service reviews, reviews-v1 (L7), then ztunnel of bookinfo/reviews-v1[Deployment] (L4)",
        ]);
        assert.strictEqual(formatGrants(bypass.l7!, IntervalSet.range(9080, 9080)), "GET /reviews/*; TCP 1-65535: all requests", "the direct path carries any request on any port");
    });

    it("a Layer 7 rule in a selector policy admits nothing at ztunnel, which cannot see requests", () => {
        const edited = objects.map((object) => (object.kind === "AuthorizationPolicy" && object.metadata?.name === "reviews-ztunnel"
            ? { ...object, spec: { ...(object.spec as object), rules: [{ from: [{ source: { principals: ["cluster.local/ns/bookinfo/sa/reviews-waypoint"] } }], to: [{ operation: { methods: ["GET"] } }] }] } }
            : object));
        assert.ok(!reachability(edited).some((flow) => flow.dst.name.startsWith(bookinfo("reviews"))), "no request reaches reviews");
    });

    it("matches a waypoint policy's ports as the Service ports the client dialled, and lists the container ports they reach", () => {
        const text = formatFlows(intoBookinfo(reachability(objects)), { l7: true });
        assert.match(text, /^bookinfo\/productpage-v1\[Deployment\] => bookinfo\/httpbin-v1\[Deployment\] : TCP 8080 \[GET \/status\/\*\] \(waypoint bookinfo\/waypoint for Service httpbin \(L7\), then ztunnel of bookinfo\/httpbin-v1\[Deployment\] \(L4\)\)$/m);
        assert.match(text, /^istio-ingress\/mesh-gateway-istio\[Deployment\] => bookinfo\/httpbin-v1\[Deployment\] : TCP 8080 \[\* \/headers,\/headers\/\*\]/m);
        // The same policy written in container ports, as a sidecar's would be: the waypoint matches none of its rules.
        const containerPorts = withRules(objects, "httpbin", (rules) => rules.map((rule) => ({ ...rule, to: [{ operation: { ...rule.to[0].operation, ports: ["8080"] } }] })));
        const refused = intoBookinfo(reachability(containerPorts));
        assert.ok(!refused.some((flow) => flow.dst.name === bookinfo("httpbin-v1")), "no caller, not even the gateway, gets through");
        assert.strictEqual(flowExplainer(containerPorts)(bookinfo("productpage-v1"), bookinfo("httpbin-v1")).layer7,
            "ambient: refused by waypoint bookinfo/waypoint and ztunnel of bookinfo/httpbin-v1[Deployment] (or no HBONE path on TCP 15008)");
    });

    it("attaches a root-namespace policy that targets the istio-waypoint GatewayClass to every waypoint, as istiod does", () => {
        const denyStatus = (namespace: string, group?: string): KubeObject => ({
            apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: "no-status", namespace },
            spec: { targetRefs: [{ ...(group === undefined ? {} : { group }), kind: "GatewayClass", name: "istio-waypoint" }], action: "DENY", rules: [{ to: [{ operation: { paths: ["/status/*"] } }] }] },
        });
        const intoHttpbin = (extra: KubeObject) => intoBookinfo(reachability([...objects, extra])).filter((flow) => flow.dst.name === bookinfo("httpbin-v1")).map((flow) => flow.src.name);
        assert.deepStrictEqual(intoHttpbin(denyStatus("istio-system", "gateway.networking.k8s.io")), [gateway], "productpage's only requests are denied at the waypoint");
        // In another namespace than the root, istiod ignores a GatewayClass target.
        assert.deepStrictEqual(intoHttpbin(denyStatus("bookinfo", "gateway.networking.k8s.io")).sort(), [gateway, bookinfo("productpage-v1")].sort());
        // A GatewayClass of another API group is no waypoint class; without a group, the target is of the core group.
        assert.deepStrictEqual(intoHttpbin(denyStatus("istio-system", "example.com")).sort(), [gateway, bookinfo("productpage-v1")].sort());
        assert.deepStrictEqual(intoHttpbin(denyStatus("istio-system")).sort(), [gateway, bookinfo("productpage-v1")].sort());
    });

    it("ztmesh reach --l7 says which enforcement point decided", () => {
        const text = formatFlows(intoBookinfo(reachability(objects)), { l7: true });
        assert.match(text, /^bookinfo\/reviews-v1\[Deployment\] => bookinfo\/ratings-v1\[Deployment\] : TCP 9080 \[GET \/ratings\/\*\] \(waypoint bookinfo\/waypoint for Service ratings \(L7\), then ztunnel of bookinfo\/ratings-v1\[Deployment\] \(L4\)\)$/m);
    });

    it("explains an ambient pair by its enforcement points, for the pack's messages", () => {
        const explain = flowExplainer(objects);
        assert.strictEqual(explain(bookinfo("reviews-v1"), bookinfo("ratings-v1")).layer7,
            "ambient: admitted by waypoint bookinfo/waypoint for Service ratings (L7), then ztunnel of bookinfo/ratings-v1[Deployment] (L4)");
        assert.strictEqual(explain(bookinfo("ratings-v1"), bookinfo("reviews-v1")).layer7,
            "ambient: refused by waypoint bookinfo/reviews-waypoint and ztunnel of bookinfo/reviews-v1[Deployment] (or no HBONE path on TCP 15008)");
    });
});
