import * as assert from "assert";
import { Istio, MeshService, MeshServiceArgs, Waypoint, ZeroTrustBaseline, clusterPolicies, layer7Needs, meshEndpoint, waypointIdentity } from "../../components";
import { construct, installMocks } from "../../stacks/offline";
import { errorOf } from "../harness/construct";

const productpage = meshEndpoint("productpage", { namespace: "shop", serviceAccount: "shop-productpage", ports: [{ name: "http", port: 9080 }] });
const waypoint = { name: "waypoint", namespace: "shop", identity: waypointIdentity("waypoint", "shop") };
const peer = (namespace: string, labels: Record<string, string>) => ({
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
    podSelector: { matchLabels: labels },
});
const hbone = [{ protocol: "TCP", port: 15008 }];

/** An ambient service whose callers need Layer 4 only: ztunnel enforces all of it. */
function ratingsArgs(overrides: Partial<MeshServiceArgs> = {}): MeshServiceArgs {
    return {
        namespace: "shop",
        dataplaneMode: "ambient",
        ports: [{ name: "http", port: 9080 }],
        versions: [{ name: "v1", image: "example/ratings:1" }],
        callers: [{ from: productpage }],
        ...overrides,
    };
}

describe("ambient mode", () => {
    before(installMocks);

    describe("Istio dataplaneMode", () => {
        it("installs base → istiod → cni → ztunnel in order, all with Istio's ambient profile and pinned", async () => {
            let istio: Istio | undefined;
            const log = await construct(() => {
                istio = new Istio("istio", { dataplaneMode: "ambient", platform: "minikube" });
            });
            const [base, istiod, cni, ztunnel] = ["istio-base", "istio-istiod", "istio-cni", "istio-ztunnel"].map((name) => log.named("Chart", name));
            assert.ok(log.dependsOn(istiod, base) && log.dependsOn(cni, istiod) && log.dependsOn(ztunnel, cni));
            assert.deepStrictEqual([cni.inputs.chart, ztunnel.inputs.chart, ztunnel.inputs.version, ztunnel.inputs.namespace], ["cni", "ztunnel", "1.30.3", "istio-system"]);
            for (const chart of [istiod, cni, ztunnel]) {
                assert.strictEqual(chart.inputs.values.profile, "ambient", `${chart.name} uses the ambient profile`);
                assert.deepStrictEqual(chart.inputs.values.global.networkPolicy, { enabled: true });
                assert.strictEqual(chart.inputs.values.global.platform, "minikube");
            }
            assert.deepStrictEqual(istio!.injectionLabels, { "istio.io/dataplane-mode": "ambient" });
            assert.deepStrictEqual(istio!.ready, [istio!.base, istio!.istiod, istio!.cni, istio!.ztunnel]);
        });

        it("sidecar mode (the default) installs no ztunnel and labels namespaces for injection", async () => {
            let istio: Istio | undefined;
            const log = await construct(() => {
                istio = new Istio("istio", {});
            });
            assert.deepStrictEqual(log.ofKind("Chart").map((chart) => chart.inputs.chart), ["base", "istiod"]);
            assert.strictEqual(log.named("Chart", "istio-istiod").inputs.values.profile, undefined);
            assert.deepStrictEqual([istio!.dataplaneMode, istio!.injectionLabels], ["sidecar", { "istio-injection": "enabled" }]);
        });

        it("selects a revisioned control plane with istio.io/rev next to the ambient label", async () => {
            let istio: Istio | undefined;
            const log = await construct(() => {
                istio = new Istio("istio", { dataplaneMode: "ambient", revision: "1-30-3" });
            });
            assert.deepStrictEqual(istio!.injectionLabels, { "istio.io/dataplane-mode": "ambient", "istio.io/rev": "1-30-3" });
            assert.strictEqual(log.named("Chart", "istio-ztunnel").inputs.values.revision, "1-30-3");
        });

        it("rejects an unknown mode, and ambient without the CNI agent", () => {
            assert.match(errorOf(() => new Istio("istio-bad-mode", { dataplaneMode: "sidecarless" as never })), /dataplaneMode: "sidecarless" is not a data plane mode; use one of sidecar, ambient/);
            assert.match(errorOf(() => new Istio("istio-no-cni", { dataplaneMode: "ambient", cni: false })), /cni: ambient mode needs the Istio CNI node agent, but cni is false; drop cni: false/);
        });
    });

    describe("ZeroTrustBaseline", () => {
        const calico = { policyApi: "projectcalico.org/v3" as const, ready: [] };

        it("admits the kubelet's SNATed health probes (169.254.7.127) into ambient namespaces, at both Calico and NetworkPolicy level", async () => {
            const istio = { injectionLabels: { "istio.io/dataplane-mode": "ambient" }, ready: [], dataplaneMode: "ambient" as const };
            const log = await construct(() => new ZeroTrustBaseline("baseline", { calico, istio, namespaces: [{ name: "shop" }] }));
            assert.deepStrictEqual(log.object("Namespace", "shop").metadata.labels, { "istio.io/dataplane-mode": "ambient" });
            assert.deepStrictEqual(log.object("NetworkPolicy", "allow-kubelet-probes", "shop").spec, {
                podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ ipBlock: { cidr: "169.254.7.127/32" } }] }],
            });
            assert.deepStrictEqual(clusterPolicies({ calico, istio, namespaces: [] })["ztmesh-allow-kubelet-probes"].ingress, [
                { action: "Allow", protocol: "TCP", source: { nets: ["169.254.7.127/32"] }, destination: {} },
            ]);
        });

        it("lets monitoring scrape ambient pods over HBONE (TCP 15008), which carries the metrics ports between ambient pods", () => {
            const istio = { injectionLabels: { "istio.io/dataplane-mode": "ambient" }, ready: [], dataplaneMode: "ambient" as const };
            const monitoring = { name: "prometheus", namespace: "monitoring", serviceAccount: "prometheus", podLabels: { app: "prometheus" } };
            const egress = clusterPolicies({ calico, istio, namespaces: [], monitoring, metricsPorts: [9090] })["ztmesh-allow-monitoring-egress"].egress!;
            assert.deepStrictEqual(egress[0].destination!.ports, [15020, 15090, 9090, 15008]);
            const sidecar = { injectionLabels: { "istio-injection": "enabled" }, ready: [] };
            assert.deepStrictEqual(clusterPolicies({ calico, istio: sidecar, namespaces: [], monitoring, metricsPorts: [9090] })["ztmesh-allow-monitoring-egress"].egress![0].destination!.ports, [15020, 15090, 9090]);
        });

        it("adds nothing for probes in sidecar mode", () => {
            const istio = { injectionLabels: { "istio-injection": "enabled" }, ready: [] };
            assert.strictEqual(clusterPolicies({ calico, istio, namespaces: [] })["ztmesh-allow-kubelet-probes"], undefined);
        });
    });

    describe("Waypoint", () => {
        it("is a Gateway of class istio-waypoint with the HBONE listener, for service traffic; its pods may reach DNS and istiod only", async () => {
            const log = await construct(() => new Waypoint("shop-waypoint", { namespace: "shop" }));
            const gateway = log.object("Gateway", "waypoint", "shop");
            assert.deepStrictEqual(gateway.metadata.labels, { "istio.io/waypoint-for": "service" });
            assert.deepStrictEqual(gateway.spec, { gatewayClassName: "istio-waypoint", listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }] });
            const policy = log.object("NetworkPolicy", "waypoint", "shop").spec;
            assert.deepStrictEqual(policy.podSelector, { matchLabels: { "gateway.networking.k8s.io/gateway-name": "waypoint" } });
            assert.strictEqual(policy.ingress, undefined);
            assert.deepStrictEqual(policy.egress.map((rule: any) => rule.ports.map((p: any) => p.port)), [[53, 53], [15012]]);
        });
    });

    describe("MeshService, Layer 4 only: ztunnel enforces the declaration", () => {
        it("admits the callers over HBONE (15008) in the NetworkPolicy: the application port travels inside the tunnel", async () => {
            const log = await construct(() => new MeshService("ratings", ratingsArgs()));
            const spec = log.object("NetworkPolicy", "ratings", "shop").spec;
            assert.deepStrictEqual(spec.ingress, [{ from: [peer("shop", { app: "productpage" })], ports: hbone }]);
            assert.deepStrictEqual(spec.egress.map((rule: any) => rule.to[0].podSelector.matchLabels), [{ "k8s-app": "kube-dns" }], "ambient pods never dial istiod");
        });

        it("keeps the sidecar-mode AuthorizationPolicy (selector, principals, ports): ztunnel enforces it as it is", async () => {
            const log = await construct(() => new MeshService("ratings", ratingsArgs()));
            const spec = log.object("AuthorizationPolicy", "ratings", "shop").spec;
            assert.deepStrictEqual(spec, {
                selector: { matchLabels: { app: "ratings" } },
                action: "ALLOW",
                rules: [{ from: [{ source: { principals: ["cluster.local/ns/shop/sa/shop-productpage"] } }], to: [{ operation: { ports: ["9080"] } }] }],
            });
        });

        it("enrols its pods in ambient (not sidecar injection), makes no VirtualService and no waypoint objects", async () => {
            let service: MeshService | undefined;
            const log = await construct(() => {
                service = new MeshService("ratings", ratingsArgs());
            });
            assert.deepStrictEqual(log.object("Deployment", "ratings-v1", "shop").spec.template.metadata.labels, { app: "ratings", version: "v1", "istio.io/dataplane-mode": "ambient" });
            assert.deepStrictEqual([log.ofKind("VirtualService").length, log.ofKind("HTTPRoute").length], [0, 0]);
            assert.deepStrictEqual(log.object("Service", "ratings", "shop").metadata.labels, { app: "ratings" });
            assert.strictEqual(service!.endpoint.waypoint, undefined);
        });

        it("admits monitoring on metrics ports at Layer 4 only, and records no method for it: pod scrapes skip every waypoint", async () => {
            const prometheus = { name: "prometheus", namespace: "monitoring", serviceAccount: "prometheus", podLabels: { app: "prometheus" } };
            const ports = [{ name: "http", port: 9080 }, { name: "metrics", port: 9090, metrics: true }];
            const log = await construct(() => new MeshService("ratings", ratingsArgs({ ports, monitoring: prometheus })));
            assert.deepStrictEqual(log.object("AuthorizationPolicy", "ratings", "shop").spec.rules[1], {
                from: [{ source: { principals: ["cluster.local/ns/monitoring/sa/prometheus"] } }], to: [{ operation: { ports: ["9090"] } }],
            });
            const declared = JSON.parse(log.object("Service", "ratings", "shop").metadata.annotations["ztmesh.io/declared-callers"]);
            assert.deepStrictEqual(declared[1], { namespace: "monitoring", podLabels: { app: "prometheus" }, ports: [9090] });
        });

        it("egresses over HBONE to a dependency's pods, or to its waypoint when it has one", async () => {
            const details = meshEndpoint("details", { namespace: "shop", ports: [{ name: "http", port: 9080 }] });
            const reviews = meshEndpoint("reviews", { namespace: "shop", ports: [{ name: "http", port: 9080 }], waypoint });
            const log = await construct(() => new MeshService("ratings", ratingsArgs({ dependencies: [{ to: details }, { to: reviews }] })));
            const egress = log.object("NetworkPolicy", "ratings", "shop").spec.egress;
            assert.deepStrictEqual(egress.slice(0, 2), [
                { to: [peer("shop", { app: "details" })], ports: hbone },
                { to: [peer("shop", { "gateway.networking.k8s.io/gateway-name": "waypoint" })], ports: hbone },
            ]);
        });
    });

    describe("MeshService, Layer 7: behind a waypoint", () => {
        const l7 = (overrides: Partial<MeshServiceArgs> = {}) => ratingsArgs({ callers: [{ from: productpage, methods: ["GET"], paths: ["/ratings/*"] }], waypoint, ...overrides });

        it("knows what needs Layer 7, naming each declaration field", () => {
            assert.deepStrictEqual(layer7Needs({ callers: [{}, { methods: ["GET"] }] }), ["callers[1] limits methods or paths"]);
            assert.deepStrictEqual(layer7Needs({ versions: [1, 2], traffic: { routes: [{ timeout: "1s" }], outlierDetection: {} } }), ["versions share traffic by weight", "traffic.routes", "traffic.outlierDetection"]);
            assert.deepStrictEqual(layer7Needs({ public: { hostname: "shop.example.com" } }), [], "a public route on every path is Layer 4 at the service");
            assert.deepStrictEqual(layer7Needs({ public: { hostname: "shop.example.com", routes: [{ matches: [{ path: { type: "PathPrefix", value: "/api" } }] }] } }), ["public routes admit only some paths"]);
        });

        it("refuses a service that needs Layer 7 without a waypoint, or with one in another namespace", () => {
            const missing = errorOf(() => new MeshService("ratings", l7({ waypoint: undefined })));
            assert.match(missing, /MeshService "shop\/ratings" has invalid arguments:\n {2}- waypoint: in ambient mode ztunnel enforces Layer 4 only, and this service needs Layer 7 \(callers\[0\] limits methods or paths\); pass a Waypoint/);
            const elsewhere = errorOf(() => new MeshService("ratings", l7({ waypoint: { ...waypoint, namespace: "mesh" } })));
            assert.match(elsewhere, /waypoint: waypoint "mesh\/waypoint" is in another namespace than the service \("shop"\)/);
        });

        it("attaches the L7 policy to the Service (targetRefs) and lets only the waypoint through ztunnel, so no caller skips it", async () => {
            const log = await construct(() => new MeshService("ratings", l7()));
            assert.deepStrictEqual(log.object("AuthorizationPolicy", "ratings", "shop").spec, {
                targetRefs: [{ group: "", kind: "Service", name: "ratings" }],
                action: "ALLOW",
                rules: [{ from: [{ source: { principals: ["cluster.local/ns/shop/sa/shop-productpage"] } }], to: [{ operation: { ports: ["9080"], methods: ["GET"], paths: ["/ratings/*"] } }] }],
            });
            assert.deepStrictEqual(log.object("AuthorizationPolicy", "ratings-ztunnel", "shop").spec, {
                selector: { matchLabels: { app: "ratings" } },
                action: "ALLOW",
                rules: [{ from: [{ source: { principals: ["cluster.local/ns/shop/sa/waypoint"] } }], to: [{ operation: { ports: ["9080"] } }] }],
            });
            assert.deepStrictEqual(log.object("Service", "ratings", "shop").metadata.labels, { app: "ratings", "istio.io/use-waypoint": "waypoint" });
        });


        it("admits only the waypoint to the pods, and the callers to the waypoint, over HBONE", async () => {
            const log = await construct(() => new MeshService("ratings", l7()));
            assert.deepStrictEqual(log.object("NetworkPolicy", "ratings", "shop").spec.ingress, [{ from: [peer("shop", { "gateway.networking.k8s.io/gateway-name": "waypoint" })], ports: hbone }]);
            assert.deepStrictEqual(log.object("NetworkPolicy", "waypoint-ratings", "shop").spec, {
                podSelector: { matchLabels: { "gateway.networking.k8s.io/gateway-name": "waypoint" } },
                policyTypes: ["Ingress", "Egress"],
                ingress: [{ from: [peer("shop", { app: "productpage" })], ports: hbone }],
                egress: [{ to: [peer("shop", { app: "ratings" })], ports: hbone }],
            });
        });

        it("routes versions with a GAMMA HTTPRoute on the Service and one Service per version, all behind the waypoint", async () => {
            const args = l7({
                versions: [{ name: "v1", image: "example/ratings:1", weight: 90 }, { name: "v2", image: "example/ratings:2", weight: 10 }],
                traffic: { routes: [{ matches: [{ headers: [{ name: "end-user", value: "tester" }] }], weights: { v1: 0, v2: 100 } }, { timeout: "5s" }] },
            });
            const log = await construct(() => new MeshService("ratings", args));
            const route = log.object("HTTPRoute", "ratings-http", "shop").spec;
            assert.deepStrictEqual(route.parentRefs, [{ group: "", kind: "Service", name: "ratings", port: 9080 }]);
            assert.deepStrictEqual(route.rules[0].backendRefs.map((ref: any) => [ref.name, ref.weight]), [["ratings-v1", 0], ["ratings-v2", 100]]);
            assert.deepStrictEqual(route.rules[1].timeouts, { request: "5s" });
            assert.deepStrictEqual(log.object("Service", "ratings-v2", "shop").metadata.labels, { app: "ratings", "istio.io/use-waypoint": "waypoint" });
            assert.deepStrictEqual(log.object("AuthorizationPolicy", "ratings", "shop").spec.targetRefs.map((ref: any) => ref.name), ["ratings", "ratings-v1", "ratings-v2"]);
        });

        it("rejects a path rewrite that an HTTPRoute cannot express", () => {
            const message = errorOf(() => new MeshService("ratings", l7({ traffic: { routes: [{ matches: [{ path: { type: "Exact", value: "/a" } }], rewrite: { uri: "/b" } }] } })));
            assert.match(message, /traffic\.routes\[0\]\.rewrite\.uri: in ambient mode a path rewrite is an HTTPRoute ReplacePrefixMatch, which needs PathPrefix matches/);
        });

        it("in sidecar mode ignores the waypoint: the same declaration gives the sidecar objects", async () => {
            const log = await construct(() => new MeshService("ratings", l7({ dataplaneMode: "sidecar" })));
            assert.ok(log.object("VirtualService", "ratings", "shop"));
            assert.deepStrictEqual(log.object("AuthorizationPolicy", "ratings", "shop").spec.selector, { matchLabels: { app: "ratings" } });
            assert.deepStrictEqual(log.object("NetworkPolicy", "ratings", "shop").spec.ingress[0].ports, [{ protocol: "TCP", port: 9080 }]);
            assert.strictEqual(log.ofKind("AuthorizationPolicy").length, 1);
        });
    });
});
