import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../../analysis/cli";
import { flowsToJson, formatPublicRoutes } from "../../analysis/flowFormat";
import { parseManifests } from "../../analysis/manifests";
import { publicFlows, reachability } from "../../analysis/reach";
import { cluster, pp } from "./istioFixture";

const services = `
apiVersion: v1
kind: Service
metadata: {name: productpage, namespace: bookinfo}
spec: {selector: {app: productpage}, ports: [{name: http, port: 80, targetPort: 9080}]}
`;

const gatewayApi = (routeNamespace = "bookinfo", extra = "") => `
apiVersion: v1
kind: Namespace
metadata: {name: ingress}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: public, namespace: ingress}
spec:
  gatewayClassName: istio
  listeners:
  - {name: web, port: 80, protocol: HTTP, hostname: "*.example.com", allowedRoutes: {namespaces: {from: All}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: ${routeNamespace}}
spec:
  parentRefs: [{name: public, namespace: ingress}]
  hostnames: [shop.example.com, other.org]
  rules:
  - matches: [{path: {type: PathPrefix, value: /products}, method: GET}, {path: {type: Exact, value: /login}, method: GET}]
    backendRefs: [{name: productpage, namespace: bookinfo, port: 80}]
${extra}`;

function routesOf(yaml: string) {
    const objects = parseManifests(yaml, "cluster.yaml");
    const flows = reachability(objects);
    return { flows, routes: publicFlows(objects, flows) };
}

const onlyGateway = (paths: string) => `---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: productpage, namespace: bookinfo}
spec:
  selector: {matchLabels: {app: productpage}}
  rules: [{from: [{source: {principals: ["cluster.local/ns/ingress/sa/public-istio"]}}], to: [{operation: {paths: [${paths}]}}]}]
`;

