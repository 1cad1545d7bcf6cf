import * as pulumi from "@pulumi/pulumi";
import * as assert from "assert";
import { MeshGateway, MeshService, MeshServiceArgs, meshEndpoint } from "../../components";
import { construct } from "../../stacks/offline";
import { errorOf } from "../harness/construct";
import { installMocks } from "../../stacks/offline";

const productpage = meshEndpoint("productpage", { namespace: "shop", serviceAccount: "shop-productpage", ports: [{ name: "http", port: 9080 }] });
const prometheus = { name: "prometheus", namespace: "monitoring", serviceAccount: "prometheus", podLabels: { "app.kubernetes.io/name": "prometheus" } };

function reviewsArgs(overrides: Partial<MeshServiceArgs> = {}): MeshServiceArgs {
    return {
        namespace: "shop",
        ports: [{ name: "http", port: 9080 }],
        versions: [{ name: "v1", image: "example/reviews:1" }],
        callers: [{ from: productpage, methods: ["GET"], paths: ["/reviews/*"] }],
        ...overrides,
    };
}

describe("MeshService", () => {
    before(installMocks);

    describe("one declaration, both layers", () => {
        it("admits each caller's pods on the rule's ports in the NetworkPolicy, and nothing else", async () => {
            const log = await construct(() => new MeshService("reviews", reviewsArgs()));
            const policy = log.object("NetworkPolicy", "reviews", "shop");
            assert.deepStrictEqual(policy.spec.podSelector, { matchLabels: { app: "reviews" } });
            assert.deepStrictEqual(policy.spec.policyTypes, ["Ingress", "Egress"]);
            assert.deepStrictEqual(policy.spec.ingress, [{
                from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "shop" } }, podSelector: { matchLabels: { app: "productpage" } } }],
                ports: [{ protocol: "TCP", port: 9080 }],
            }]);
        });

        it("allows the same callers by SPIFFE principal, with their methods and paths, in the AuthorizationPolicy", async () => {
            const log = await construct(() => new MeshService("reviews", reviewsArgs()));
            const policy = log.object("AuthorizationPolicy", "reviews", "shop");
            assert.strictEqual(policy.spec.action, "ALLOW");
            assert.deepStrictEqual(policy.spec.selector, { matchLabels: { app: "reviews" } });
            assert.deepStrictEqual(policy.spec.rules, [{
                from: [{ source: { principals: ["cluster.local/ns/shop/sa/shop-productpage"] } }],
                to: [{ operation: { ports: ["9080"], methods: ["GET"], paths: ["/reviews/*"] } }],
            }]);
        });

        it("uses the configured trust domain in principals", async () => {
            const log = await construct(() => new MeshService("reviews", reviewsArgs({ trustDomain: "prod.example" })));
            const policy = log.object("AuthorizationPolicy", "reviews", "shop");
            assert.deepStrictEqual(policy.spec.rules[0].from[0].source.principals, ["prod.example/ns/shop/sa/shop-productpage"]);
        });

        it("without callers admits nobody: no ingress rule and an ALLOW policy without rules", async () => {
            const log = await construct(() => new MeshService("reviews", reviewsArgs({ callers: [] })));
            assert.deepStrictEqual(log.object("NetworkPolicy", "reviews", "shop").spec.ingress, []);
            assert.deepStrictEqual(log.object("AuthorizationPolicy", "reviews", "shop").spec.rules, []);
        });

        it("egresses only to declared dependencies, DNS and istiod", async () => {
            const ratings = meshEndpoint("ratings", { namespace: "shop", ports: [{ name: "http", port: 9080, targetPort: 8080 }] });
            const log = await construct(() => new MeshService("reviews", reviewsArgs({ dependencies: [{ to: ratings }] })));
            const egress = log.object("NetworkPolicy", "reviews", "shop").spec.egress;
            assert.deepStrictEqual(egress, [
                { to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "shop" } }, podSelector: { matchLabels: { app: "ratings" } } }], ports: [{ protocol: "TCP", port: 8080 }] },
                { to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }], ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }] },
                { to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "istio-system" } }, podSelector: { matchLabels: { app: "istiod" } } }], ports: [{ protocol: "TCP", port: 15012 }] },
            ]);
        });

        it("keeps metrics ports for the monitoring identity only", async () => {
            const log = await construct(() => new MeshService("reviews", reviewsArgs({
                ports: [{ name: "http", port: 9080 }, { name: "metrics", port: 9090, metrics: true }],
                monitoring: prometheus,
            })));
            const ingress = log.object("NetworkPolicy", "reviews", "shop").spec.ingress;
            assert.deepStrictEqual(ingress.map((rule: any) => [rule.from[0].podSelector.matchLabels, rule.ports]), [
                [{ app: "productpage" }, [{ protocol: "TCP", port: 9080 }]],
                [{ "app.kubernetes.io/name": "prometheus" }, [{ protocol: "TCP", port: 9090 }]],
            ]);
            const rules = log.object("AuthorizationPolicy", "reviews", "shop").spec.rules;
            assert.deepStrictEqual(rules[1], {
                from: [{ source: { principals: ["cluster.local/ns/monitoring/sa/prometheus"] } }],
                to: [{ operation: { ports: ["9090"], methods: ["GET"] } }],
            });
        });

    });

    describe("workload", () => {
        it("creates a ServiceAccount, one Deployment per version and a Service over all versions", async () => {
            const log = await construct(() => new MeshService("reviews", reviewsArgs({
                serviceAccount: "bookinfo-reviews",
                versions: [{ name: "v1", image: "r:1", weight: 50 }, { name: "v2", image: "r:2", replicas: 3, weight: 50 }],
            })));
            assert.strictEqual(log.object("ServiceAccount", "bookinfo-reviews", "shop").metadata.name, "bookinfo-reviews");
            const v2 = log.object("Deployment", "reviews-v2", "shop");
            assert.strictEqual(v2.spec.replicas, 3);
            assert.deepStrictEqual(v2.spec.selector.matchLabels, { app: "reviews", version: "v2" });
            assert.deepStrictEqual(v2.spec.template.metadata.labels, { app: "reviews", version: "v2", "sidecar.istio.io/inject": "true" });
            assert.strictEqual(v2.spec.template.spec.serviceAccountName, "bookinfo-reviews");
            assert.deepStrictEqual(v2.spec.template.spec.containers[0].ports, [{ name: "http", containerPort: 9080 }]);
            assert.ok(log.object("Deployment", "reviews-v1", "shop"));
            const service = log.object("Service", "reviews", "shop");
            assert.deepStrictEqual(service.spec.selector, { app: "reviews" });
            assert.deepStrictEqual(service.spec.ports, [{ name: "http", port: 9080, targetPort: 9080, protocol: "TCP", appProtocol: "http" }]);
        });

        it("writes a version's env map as container env, in order, Outputs resolved; ports by name at their targetPort; resources as given", async () => {
            const log = await construct(() => new MeshService("reviews", reviewsArgs({
                ports: [{ name: "http", port: 80, targetPort: 9080 }, { name: "grpc", port: 9090, protocol: "grpc" }],
                versions: [{ name: "v1", image: "r:1", env: { LOG_LEVEL: "debug", DB_HOST: pulumi.output("db.shop.svc") }, resources: { limits: { cpu: "500m" } } }],
            })));
            const container = log.object("Deployment", "reviews-v1", "shop").spec.template.spec.containers[0];
            assert.deepStrictEqual(container.env, [{ name: "LOG_LEVEL", value: "debug" }, { name: "DB_HOST", value: "db.shop.svc" }]);
            assert.deepStrictEqual(container.ports, [{ name: "http", containerPort: 9080 }, { name: "grpc", containerPort: 9090 }]);
            assert.deepStrictEqual(container.resources, { limits: { cpu: "500m" } });
            assert.strictEqual(container.image, "r:1");
        });

        it("labels pods for a revisioned control plane when a revision is set", async () => {
            const log = await construct(() => new MeshService("reviews", reviewsArgs({ revision: "canary-1-30" })));
            assert.deepStrictEqual(log.object("Deployment", "reviews-v1", "shop").spec.template.metadata.labels, { app: "reviews", version: "v1", "istio.io/rev": "canary-1-30" });
        });

        it("selects an existing workload by its labels and creates no Deployment or ServiceAccount", async () => {
            const log = await construct(() => new MeshService("payments", {
                namespace: "payments",
                ports: [{ name: "http", port: 8443 }],
                existingWorkload: { podLabels: { "app.kubernetes.io/name": "payments" } },
                callers: [{ from: productpage, methods: ["POST"] }],
            }));
            assert.strictEqual(log.ofKind("Deployment").length, 0);
            assert.strictEqual(log.ofKind("ServiceAccount").length, 0);
            const service = log.object("Service", "payments", "payments");
            assert.deepStrictEqual(service.spec.selector, { "app.kubernetes.io/name": "payments" });
            assert.strictEqual(service.metadata.annotations["ztmesh.io/external-workload"], "true");
            // The declaration travels with the Service, for the pack's reachability-matches-intent.
            assert.deepStrictEqual(JSON.parse(service.metadata.annotations["ztmesh.io/declared-callers"]), [
                { namespace: "shop", podLabels: { app: "productpage" }, ports: [8443], methods: ["POST"] },
            ]);
            assert.deepStrictEqual(log.object("NetworkPolicy", "payments", "payments").spec.podSelector.matchLabels, { "app.kubernetes.io/name": "payments" });
            const destinationRule = log.object("DestinationRule", "payments", "payments");
            assert.strictEqual(destinationRule.spec.subsets, undefined);
        });
    });

    describe("traffic", () => {
        it("DestinationRule: ISTIO_MUTUAL, load balancer, pool, outlier detection, a subset per version", async () => {
            const log = await construct(() => new MeshService("reviews", reviewsArgs({
                versions: [{ name: "v1", image: "r:1" }, { name: "v2", image: "r:2" }],
                traffic: {
                    loadBalancer: { consistentHashHeader: "x-user" },
                    connectionPool: { maxConnections: 100, http2MaxRequests: 1000 },
                    outlierDetection: { consecutive5xxErrors: 5, interval: "10s" },
                },
            })));
            const spec = log.object("DestinationRule", "reviews", "shop").spec;
            assert.strictEqual(spec.host, "reviews.shop.svc.cluster.local");
            assert.deepStrictEqual(spec.trafficPolicy, {
                tls: { mode: "ISTIO_MUTUAL" },
                loadBalancer: { consistentHash: { httpHeaderName: "x-user" } },
                connectionPool: { tcp: { maxConnections: 100 }, http: { http2MaxRequests: 1000 } },
                outlierDetection: { consecutive5xxErrors: 5, interval: "10s" },
            });
            assert.deepStrictEqual(spec.subsets, [{ name: "v1", labels: { version: "v1" } }, { name: "v2", labels: { version: "v2" } }]);
        });

        it("VirtualService: ordered routes with header matches, weights, timeouts, retries and rewrites", async () => {
            const log = await construct(() => new MeshService("reviews", reviewsArgs({
                versions: [{ name: "v1", image: "r:1", weight: 90 }, { name: "v2", image: "r:2", weight: 10 }],
                traffic: {
                    routes: [
                        { matches: [{ headers: [{ name: "End-User", value: "tester" }] }], weights: { v1: 0, v2: 100 } },
                        { matches: [{ path: { type: "PathPrefix", value: "/v2/" } }], rewrite: { uri: "/" }, timeout: "5s", retries: { attempts: 3, perTryTimeout: "2s" } },
                    ],
                },
            })));
            const http = log.object("VirtualService", "reviews", "shop").spec.http;
            const destination = (subset: string) => ({ host: "reviews.shop.svc.cluster.local", subset });
            assert.deepStrictEqual(http, [
                { match: [{ headers: { "end-user": { exact: "tester" } } }], route: [{ destination: destination("v1"), weight: 0 }, { destination: destination("v2"), weight: 100 }] },
                {
                    match: [{ uri: { prefix: "/v2/" } }],
                    rewrite: { uri: "/" },
                    route: [{ destination: destination("v1"), weight: 90 }, { destination: destination("v2"), weight: 10 }],
                    timeout: "5s",
                    retries: { attempts: 3, perTryTimeout: "2s" },
                },
            ]);
        });

        it("splits evenly when no weight is declared, the remainder to the first version", async () => {
            const log = await construct(() => new MeshService("reviews", reviewsArgs({
                versions: [{ name: "v1", image: "r:1" }, { name: "v2", image: "r:2" }, { name: "v3", image: "r:3" }],
            })));
            const weights = log.object("VirtualService", "reviews", "shop").spec.http[0].route.map((r: any) => r.weight);
            assert.deepStrictEqual(weights, [34, 33, 33]);
        });
    });

    describe("public exposure", () => {
        const listeners = [{ hostname: "shop.example.com", tls: { secretName: "shop-tls" } }];

        /** A MeshGateway for shop.example.com and a public `storefront` on port 8080, with `overrides`. */
        function publicStorefront(overrides: Partial<MeshServiceArgs> = {}, mode: "gateway-api" | "classic" = "gateway-api") {
            return construct(() => {
                const gateway = new MeshGateway("edge", { listeners, mode, createNamespace: mode !== "classic" });
                new MeshService("storefront", {
                    namespace: "shop",
                    ports: [{ name: "http", port: 8080 }],
                    versions: [{ name: "v1", image: "s:1" }],
                    public: { hostname: "shop.example.com" },
                    gateway,
                    ...overrides,
                });
            });
        }

        it("canary weights reach both the VirtualService and the HTTPRoute (one Service per version)", async () => {
            const log = await publicStorefront({ versions: [{ name: "stable", image: "s:1", weight: 90 }, { name: "canary", image: "s:2", weight: 10 }] });
            const meshWeights = log.object("VirtualService", "storefront", "shop").spec.http[0].route.map((r: any) => [r.destination.subset, r.weight]);
            assert.deepStrictEqual(meshWeights, [["stable", 90], ["canary", 10]]);
            const route = log.object("HTTPRoute", "storefront", "shop").spec;
            assert.deepStrictEqual(route.rules[0].backendRefs, [
                { name: "storefront-stable", port: 8080, weight: 90 },
                { name: "storefront-canary", port: 8080, weight: 10 },
            ]);
            assert.deepStrictEqual(log.object("Service", "storefront-canary", "shop").spec.selector, { app: "storefront", version: "canary" });
            assert.deepStrictEqual(route.parentRefs, [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "mesh-gateway", namespace: "istio-ingress", sectionName: "https-shop-example-com" }]);
            assert.deepStrictEqual(route.hostnames, ["shop.example.com"]);
        });

        it("routes path and header matches, and admits the gateway only on those paths", async () => {
            const log = await publicStorefront({
                public: {
                    hostname: "shop.example.com",
                    routes: [
                        { matches: [{ path: { type: "Exact", value: "/cart" }, headers: [{ name: "x-beta", value: "1" }] }] },
                        { matches: [{ path: { type: "PathPrefix", value: "/static/" } }] },
                    ],
                },
            });
            const rules = log.object("HTTPRoute", "storefront", "shop").spec.rules;
            assert.deepStrictEqual(rules[0].matches, [{ path: { type: "Exact", value: "/cart" }, headers: [{ type: "Exact", name: "x-beta", value: "1" }] }]);
            assert.deepStrictEqual(rules[1].backendRefs, [{ name: "storefront", port: 8080 }]);
            const gatewayRule = log.object("AuthorizationPolicy", "storefront", "shop").spec.rules[0];
            assert.deepStrictEqual(gatewayRule.from[0].source.principals, ["cluster.local/ns/istio-ingress/sa/mesh-gateway-istio"]);
            assert.deepStrictEqual(gatewayRule.to[0].operation.paths, ["/cart", "/static", "/static/*"]);
        });

        it("writes a URLRewrite filter, and then cannot narrow the gateway's paths", async () => {
            const log = await publicStorefront({
                public: { hostname: "shop.example.com", routes: [{ matches: [{ path: { type: "PathPrefix", value: "/shop" } }], rewrite: { pathPrefix: "/" } }] },
            });
            const rule = log.object("HTTPRoute", "storefront", "shop").spec.rules[0];
            assert.deepStrictEqual(rule.filters, [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/" } } }]);
            assert.strictEqual(log.object("AuthorizationPolicy", "storefront", "shop").spec.rules[0].to[0].operation.paths, undefined);
        });

        it("opens the path from the gateway at both ends: ingress on the service, egress in the gateway namespace", async () => {
            const log = await publicStorefront();
            const ingress = log.object("NetworkPolicy", "storefront", "shop").spec.ingress;
            assert.deepStrictEqual(ingress, [{
                from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "istio-ingress" } }, podSelector: { matchLabels: { "gateway.networking.k8s.io/gateway-name": "mesh-gateway" } } }],
                ports: [{ protocol: "TCP", port: 8080 }],
            }]);
            const egress = log.object("NetworkPolicy", "to-shop-storefront", "istio-ingress").spec;
            assert.deepStrictEqual(egress.podSelector, { matchLabels: { "gateway.networking.k8s.io/gateway-name": "mesh-gateway" } });
            assert.deepStrictEqual(egress.egress[0].ports, [{ protocol: "TCP", port: 8080 }]);
        });

        it("in classic mode routes with a VirtualService bound to the Istio Gateway", async () => {
            const log = await publicStorefront({}, "classic");
            assert.strictEqual(log.ofKind("HTTPRoute").length, 0);
            const spec = log.object("VirtualService", "storefront-public", "shop").spec;
            assert.deepStrictEqual(spec.gateways, ["istio-ingress/mesh-gateway"]);
            assert.deepStrictEqual(spec.hosts, ["shop.example.com"]);
            assert.deepStrictEqual(spec.http[0].route, [{ destination: { host: "storefront.shop.svc.cluster.local", subset: "v1", port: { number: 8080 } }, weight: 100 }]);
        });
    });

    describe("bad input fails at preview with the field and the fix", () => {
        it("refuses an unknown enforcement mode, and audit mode without the Calico API its staged NetworkPolicy is written to", () => {
            assert.match(errorOf(() => new MeshService("reviews", reviewsArgs({ enforcement: "dryrun" as any }))),
                /enforcement: "dryrun" is not an enforcement mode; use "enforce" \(the default\) or "audit"/);
            assert.match(errorOf(() => new MeshService("reviews", reviewsArgs({ enforcement: "audit" }))),
                /calicoPolicyApi: is required in audit mode: NetworkPolicies are staged as Calico's StagedKubernetesNetworkPolicy; pass the Calico component's policyApi/);
        });

        it("rejects a duplicate port name", () => {
            const message = errorOf(() => new MeshService("reviews", reviewsArgs({ ports: [{ name: "http", port: 9080 }, { name: "http", port: 9090 }] })));
            assert.match(message, /MeshService "shop\/reviews" has invalid arguments/);
            assert.match(message, /ports\[1\]\.name: "http" is already used by ports\[0\]; give each port a unique name/);
        });

        it("rejects weights that are all 0", () => {
            const message = errorOf(() => new MeshService("reviews", reviewsArgs({ versions: [{ name: "v1", image: "r:1", weight: 0 }, { name: "v2", image: "r:2", weight: 0 }] })));
            assert.match(message, /versions\[\*\]\.weight: weights are all 0, so no version would receive traffic; give each version a share/);
        });

        it("rejects route weights that name an unknown version or do not add up to 100", () => {
            const message = errorOf(() => new MeshService("reviews", reviewsArgs({ traffic: { routes: [{ weights: { v1: 50, v9: 20 } }] } })));
            assert.match(message, /traffic\.routes\[0\]\.weights\.v9: there is no version "v9"/);
            assert.match(message, /traffic\.routes\[0\]\.weights: weights \{"v1":50,"v9":20\} add up to 70, not 100/);
        });

        it("rejects a name that is not DNS-1123 and suggests one", () => {
            const message = errorOf(() => new MeshService("Reviews_V2", reviewsArgs()));
            assert.match(message, /name: "Reviews_V2" is not a DNS-1123 label; use at most 63 lower-case letters.*\(e\.g\. "reviews-v2"\)/);
        });

        it("rejects a public hostname the gateway has no HTTPS listener for", async () => {
            await construct(() => undefined);
            const gateway = new MeshGateway("edge-other", { listeners: [{ hostname: "shop.example.com", tls: { secretName: "t" } }] });
            const message = errorOf(() => new MeshService("storefront", {
                namespace: "shop", ports: [{ name: "http", port: 8080 }], versions: [{ name: "v1", image: "s:1" }],
                public: { hostname: "admin.example.com" }, gateway,
            }));
            assert.match(message, /public\.hostname: "admin\.example\.com" has no HTTPS listener on MeshGateway "mesh-gateway" \(listeners: shop\.example\.com\); public hostnames are served over TLS only/);
        });

        it("rejects a caller rule that names a port the service lacks, or a metrics port", () => {
            const message = errorOf(() => new MeshService("reviews", reviewsArgs({
                ports: [{ name: "http", port: 9080 }, { name: "metrics", port: 9090, metrics: true }],
                monitoring: prometheus,
                callers: [{ from: productpage, ports: ["grpc", "metrics"] }],
            })));
            assert.match(message, /callers\[0\]\.ports\[0\]: service "reviews" has no port "grpc"; use one of "http", "metrics"/);
            assert.match(message, /callers\[0\]\.ports: port "metrics" is a metrics port; metrics ports are reachable only by the monitoring identity/);
        });

        it("rejects a caller identity with a wildcard, which would admit anyone", () => {
            const message = errorOf(() => new MeshService("reviews", reviewsArgs({ callers: [{ from: { ...productpage, namespace: "*", serviceAccount: "*" } }] })));
            assert.match(message, /callers\[0\]\.from\.namespace: "\*" is not a DNS-1123 label/);
            assert.match(message, /callers\[0\]\.from\.serviceAccount: "\*" is not a DNS-1123 label/);
        });

        it("rejects a metrics port without a monitoring identity, and HTTP rules on tcp ports", () => {
            const message = errorOf(() => new MeshService("db", {
                namespace: "shop",
                ports: [{ name: "sql", port: 5432, protocol: "tcp" }, { name: "metrics", port: 9187, metrics: true }],
                versions: [{ name: "v1", image: "pg:16" }],
                callers: [{ from: productpage, methods: ["GET"] }],
            }));
            assert.match(message, /ports\[1\]\.metrics: port "metrics" is a metrics port but no monitoring identity is set/);
            assert.match(message, /callers\[0\]: methods\/paths are set but the rule covers a tcp port/);
        });

        it("reports every problem at once and creates no child", async () => {
            const log = await construct(() => undefined);
            const message = errorOf(() => new MeshService("reviews", reviewsArgs({ namespace: "Shop", versions: [], callers: [{ from: productpage, methods: ["get"] }] })));
            assert.match(message, /namespace: "Shop" is not a DNS-1123 label/);
            assert.match(message, /versions: no version is declared/);
            assert.match(message, /callers\[0\]\.methods\[0\]: "get" is not an HTTP method/);
            await new Promise((resolve) => setTimeout(resolve, 100));
            assert.deepStrictEqual(log.resources.filter((r) => r.custom).map((r) => r.type), []);
        });
    });
});
