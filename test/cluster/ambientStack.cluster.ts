import * as assert from "assert";
import { assertOnServer, clusterConfig, expectedObjects, onItsOwnServer } from "./stackOnServer";

/** `objects` by name, for reading one field of each. */
const byName = (objects: any[]): Record<string, any> => Object.fromEntries(objects.map((o) => [o.metadata.name, o]));

/**
 * The ambient stack (Pulumi.ambient.yaml) with `pulumi up` against a real kube-apiserver: the
 * objects only ambient mode writes (waypoint Gateways, AuthorizationPolicies with targetRefs,
 * GAMMA HTTPRoutes, the HBONE NetworkPolicies) must pass the CRDs the stack itself installs
 * (Istio 1.30.3's base chart, Gateway API v1.5.1 standard), including their CEL rules, and come
 * back as sent. A cluster of its own: the dev stack owns the same namespaces and Istio's CRDs.
 */
describe("cluster: the ambient stack applied to kube-apiserver v1.36.3", function () {
    this.timeout(1_800_000);
    const config = clusterConfig("ambient");
    const server = onItsOwnServer("ambient", config);

    it("pulumi up creates every object of the stack, the ztunnel and CNI charts included; the server holds them as sent", async () => {
        server.pulumi.ok(["up", "--yes", "--skip-preview"]);
        await assertOnServer(server.cluster, await expectedObjects("ambient", config));
        for (const daemonSet of ["ztunnel", "istio-cni-node"]) {
            assert.ok(await server.cluster.read("apps/v1", "DaemonSet", daemonSet, "istio-system"), `${daemonSet} from the upstream chart`);
        }
    });

    it("the server keeps the ambient labels of the namespace and of each service", async () => {
        const namespace = await server.cluster.read("v1", "Namespace", "bookinfo");
        assert.strictEqual(namespace.metadata.labels["istio.io/dataplane-mode"], "ambient");
        assert.strictEqual(namespace.metadata.labels["istio-injection"], undefined, "no sidecar injection in an ambient namespace");
        const waypointOf = Object.fromEntries((await server.cluster.list("v1", "Service", "bookinfo")).map((s: any) => [s.metadata.name, s.metadata.labels?.["istio.io/use-waypoint"]]));
        assert.deepStrictEqual(waypointOf, {
            productpage: "waypoint", details: "waypoint", ratings: "waypoint", httpbin: "waypoint",
            reviews: "reviews-waypoint", "reviews-v1": "reviews-waypoint", "reviews-v2": "reviews-waypoint", "reviews-v3": "reviews-waypoint",
        });
    });

    it("the waypoints are Gateways of class istio-waypoint with an HBONE listener on 15008", async () => {
        const gateways = byName(await server.cluster.list("gateway.networking.k8s.io/v1", "Gateway", "bookinfo"));
        assert.deepStrictEqual(Object.keys(gateways).sort(), ["reviews-waypoint", "waypoint"]);
        for (const gateway of Object.values(gateways)) {
            assert.strictEqual(gateway.spec.gatewayClassName, "istio-waypoint");
            assert.deepStrictEqual(gateway.spec.listeners.map((l: any) => [l.protocol, l.port]), [["HBONE", 15008]]);
        }
    });

    it("L7 AuthorizationPolicies target the Services (core group, not defaulted away); L4 ones select the pods for ztunnel", async () => {
        const policies = byName(await server.cluster.list("security.istio.io/v1", "AuthorizationPolicy", "bookinfo"));
        for (const service of ["productpage", "details", "ratings", "reviews"]) {
            assert.strictEqual(policies[service].spec.selector, undefined, `${service}: a targetRefs policy has no selector`);
            assert.ok(policies[service].spec.targetRefs.some((t: any) => t.group === "" && t.kind === "Service" && t.name === service), `${service}: ${JSON.stringify(policies[service].spec.targetRefs)}`);
            assert.deepStrictEqual(policies[`${service}-ztunnel`].spec.selector.matchLabels, { app: service });
        }
        assert.deepStrictEqual(policies.reviews.spec.targetRefs.map((t: any) => t.name), ["reviews", "reviews-v1", "reviews-v2", "reviews-v3"]);
        // httpbin's Service listens on 8000, its pods on 8080: the waypoint sees the one, ztunnel the other.
        assert.deepStrictEqual(policies.httpbin.spec.rules.map((rule: any) => rule.to[0].operation.ports), [["8000"], ["8000"]]);
        assert.deepStrictEqual(policies["httpbin-ztunnel"].spec.rules.map((rule: any) => rule.to[0].operation.ports), [["8080"]]);
    });

    it("mesh routes are GAMMA HTTPRoutes whose parent is the Service, with the parentRef's empty group kept", async () => {
        const routes = byName(await server.cluster.list("gateway.networking.k8s.io/v1", "HTTPRoute", "bookinfo"));
        for (const service of ["productpage", "details", "ratings", "reviews"]) {
            // Left out, group defaults to gateway.networking.k8s.io and the route attaches to no Service.
            assert.deepStrictEqual(routes[`${service}-http`].spec.parentRefs, [{ group: "", kind: "Service", name: service, port: 9080 }]);
        }
        assert.deepStrictEqual(routes["reviews-http"].spec.rules[1].backendRefs.map((b: any) => [b.name, b.weight]), [["reviews-v1", 80], ["reviews-v2", 10], ["reviews-v3", 10]]);
    });

    it("the NetworkPolicies admit HBONE on 15008 and the kubelet's probes, which the Istio CNI source-NATs to 169.254.7.127; so does the Calico baseline", async () => {
        const policies = byName(await server.cluster.list("networking.k8s.io/v1", "NetworkPolicy", "bookinfo"));
        const hbone = (rules: any[] = []) => rules.every((rule) => rule.ports.every((p: any) => p.port === 15008 && p.protocol === "TCP"));
        assert.ok(hbone(policies.details.spec.ingress), JSON.stringify(policies.details.spec.ingress));
        assert.ok(hbone(policies["waypoint-details"].spec.ingress) && hbone(policies["waypoint-details"].spec.egress), "the waypoint receives and forwards HBONE");
        assert.deepStrictEqual(policies["allow-kubelet-probes"].spec.ingress, [{ from: [{ ipBlock: { cidr: "169.254.7.127/32" } }] }]);
        const probes = await server.cluster.read("crd.projectcalico.org/v1", "GlobalNetworkPolicy", "default.ztmesh-allow-kubelet-probes");
        assert.deepStrictEqual(probes.spec.ingress.map((rule: any) => rule.source.nets), [["169.254.7.127/32"]]);
    });

    it("a second preview changes nothing: the server's defaults cause no drift", () => {
        server.pulumi.ok(["preview", "--expect-no-changes"]);
    });
});