describe("public routes (ingress)", () => {
    it("Gateway API: the Deployment Istio creates for the Gateway, the hostnames the listener admits, the paths, the workload behind the Service", () => {
        const { flows, routes } = routesOf(`${cluster}---${services}---${gatewayApi()}${onlyGateway(`"/products", "/products/*", "/login"`)}`);
        assert.ok(flows.some((flow) => flow.src.name === "ingress/public-istio[Deployment]" && flow.dst.name === pp), "the gateway calls as cluster.local/ns/ingress/sa/public-istio");
        assert.deepStrictEqual(routes, [{
            gateway: "Gateway ingress/public",
            route: "HTTPRoute bookinfo/shop",
            listener: "HTTP 80",
            hosts: ["shop.example.com"],
            paths: ["/products", "/products/*", "/login"],
            methods: ["GET"],
            via: ["ingress/public-istio[Deployment]"],
            backend: "Service bookinfo/productpage:80",
            destinations: [{ workload: pp, port: 9080, status: "allowed", reason: "the workload's proxy admits the gateway's requests: * /login,/products,/products/*" }],
        }]);
    });

    it("a route partly or not admitted by the workload's AuthorizationPolicy says so", () => {
        const partly = routesOf(`${cluster}---${services}---${gatewayApi()}${onlyGateway(`"/login"`)}`).routes[0].destinations[0];
        assert.deepStrictEqual([partly.status, partly.reason], ["partly", "the workload's proxy admits only * /login"]);
        const denied = routesOf(`${cluster}---${services}---${gatewayApi()}${onlyGateway(`"/admin"`)}`).routes[0].destinations[0];
        assert.deepStrictEqual([denied.status, denied.reason], ["denied", "the workload's proxy admits only * /admin"]);
    });

    it("a cross-namespace backend needs a ReferenceGrant; a listener admitting only its namespace drops other routes", () => {
        const refused = routesOf(`${cluster}---${services}---${gatewayApi("ingress")}`).routes;
        assert.deepStrictEqual(refused.map((route) => route.backend), ["Service bookinfo/productpage:80 (refused: no ReferenceGrant in bookinfo admits HTTPRoutes of ingress)"]);
        const granted = routesOf(`${cluster}---${services}---${gatewayApi("ingress", `---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: from-ingress, namespace: bookinfo}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: ingress}]
  to: [{group: "", kind: Service}]
`)}`).routes;
        assert.deepStrictEqual(granted.map((route) => route.destinations.map((d) => d.status)), [["allowed"]]);
        const sameOnly = routesOf(`${cluster}---${services}---${gatewayApi().replace("from: All", "from: Same")}`).routes;
        assert.deepStrictEqual(sameOnly, []);
    });

    it("Istio Gateway and VirtualService: the gateway pods by selector, the server's hosts for the VirtualService's namespace, uri matches", () => {
        const { routes } = routesOf(`${cluster}---${services}---
apiVersion: v1
kind: Pod
metadata: {name: ingressgateway, namespace: istio-system, labels: {istio: ingressgateway}}
spec: {serviceAccountName: ingress, containers: [{name: istio-proxy, args: [proxy, router], ports: [{containerPort: 8080}]}]}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: web, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 8080, name: http, protocol: HTTP}, hosts: ["bookinfo/*"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bookinfo, namespace: bookinfo}
spec:
  hosts: [bookinfo.example.com]
  gateways: [istio-system/web]
  http:
  - match: [{uri: {prefix: /static}}, {uri: {exact: /productpage}}]
    route: [{destination: {host: productpage, port: {number: 80}}}]
`);
        assert.deepStrictEqual(routes.map((route) => [route.gateway, route.listener, route.hosts, route.paths, route.via, route.backend, route.destinations.map((d) => `${d.workload} ${d.status}`)]), [[
            "Gateway istio-system/web (networking.istio.io)", "HTTP 8080", ["bookinfo.example.com"], ["/static*", "/productpage"],
            ["istio-system/ingressgateway[Pod]"], "Service bookinfo/productpage:80", [`${pp} allowed`],
        ]]);
        assert.strictEqual(formatPublicRoutes(routes), "\nPublic routes (External -> gateway -> Service -> workload):\n"
            + "http://bookinfo.example.com:8080/static*, http://bookinfo.example.com:8080/productpage -> Gateway istio-system/web (networking.istio.io) [istio-system/ingressgateway[Pod]] "
            + `(VirtualService bookinfo/bookinfo) -> Service bookinfo/productpage:80 -> ${pp} TCP 9080: allowed, the workload's proxy admits the gateway's requests: all requests\n`);
        assert.ok(!formatPublicRoutes(routes).includes(" => "), "route lines never look like flow lines");
        assert.deepStrictEqual(flowsToJson([], routes).routes, routes);
        const outside = routesOf(`${cluster}---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: web, namespace: istio-system}
spec: {selector: {istio: ingressgateway}, servers: [{port: {number: 80, protocol: HTTP}, hosts: ["*/*"]}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: proxy, namespace: bookinfo}
spec: {hosts: ["*"], gateways: [istio-system/web], http: [{route: [{destination: {host: api.example.com}}]}]}
`).routes;
        assert.deepStrictEqual(outside.map((route) => route.backend), ["host api.example.com (not a Service in the manifests)"]);
    });

    it("a gateway that no External address reaches at layer 3/4 carries no public traffic", () => {
        const { routes } = routesOf(`${cluster}---${services}---${gatewayApi()}${onlyGateway(`"/login"`)}---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: closed, namespace: ingress}
spec: {podSelector: {}, policyTypes: [Ingress]}
`);
        assert.deepStrictEqual(routes[0].destinations.map((d) => [d.status, d.reason]), [["denied", "layer 3/4 policy lets no External address reach the gateway on TCP 80"]]);
    });

    it("the command line lists the routes after the flows with --l7, under routes with --json, and not at all without them", async () => {
        const folder = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-ingress-"));
        try {
            fs.writeFileSync(path.join(folder, "all.yaml"), `${cluster}---${services}---${gatewayApi()}`);
            const run = async (args: string[]) => {
                let stdout = "";
                const code = await main(["reach", ...args, folder], { stdout: (text) => { stdout += text; }, stderr: () => undefined });
                return { code, stdout };
            };
            const plain = await run([]);
            const l7 = await run(["--l7"]);
            const json = await run(["--json"]);
            assert.deepStrictEqual([plain.code, l7.code, json.code], [0, 0, 0]);
            assert.ok(!plain.stdout.includes("Public routes"));
            assert.ok(l7.stdout.includes(`\nPublic routes (External -> gateway -> Service -> workload):\nhttp://shop.example.com/products, http://shop.example.com/products/*, http://shop.example.com/login (GET) -> Gateway ingress/public`), l7.stdout);
            assert.deepStrictEqual((JSON.parse(json.stdout) as { routes: { route: string }[] }).routes.map((route) => route.route), ["HTTPRoute bookinfo/shop"]);
        } finally {
            fs.rmSync(folder, { recursive: true, force: true });
        }
    });
});
