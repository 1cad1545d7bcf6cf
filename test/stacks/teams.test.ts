import * as assert from "assert";
import { MeshPlatform, PlatformHandleError, parsePlatformHandle, platformHandleVersion, platformOutputName, teamLabel } from "../../components";
import { deployTeam } from "../../stacks/application";
import { ConfigError, parseEnvironment } from "../../stacks/config";
import { construct } from "../../stacks/offline";
import { deployMesh } from "../../stacks/program";
import { rawConfig } from "../e2e/stackFiles";
import { editedStack, platformUnderMocks, singleStackConfig, teamUnderMocks, withoutTeamLabels } from "../harness/teamStacks";
import { PlatformHandle } from "../../components";

/** The message of the ConfigError `run` throws; fails when it throws none. */
function configError(run: () => unknown): string {
    try {
        run();
    } catch (error) {
        assert.ok(error instanceof ConfigError, `a ConfigError, not ${String(error)}`);
        return error.message;
    }
    throw new Error("expected the configuration to be rejected");
}

describe("team stacks: roles", () => {
    it("the dev stack is of role all, and the platform and team stacks parse", () => {
        assert.strictEqual(parseEnvironment(editedStack("dev")).role, undefined);
        assert.deepStrictEqual(parseEnvironment(editedStack("platform")).services, []);
        assert.strictEqual(parseEnvironment(editedStack("team-reviews")).services.length, 3);
        assert.strictEqual(parseEnvironment(editedStack("team-frontend")).team, "frontend");
    });

    it("a platform stack declares no services and needs its teams, each namespace owned once", () => {
        const message = configError(() => parseEnvironment(editedStack("platform", (config) => {
            config["ztmesh:services"] = parseEnvironment(editedStack("dev")).services.slice(0, 1);
            config["ztmesh:teams"][1].namespaces.push("bookinfo-frontend");
        })));
        assert.match(message, /ztmesh:services: a platform stack declares no services; move them to the teams' application stacks \(ztmesh:role: application\)/);
        assert.match(message, /ztmesh:teams\[1\]\.namespaces\[1\]: namespace "bookinfo-frontend" is already owned by team "frontend"; a namespace has one owning team/);
        assert.match(configError(() => parseEnvironment(editedStack("platform", (config) => delete config["ztmesh:teams"]))),
            /ztmesh:teams: required, but missing; add it \(expected a list of teams, e\.g\. \[\{ name: frontend, namespaces: \[shop\] \}\]\)/);
    });

    it("an application stack names its platform and team, and sets none of the platform's keys", () => {
        const message = configError(() => parseEnvironment(editedStack("team-frontend", (config) => {
            delete config["ztmesh:platform"];
            delete config["ztmesh:team"];
            config["ztmesh:istio"] = { platform: "minikube" };
            config["ztmesh:teams"] = [{ name: "x", namespaces: ["y"] }];
        })));
        assert.match(message, /ztmesh:istio: an application stack takes the mesh from its platform stack \(ztmesh:platform\); remove it, or set it in the platform stack/);
        assert.match(message, /ztmesh:teams: an application stack takes the mesh/);
        assert.match(message, /ztmesh:platform: required, but missing; add it \(expected the platform stack, e\.g\. "acme\/ztmesh\/platform"\)/);
        assert.match(message, /ztmesh:team: required, but missing/);
        assert.match(configError(() => parseEnvironment(editedStack("team-frontend", (config) => { config["ztmesh:platform"] = "platform"; }))),
            /ztmesh:platform: "platform" is not a stack name; write <organization>\/<project>\/<stack>/);
    });

    it("a stack of role all takes no teams, platform or team, and no dependencies (derived from callers there)", () => {
        const message = configError(() => parseEnvironment(editedStack("dev", (config) => {
            config["ztmesh:teams"] = [{ name: "frontend", namespaces: ["bookinfo"] }];
            config["ztmesh:team"] = "frontend";
            config["ztmesh:services"][0].dependencies = [{ service: "bookinfo/details", ports: [9080] }];
        })));
        assert.match(message, /ztmesh:teams: only a platform stack declares teams; set ztmesh:role: platform/);
        assert.match(message, /ztmesh:team: only an application stack names its team; set ztmesh:role: application, or remove it/);
        assert.match(message, /ztmesh:services\[0\]\.dependencies\[0\]: dependencies name services of other teams' stacks, in application stacks only/);
        assert.match(configError(() => parseEnvironment(editedStack("dev", (config) => { config["ztmesh:services"][1].callers[0].service = "shop/productpage"; }))),
            /ztmesh:services\[1\]\.callers\[0\]\.service: "shop\/productpage" is not a declared service; .*a service of another team's stack can be named only in an application stack/);
    });

    it("a team's service keeps the identity other stacks derive from its name", () => {
        const message = configError(() => parseEnvironment(editedStack("team-reviews", (config) => {
            config["ztmesh:services"][0].serviceAccount = "bookinfo-details";
            config["ztmesh:services"][1].ports[0].metrics = true;
        })));
        assert.match(message, /ztmesh:services\[0\]\.serviceAccount: "bookinfo-details" differs from the service name; .* remove serviceAccount/);
        assert.match(message, /ztmesh:services\[1\]\.ports\[0\]\.metrics: metrics ports are scraped through the platform's cluster policy/);
    });
});

describe("team stacks: the platform handle", function () {
    this.timeout(60_000);
    let handle: PlatformHandle;
    before(async () => {
        ({ handle } = await platformUnderMocks());
    });

    it("holds the mesh, the gateway's parentRefs and identity, the teams' namespaces and the platform's policy objects", () => {
        assert.strictEqual(handle.version, platformHandleVersion);
        assert.deepStrictEqual(handle.mesh, { trustDomain: "cluster.local", dataplaneMode: "sidecar", ingressMode: "gateway-api" });
        assert.deepStrictEqual(handle.namespaces, [
            { name: "bookinfo-frontend", team: "frontend", gatewayRoutes: true },
            { name: "bookinfo-reviews", team: "reviews", gatewayRoutes: false },
        ]);
        assert.deepStrictEqual(handle.gateway?.listeners, [{ hostname: "bookinfo.ztmesh.local", parentRef: { group: "gateway.networking.k8s.io", kind: "Gateway", name: "mesh-gateway", namespace: "istio-ingress", sectionName: "https-bookinfo-ztmesh-local" } }]);
        assert.strictEqual(handle.gateway?.identity.serviceAccount, "mesh-gateway-istio");
        assert.deepStrictEqual(handle.defaultDeny, { clusterPolicy: "calico", calicoPolicyApi: "crd.projectcalico.org/v1", controlPlaneNamespaces: ["kube-system", "calico-system", "calico-apiserver", "tigera-operator", "istio-system"] });
        const objects = handle.policyObjects.map((o) => `${o.kind} ${(o.metadata as { namespace?: string }).namespace ?? ""}/${o.metadata.name}`);
        for (const expected of ["Namespace /bookinfo-frontend", "NetworkPolicy bookinfo-reviews/default-deny", "AuthorizationPolicy bookinfo-reviews/allow-nothing", "GlobalNetworkPolicy /default.ztmesh-default-deny", "PeerAuthentication istio-system/default", "Gateway istio-ingress/mesh-gateway"]) {
            assert.ok(objects.includes(expected), `${expected} among ${objects.join(", ")}`);
        }
        assert.ok(!handle.policyObjects.some((o) => o.kind === "Secret"), "no Secret is recorded");
        const frontend = handle.policyObjects.find((o) => o.kind === "Namespace" && o.metadata.name === "bookinfo-frontend")!;
        assert.deepStrictEqual((frontend.metadata as unknown as { labels: Record<string, string> }).labels, { [teamLabel]: "frontend", "ztmesh.io/gateway-access": "mesh-gateway", "istio-injection": "enabled" });
    });

    it("round-trips through the schema; an unknown version, a missing handle or a bad field is a clear error", () => {
        assert.deepStrictEqual(MeshPlatform.of(JSON.parse(JSON.stringify({ [platformOutputName]: handle }))).handle, handle);
        assert.throws(() => MeshPlatform.of({ [platformOutputName]: { ...handle, version: 2 } }, "stack acme/ztmesh/platform"),
            (error: Error) => error instanceof PlatformHandleError && /^stack acme\/ztmesh\/platform: platform handle version 2 is not supported \(this ztmesh reads version 1\); run the platform stack and this stack with the same ztmesh release$/.test(error.message));
        assert.throws(() => MeshPlatform.of({ other: 1 }, "stack acme/ztmesh/apps"), /stack acme\/ztmesh\/apps: the platform handle ztmeshPlatform is missing or not an object; point at a stack with ztmesh:role: platform/);
        assert.throws(() => parsePlatformHandle({ ...handle, namespaces: [{ name: "shop", team: 3, gatewayRoutes: false }] }, "s"), /ztmeshPlatform\.namespaces\[0\]\.team: /);
    });

    it("cross-stack callers and dependencies resolve to the deterministic identities, at both layers", async () => {
        const reviews = await teamUnderMocks("team-reviews", handle);
        const details = reviews.find((r) => r.inputs.kind === "AuthorizationPolicy" && r.inputs.metadata.name === "details")!.inputs;
        assert.deepStrictEqual(details.spec.rules[0].from, [{ source: { principals: ["cluster.local/ns/bookinfo-frontend/sa/productpage"] } }]);
        const detailsPolicy = reviews.find((r) => r.inputs.kind === "NetworkPolicy" && r.inputs.metadata.name === "details")!.inputs;
        assert.deepStrictEqual(detailsPolicy.spec.ingress[0].from, [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "bookinfo-frontend" } }, podSelector: { matchLabels: { app: "productpage" } } }]);
        assert.ok(reviews.filter((r) => r.inputs.kind).every((r) => r.inputs.metadata.labels?.[teamLabel] === undefined || r.inputs.metadata.labels[teamLabel] === "reviews"));
        const frontend = await teamUnderMocks("team-frontend", handle);
        const productpage = frontend.find((r) => r.inputs.kind === "NetworkPolicy" && r.inputs.metadata.name === "productpage")!.inputs;
        assert.deepStrictEqual(productpage.spec.egress.slice(0, 2), ["details", "reviews"].map((name) => ({
            to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "bookinfo-reviews" } }, podSelector: { matchLabels: { app: name } } }],
            ports: [{ protocol: "TCP", port: 9080 }],
        })));
    });

    it("the platform and the two team stacks register the objects of one stack with the same declarations, but for the team labels", async () => {
        const key = (o: any) => `${o.kind} ${o.metadata?.namespace ?? ""}/${o.metadata?.name}`;
        const objects = (resources: { custom: boolean; inputs: any }[]) => new Map(resources
            .filter((r) => r.custom && r.inputs.kind && r.inputs.kind !== "Secret")
            .map((r) => [key(r.inputs), withoutTeamLabels(JSON.parse(JSON.stringify(r.inputs)))]));
        const { log } = await platformUnderMocks();
        const split = objects([...log.resources, ...await teamUnderMocks("team-frontend", handle), ...await teamUnderMocks("team-reviews", handle)]);
        const single = objects((await construct(() => deployMesh(parseEnvironment(rawConfig(singleStackConfig())), "single"))).resources);
        assert.deepStrictEqual([...split.keys()].sort(), [...single.keys()].sort());
        for (const [name, object] of single) {
            assert.deepStrictEqual(split.get(name), object, name);
        }
    });

    it("a caller or dependency in a namespace the platform does not know is an error naming it", () => {
        const env = parseEnvironment(editedStack("team-reviews", (config) => {
            config["ztmesh:services"][0].callers[0].service = "payments/ledger";
            config["ztmesh:services"][2].dependencies = [{ service: "bookinfo-frontend/productpage", ports: [] }];
        }));
        const message = configError(() => deployTeam(env, "team-reviews", MeshPlatform.of({ [platformOutputName]: handle }, "stack organization/ztmesh/platform")));
        assert.match(message, /ztmesh:services\[0\]\.callers\[0\]\.service: namespace "payments" \(of "payments\/ledger"\) is not an application namespace of the platform \(stack organization\/ztmesh\/platform; namespaces: bookinfo-frontend, bookinfo-reviews\); name a service in one of them/);
        assert.match(message, /ztmesh:services\[2\]\.dependencies\[0\]\.ports: no port is given, and an egress rule without ports would allow every port/);
        // The component's own checks of a dependency are placed at the entry the user wrote.
        const frontend = parseEnvironment(editedStack("team-frontend", (config) => { config["ztmesh:services"][0].dependencies[1].ports = [70000]; }));
        assert.match(configError(() => deployTeam(frontend, "team-frontend", MeshPlatform.of({ [platformOutputName]: handle }))),
            /ztmesh:services\[0\]\.dependencies\[1\]: 70000 is not a port number; use a whole number from 1 to 65535 \(MeshService "productpage", field dependencies\[1\]\.to\.ports\[0\]\.port\)/);
    });

    it("ownership: a team's services go in its own namespaces, public ones only where the platform grants gateway routes", () => {
        const platform = MeshPlatform.of({ [platformOutputName]: handle }, "stack organization/ztmesh/platform");
        const message = configError(() => deployTeam(parseEnvironment(editedStack("team-frontend", (config) => {
            config["ztmesh:services"][0].namespace = "bookinfo-reviews";
        })), "team-frontend", platform));
        assert.match(message, /ztmesh:services\[0\]\.namespace: namespace "bookinfo-reviews" is owned by team "reviews"; an application stack creates objects only in its team's namespaces: use a namespace of team "frontend": bookinfo-frontend/);
        const unknown = configError(() => deployTeam(parseEnvironment(editedStack("team-frontend", (config) => { config["ztmesh:team"] = "payments"; })), "team-frontend", platform));
        assert.match(unknown, /ztmesh:team: "payments" is not a team of the platform \(stack organization\/ztmesh\/platform; teams: frontend, reviews\)/);
        const publicReviews = configError(() => deployTeam(parseEnvironment(editedStack("team-reviews", (config) => {
            config["ztmesh:services"][0].public = { hostname: "bookinfo.ztmesh.local" };
        })), "team-reviews", platform));
        assert.match(publicReviews, /ztmesh:services\[0\]\.public: namespace "bookinfo-reviews" may not attach routes to the gateway; have the platform stack set gatewayRoutes: true on team "reviews"/);
    });
});
