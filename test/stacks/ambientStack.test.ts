import * as assert from "assert";
import { ConfigError, parseEnvironment } from "../../stacks/config";
import { MeshDeployment, deployMesh } from "../../stacks/program";
import { construct, ResourceLog } from "../../stacks/offline";
import { sourcePlan } from "../../stacks/charts";
import { editedConfig, stackConfig } from "../harness/stackConfig";

describe("ambient stack (Bookinfo on Istio's ambient data plane)", () => {
    let log: ResourceLog;
    let mesh: MeshDeployment;

    before(async () => {
        log = await construct(() => {
            mesh = deployMesh(parseEnvironment(stackConfig("ambient")), "ambient");
        });
    });

    it("declares Bookinfo exactly as the dev stack, and adds httpbin: only ztmesh:istio and the extra service differ", () => {
        const [dev, ambient] = [stackConfig("dev"), stackConfig("ambient")];
        const differing = Object.keys({ ...dev, ...ambient }).filter((key) => dev[key] !== ambient[key]);
        assert.deepStrictEqual(differing, ["ztmesh:istio", "ztmesh:services"]);
        assert.deepStrictEqual(JSON.parse(ambient["ztmesh:istio"]), { platform: "minikube", dataplaneMode: "ambient", dedicatedWaypoints: ["reviews"] });
        const [devServices, ambientServices] = [JSON.parse(dev["ztmesh:services"]), JSON.parse(ambient["ztmesh:services"])];
        assert.deepStrictEqual(ambientServices.slice(0, -1), devServices);
        assert.deepStrictEqual(ambientServices.at(-1).ports, [{ name: "http", port: 8000, targetPort: 8080 }]);
    });

    it("renders to rendered/ambient, installing base → istiod → cni → ztunnel", () => {
        assert.strictEqual(mesh.mode, "render");
        assert.match(mesh.renderDirectory!, /\/rendered\/ambient$/);
        assert.deepStrictEqual(log.ofKind("Chart").map((chart) => chart.inputs.chart), ["base", "istiod", "cni", "ztunnel"]);
        assert.deepStrictEqual(sourcePlan(parseEnvironment(stackConfig("ambient"))).downloads.map((d) => d.what), ['chart "base"', 'chart "istiod"', 'chart "cni"', 'chart "ztunnel"', "the Gateway API CRDs"]);
    });

    it("puts bookinfo in the ambient mesh: namespace label, no sidecar injection", () => {
        assert.deepStrictEqual(log.object("Namespace", "bookinfo").metadata.labels, { "ztmesh.io/gateway-access": "mesh-gateway", "istio.io/dataplane-mode": "ambient" });
        assert.ok(log.ofKind("Deployment").every((d) => d.inputs.spec.template.metadata.labels["sidecar.istio.io/inject"] === undefined));
    });

    it("gives the namespace one waypoint and reviews one of its own, each Service labelled for its waypoint", () => {
        assert.deepStrictEqual(Object.keys(mesh.waypoints).sort(), ["bookinfo/reviews-waypoint", "bookinfo/waypoint"]);
        const useWaypoint = (name: string) => log.object("Service", name, "bookinfo").metadata.labels["istio.io/use-waypoint"];
        assert.deepStrictEqual(["productpage", "details", "reviews", "reviews-v1", "ratings", "httpbin"].map(useWaypoint), ["waypoint", "waypoint", "reviews-waypoint", "reviews-waypoint", "waypoint", "waypoint"]);
        assert.strictEqual(log.object("Service", "productpage", "bookinfo").metadata.labels["istio.io/ingress-use-waypoint"], "true", "public paths are checked at the waypoint");
        assert.ok(log.dependsOn(log.named("MeshService", "reviews"), log.named("Waypoint", "bookinfo-reviews-waypoint")));
    });

    it("routes reviews' canary with a GAMMA HTTPRoute instead of a VirtualService", () => {
        assert.strictEqual(log.ofKind("VirtualService").length, 0);
        const rules = log.object("HTTPRoute", "reviews-http", "bookinfo").spec.rules;
        assert.deepStrictEqual(rules[1].backendRefs.map((ref: any) => [ref.name, ref.weight]), [["reviews-v1", 80], ["reviews-v2", 10], ["reviews-v3", 10]]);
        assert.deepStrictEqual(rules[1].timeouts, { request: "10s" });
    });

    it("writes a waypoint's policy in Service ports and ztunnel's in container ports (httpbin: Service port 8000, pods 8080)", () => {
        const waypointPolicy = log.object("AuthorizationPolicy", "httpbin", "bookinfo").spec;
        assert.deepStrictEqual(waypointPolicy.targetRefs, [{ group: "", kind: "Service", name: "httpbin" }]);
        assert.deepStrictEqual(waypointPolicy.rules.map((rule: any) => rule.to[0].operation), [
            { ports: ["8000"], methods: ["GET"], paths: ["/status/*"] },
            { ports: ["8000"], paths: ["/headers", "/headers/*"] },
        ]);
        assert.deepStrictEqual(log.object("AuthorizationPolicy", "httpbin-ztunnel", "bookinfo").spec.rules.map((rule: any) => rule.to[0].operation), [{ ports: ["8080"] }]);
    });

    it("lets the gateway reach productpage only through its waypoint, over HBONE", () => {
        assert.deepStrictEqual(log.object("NetworkPolicy", "to-bookinfo-productpage", "istio-ingress").spec.egress, [{
            to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "bookinfo" } }, podSelector: { matchLabels: { "gateway.networking.k8s.io/gateway-name": "waypoint" } } }],
            ports: [{ protocol: "TCP", port: 15008 }],
        }]);
    });

    it("rejects dedicated waypoints outside ambient mode, and for services it does not declare", () => {
        const sidecar = editedConfig("ambient", "ztmesh:istio", (istio) => ({ ...istio, dataplaneMode: "sidecar" }));
        assert.throws(() => parseEnvironment(sidecar), (error: Error) => error instanceof ConfigError
            && /ztmesh:istio\.dedicatedWaypoints\[0\]: waypoints exist in ambient mode only; set ztmesh:istio\.dataplaneMode to ambient/.test(error.message));
        const unknown = editedConfig("ambient", "ztmesh:istio", (istio) => ({ ...istio, dedicatedWaypoints: ["reveiws"] }));
        assert.throws(() => parseEnvironment(unknown), /ztmesh:istio\.dedicatedWaypoints\[0\]: "reveiws" is not a declared service/);
    });
});
