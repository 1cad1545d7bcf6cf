/**
 * Hostile MeshService arguments: values that made ztmesh generate policy admitting more than
 * declared (an empty pod selector, an empty port list, a wildcard principal or trust domain),
 * or objects the API server or istiod would refuse. Each must be refused by
 * `validateMeshServiceArgs` with the field and the fix, and the MeshService must then register
 * no object at all, so the wider object cannot be produced.
 *
 * Empty lists: in the generated objects an empty list means "any" (NetworkPolicy `ports: []`
 * admits every port; ztmesh leaves empty `methods`/`paths` out of the AuthorizationPolicy
 * operation, which then admits every method or path; empty `matches` or `routes` mean every
 * request). A list a user writes out empty is therefore refused: leaving the field out is how
 * to ask for the default.
 */
import * as assert from "assert";
import { GatewayAttachment, MeshService, MeshServiceArgs, WorkloadIdentity, meshEndpoint } from "../../components";
import { validateMeshServiceArgs } from "../../components/meshService/validate";
import { construct, installMocks } from "../../stacks/offline";
import { errorOf } from "../harness/construct";

const productpage = meshEndpoint("productpage", { namespace: "shop", ports: [{ name: "http", port: 9080 }] });
const ratings = meshEndpoint("ratings", { namespace: "shop", ports: [{ name: "http", port: 9080 }] });
const prometheus = { name: "prometheus", namespace: "monitoring", serviceAccount: "prometheus", podLabels: { "app.kubernetes.io/name": "prometheus" } };
const gatewayIdentity = { name: "mesh-gateway", namespace: "istio-ingress", serviceAccount: "mesh-gateway-istio", podLabels: { "gateway.networking.k8s.io/gateway-name": "mesh-gateway" } };

function gatewayWith(identity: WorkloadIdentity = gatewayIdentity): GatewayAttachment {
    return {
        gatewayName: "mesh-gateway",
        namespace: "istio-ingress",
        mode: "gateway-api",
        hostnames: ["shop.example.com"],
        identity,
        routeNamespaceLabels: { "ztmesh.io/gateway-access": "mesh-gateway" },
        classicGatewayRef: "istio-ingress/mesh-gateway",
        parentRefFor: (hostname) => (hostname === "shop.example.com"
            ? { group: "gateway.networking.k8s.io", kind: "Gateway", name: "mesh-gateway", namespace: "istio-ingress", sectionName: "https-shop" }
            : undefined),
    };
}

/** A declaration that uses every field; each case below breaks one value of it. */
function validArgs(): MeshServiceArgs {
    return {
        namespace: "shop",
        ports: [{ name: "http", port: 9080 }, { name: "metrics", port: 9090, metrics: true }],
        versions: [
            { name: "v1", image: "example/reviews:1", weight: 90, replicas: 2, env: { LOG_LEVEL: "info" }, resources: { requests: { cpu: "100m" }, limits: { cpu: "500m", memory: "256Mi" } } },
            { name: "v2", image: "example/reviews:2", weight: 10 },
        ],
        callers: [{ from: productpage, ports: ["http"], methods: ["GET"], paths: ["/reviews/*"] }],
        dependencies: [{ to: ratings, ports: ["http"] }],
        monitoring: prometheus,
        public: { hostname: "shop.example.com", routes: [{ matches: [{ path: { type: "PathPrefix", value: "/reviews" } }] }] },
        gateway: gatewayWith(),
        trustDomain: "cluster.local",
        traffic: {
            loadBalancer: { consistentHashHeader: "x-user" },
            connectionPool: { maxConnections: 100, connectTimeout: "30ms", http2MaxRequests: 1000 },
            outlierDetection: { consecutive5xxErrors: 5, interval: "10s", baseEjectionTime: "30s", maxEjectionPercent: 50 },
            routes: [{
                matches: [{ path: { type: "PathPrefix", value: "/reviews" }, headers: [{ name: "x-canary", value: "true" }] }],
                timeout: "10s",
                retries: { attempts: 3, perTryTimeout: "2s", retryOn: "5xx,connect-failure,503" },
                rewrite: { uri: "/v1/reviews", authority: "reviews.shop.svc.cluster.local" },
            }],
        },
    };
}

interface HostileCase {
    /** What the value would have done. */
    what: string;
    name?: string;
    mutate: (args: MeshServiceArgs) => void;
    /** The start of the expected problem: its field path, and what is wrong. */
    expected: string;
}

const firstRoute = (args: MeshServiceArgs) => args.traffic!.routes![0];

const cases: HostileCase[] = [
    // Identities and selectors
    { what: "an existing workload without labels: both policies would select every pod of the namespace", mutate: (a) => { delete a.versions; a.existingWorkload = { podLabels: {} }; }, expected: "existingWorkload.podLabels: no label is given" },
    { what: "a __proto__ label (an own key after JSON.parse) that later copies would drop, leaving an empty selector", mutate: (a) => { delete a.versions; a.existingWorkload = { podLabels: JSON.parse('{"__proto__": "x"}') }; }, expected: 'existingWorkload.podLabels["__proto__"]: "__proto__" is not a label key' },
    { what: "a label key carrying Calico selector syntax", mutate: (a) => { delete a.versions; a.existingWorkload = { podLabels: { 'app == "x" || all() || a': "b" } }; }, expected: 'existingWorkload.podLabels["app == \\"x\\" || all() || a"]: "app == \\"x\\" || all() || a" is not a label key' },
    { what: "a label value the API server refuses", mutate: (a) => { delete a.versions; a.existingWorkload = { podLabels: { app: "x/y" } }; }, expected: 'existingWorkload.podLabels["app"]: "x/y" is not a label value' },
    { what: "a label key with an invalid prefix", mutate: (a) => { delete a.versions; a.existingWorkload = { podLabels: { "Example.com/app": "x" } }; }, expected: 'existingWorkload.podLabels["Example.com/app"]: "Example.com/app" is not a label key' },
    { what: "a monitoring ServiceAccount * (principal of any ServiceAccount) on metrics ports", mutate: (a) => { a.monitoring = { ...prometheus, serviceAccount: "*" }; }, expected: 'monitoring.serviceAccount: "*" is not a DNS-1123 label' },
    { what: "a monitoring identity without labels (every pod of its namespace)", mutate: (a) => { a.monitoring = { ...prometheus, podLabels: {} }; }, expected: "monitoring.podLabels: no label is given" },
    { what: "a monitoring namespace *", mutate: (a) => { a.monitoring = { ...prometheus, namespace: "*" }; }, expected: 'monitoring.namespace: "*" is not a DNS-1123 label' },
    { what: "a caller without labels (every pod of its namespace)", mutate: (a) => { a.callers![0].from = { ...productpage, podLabels: {} }; }, expected: "callers[0].from.podLabels: no label is given" },
    { what: "a dependency without labels (egress to every pod of its namespace)", mutate: (a) => { a.dependencies![0].to = { ...ratings, podLabels: {} }; }, expected: "dependencies[0].to.podLabels: no label is given" },
    { what: "a dependency in namespace *", mutate: (a) => { a.dependencies![0].to = { ...ratings, namespace: "*" }; }, expected: 'dependencies[0].to.namespace: "*" is not a DNS-1123 label' },
    { what: "a dependency port outside 1-65535", mutate: (a) => { a.dependencies![0].to = { ...ratings, ports: [{ name: "http", port: 70000 }] }; }, expected: "dependencies[0].to.ports[0].port: 70000 is not a port number" },
    { what: "a gateway identity without labels (egress policy for every pod of the gateway namespace)", mutate: (a) => { a.gateway = gatewayWith({ ...gatewayIdentity, podLabels: {} }); }, expected: "gateway.identity.podLabels: no label is given" },
    { what: "a gateway whose pods are in another namespace than its egress policy", mutate: (a) => { a.gateway = gatewayWith({ ...gatewayIdentity, namespace: "shop" }); }, expected: 'gateway.identity.namespace: the gateway\'s pods are in "shop", not in its namespace "istio-ingress"' },
    { what: "a trust domain * (principals of any trust domain)", mutate: (a) => { a.trustDomain = "*"; }, expected: 'trustDomain: "*" is not a trust domain' },
    { what: "a trust domain that smuggles a principal path", mutate: (a) => { a.trustDomain = "evil/ns/x/sa/*"; }, expected: 'trustDomain: "evil/ns/x/sa/*" is not a trust domain' },
    { what: "an empty trust domain", mutate: (a) => { a.trustDomain = ""; }, expected: 'trustDomain: "" is not a trust domain' },
    { what: "a revision that is no label value", mutate: (a) => { a.revision = "../x"; }, expected: 'revision: "../x" is not a DNS-1123 label' },

    // Lists whose emptiness means "any"
    { what: "a caller with ports: [] (NetworkPolicy ports: [] admits every port)", mutate: (a) => { a.callers![0].ports = []; }, expected: "callers[0].ports: the list is empty" },
    { what: "a caller with methods: [] (left out of the operation: any method)", mutate: (a) => { a.callers![0].methods = []; }, expected: "callers[0].methods: the list is empty" },
    { what: "a caller with paths: [] (left out of the operation: any path)", mutate: (a) => { a.callers![0].paths = []; }, expected: "callers[0].paths: the list is empty" },
    { what: "a dependency with ports: [] (egress to every port)", mutate: (a) => { a.dependencies![0].ports = []; }, expected: "dependencies[0].ports: the list is empty" },
    { what: "a caller of a service with only metrics ports (no port selected: every port)", mutate: (a) => { a.ports = [{ name: "metrics", port: 9090, metrics: true }]; delete a.public; delete a.gateway; a.callers = [{ from: productpage }]; }, expected: "callers[0].ports: the service has no port but metrics ports" },
    { what: "a dependency on a service with only metrics ports (no port selected: every port)", mutate: (a) => { a.dependencies = [{ to: { ...ratings, ports: [{ name: "metrics", port: 9090, metrics: true }] } }]; }, expected: 'dependencies[0].to.ports: service "ratings" has no serving port' },
    { what: "public routes: [] (the gateway admitted on every path)", mutate: (a) => { a.public!.routes = []; }, expected: "public.routes: the list is empty" },
    { what: "public matches: [] (every path)", mutate: (a) => { a.public!.routes![0].matches = []; }, expected: "public.routes[0].matches: the list is empty" },
    { what: "traffic routes: []", mutate: (a) => { a.traffic!.routes = []; }, expected: "traffic.routes: the list is empty" },
    { what: "headers: []", mutate: (a) => { firstRoute(a).matches![0].headers = []; }, expected: "traffic.routes[0].matches[0].headers: the list is empty" },

    // Headers and paths
    { what: "a header name that injects a header line", mutate: (a) => { firstRoute(a).matches![0].headers![0].name = "x\r\nInjected: 1"; }, expected: 'traffic.routes[0].matches[0].headers[0].name: "x\\r\\nInjected: 1" is not an HTTP header name' },
    { what: "a header value with a line break", mutate: (a) => { firstRoute(a).matches![0].headers![0].value = "a\r\nInjected: 1"; }, expected: "traffic.routes[0].matches[0].headers[0].value: \"a\\r\\nInjected: 1\" contains a control character" },
    { what: "an empty header value (a presence match in Istio)", mutate: (a) => { firstRoute(a).matches![0].headers![0].value = ""; }, expected: 'traffic.routes[0].matches[0].headers[0].value: "" is not a header value to match' },
    { what: "the same header twice (one condition silently dropped)", mutate: (a) => { firstRoute(a).matches![0].headers!.push({ name: "X-Canary", value: "false" }); }, expected: 'traffic.routes[0].matches[0].headers[1].name: "x-canary" is already used by traffic.routes[0].matches[0].headers[0]' },
    { what: "a regular expression that does not compile", mutate: (a) => { firstRoute(a).matches![0].path = { type: "RegularExpression", value: "(" }; }, expected: 'traffic.routes[0].matches[0].path.value: "(" is not a regular expression' },
    { what: "a path match type Istio cannot translate (uri: {} matches every path)", mutate: (a) => { firstRoute(a).matches![0].path = { type: "Prefix" as never, value: "/reviews" }; }, expected: 'traffic.routes[0].matches[0].path.type: "Prefix" is not a path match type' },
    { what: "a header match type that would silently become an exact match", mutate: (a) => { firstRoute(a).matches![0].headers![0].type = "Prefix" as never; }, expected: 'traffic.routes[0].matches[0].headers[0].type: "Prefix" is not a header match type' },
    { what: "a public path with * (an AuthorizationPolicy wildcard wider than the route)", mutate: (a) => { a.public!.routes![0].matches = [{ path: { type: "PathPrefix", value: "/api*" } }]; }, expected: 'public.routes[0].matches[0].path.value: "/api*" contains "*"' },
    { what: "a path with a dot segment", mutate: (a) => { firstRoute(a).matches![0].path = { type: "Exact", value: "/a/../admin" }; }, expected: 'traffic.routes[0].matches[0].path.value: "/a/../admin" contains "//", a "." or ".." segment' },
    { what: "a caller path with a line break", mutate: (a) => { a.callers![0].paths = ["/a\nb"]; }, expected: 'callers[0].paths[0]: "/a\\nb" contains a space or control character' },
    { what: "a consistent-hash header name with a line break", mutate: (a) => { a.traffic!.loadBalancer = { consistentHashHeader: "x\r\ny" }; }, expected: 'traffic.loadBalancer.consistentHashHeader: "x\\r\\ny" is not an HTTP header name' },

    // Rewrites
    { what: "a rewrite uri that is no path", mutate: (a) => { firstRoute(a).rewrite = { uri: "v1" }; }, expected: 'traffic.routes[0].rewrite.uri: "v1" does not start with "/"' },
    { what: "a rewrite authority with a header line", mutate: (a) => { firstRoute(a).rewrite = { authority: "evil.example\r\nX: y" }; }, expected: 'traffic.routes[0].rewrite.authority: "evil.example\\r\\nX: y" is not a hostname' },
    { what: "an empty rewrite, which istiod refuses", mutate: (a) => { firstRoute(a).rewrite = {}; }, expected: "traffic.routes[0].rewrite: the rewrite sets neither uri nor authority" },
    { what: "a public rewrite to an empty prefix (no rewrite in classic mode)", mutate: (a) => { a.public!.routes![0].rewrite = { pathPrefix: "" }; }, expected: 'public.routes[0].rewrite.pathPrefix: "" does not start with "/"' },
    { what: "a public rewrite to a wildcard hostname", mutate: (a) => { a.public!.routes![0].rewrite = { hostname: "*.example.com" }; }, expected: 'public.routes[0].rewrite.hostname: "*.example.com" is not a hostname' },

    // Durations, counts, percentages
    { what: "a timeout that is no duration", mutate: (a) => { firstRoute(a).timeout = "forever"; }, expected: 'traffic.routes[0].timeout: "forever" is not a duration' },
    { what: "a timeout below 1ms", mutate: (a) => { firstRoute(a).timeout = "500us"; }, expected: 'traffic.routes[0].timeout: "500us" is shorter than 1ms' },
    { what: "a perTryTimeout without unit", mutate: (a) => { firstRoute(a).retries!.perTryTimeout = "2"; }, expected: 'traffic.routes[0].retries.perTryTimeout: "2" is not a duration' },
    { what: "a retry condition Envoy does not know", mutate: (a) => { firstRoute(a).retries!.retryOn = "5xx,everything"; }, expected: 'traffic.routes[0].retries.retryOn: "everything" is not a retry condition' },
    { what: "retries disabled with retry settings, which istiod refuses", mutate: (a) => { firstRoute(a).retries!.attempts = 0; }, expected: "traffic.routes[0].retries: attempts is 0 (retries disabled) but perTryTimeout or retryOn is set" },
    { what: "a negative retry count", mutate: (a) => { firstRoute(a).retries!.attempts = -1; }, expected: "traffic.routes[0].retries.attempts: -1 is not a retry count" },
    { what: "a negative connection limit", mutate: (a) => { a.traffic!.connectionPool!.maxConnections = -1; }, expected: "traffic.connectionPool.maxConnections: -1 is not a connection pool size" },
    { what: "a fractional request limit", mutate: (a) => { a.traffic!.connectionPool!.http2MaxRequests = 1.5; }, expected: "traffic.connectionPool.http2MaxRequests: 1.5 is not a connection pool size" },
    { what: "a connect timeout that is no duration", mutate: (a) => { a.traffic!.connectionPool!.connectTimeout = "soon"; }, expected: 'traffic.connectionPool.connectTimeout: "soon" is not a duration' },
    { what: "an ejection percentage above 100", mutate: (a) => { a.traffic!.outlierDetection!.maxEjectionPercent = 150; }, expected: "traffic.outlierDetection.maxEjectionPercent: 150 is not a percentage" },
    { what: "a negative ejection percentage", mutate: (a) => { a.traffic!.outlierDetection!.maxEjectionPercent = -1; }, expected: "traffic.outlierDetection.maxEjectionPercent: -1 is not a percentage" },
    { what: "a negative error count", mutate: (a) => { a.traffic!.outlierDetection!.consecutive5xxErrors = -1; }, expected: "traffic.outlierDetection.consecutive5xxErrors: -1 is not an error count" },
    { what: "an ejection interval in whole microseconds", mutate: (a) => { a.traffic!.outlierDetection!.interval = "1500us"; }, expected: 'traffic.outlierDetection.interval: "1500us" is not a whole number of milliseconds' },
    { what: "a load balancer that does not exist", mutate: (a) => { a.traffic!.loadBalancer = "FASTEST" as never; }, expected: 'traffic.loadBalancer: "FASTEST" is not a load balancer' },

    // Workload
    { what: "an empty service name (a Pulumi URN error before)", name: "", mutate: () => undefined, expected: 'name: "" is not a DNS-1123 label' },
    { what: "a service name starting with a digit (no Service name)", name: "1reviews", mutate: () => undefined, expected: 'name: "1reviews" starts with a digit' },
    { what: "a version name with path segments", mutate: (a) => { a.versions![0].name = "../../x"; }, expected: 'versions[0].name: "../../x" is not a DNS-1123 label' },
    { what: "a version whose Service name is too long", name: "reviews-with-a-long-name-for-its-service-and-a-bit-more", mutate: (a) => { a.versions![0].name = "version-one"; }, expected: 'versions[0].name: the version\'s Service "reviews-with-a-long-name-for-its-service-and-a-bit-more-version-one" would be longer than 63 characters' },
    { what: "negative replicas", mutate: (a) => { a.versions![0].replicas = -3; }, expected: "versions[0].replicas: -3 is not a replica count" },
    { what: "fractional replicas", mutate: (a) => { a.versions![0].replicas = 1.5; }, expected: "versions[0].replicas: 1.5 is not a replica count" },
    { what: "a resource quantity that is no quantity", mutate: (a) => { a.versions![0].resources = { limits: { cpu: "lots" } }; }, expected: 'versions[0].resources.limits["cpu"]: "lots" is not a quantity' },
    { what: "a resource name the API server refuses", mutate: (a) => { a.versions![0].resources = { requests: { gpu: "1" } }; }, expected: 'versions[0].resources.requests["gpu"]: "gpu" is not a resource name' },
    { what: "a request above its limit", mutate: (a) => { a.versions![0].resources = { requests: { memory: "1Gi" }, limits: { memory: "512Mi" } }; }, expected: 'versions[0].resources.requests["memory"]: the request 1Gi is above the limit 512Mi' },
    { what: "an extended resource in fractions", mutate: (a) => { a.versions![0].resources = { limits: { "nvidia.com/gpu": "500m" } }; }, expected: 'versions[0].resources.limits["nvidia.com/gpu"]: "500m" is not a whole number' },
    { what: "an env name the API server refuses", mutate: (a) => { a.versions![0].env = { "1BAD": "x" }; }, expected: 'versions[0].env["1BAD"]: "1BAD" is not an environment variable name' },
    { what: "an env name with '='", mutate: (a) => { a.versions![0].env = { "A=B": "x" }; }, expected: 'versions[0].env["A=B"]: "A=B" is not an environment variable name' },
    { what: "an empty image", mutate: (a) => { a.versions![0].image = ""; }, expected: 'versions[0].image: "" is not an image reference' },
    { what: "an image with whitespace", mutate: (a) => { a.versions![0].image = "nginx latest"; }, expected: 'versions[0].image: "nginx latest" is not an image reference' },
    { what: "a port number 0", mutate: (a) => { a.ports[0].port = 0; }, expected: "ports[0].port: 0 is not a port number" },
    { what: "a public hostname that is no hostname", mutate: (a) => { a.public!.hostname = "Shop Example"; }, expected: 'public.hostname: "Shop Example" is not a valid hostname' },
];

const ambientCases: HostileCase[] = [
    { what: "a waypoint identity without labels", mutate: (a) => { a.waypoint = { name: "waypoint", namespace: "shop", identity: { name: "waypoint", namespace: "shop", serviceAccount: "waypoint", podLabels: {} } }; }, expected: "waypoint.identity.podLabels: no label is given" },
    { what: "a waypoint name that is no label value", mutate: (a) => { a.waypoint = { name: "way point", namespace: "shop", identity: { name: "waypoint", namespace: "shop", serviceAccount: "waypoint", podLabels: { "gateway.networking.k8s.io/gateway-name": "waypoint" } } }; }, expected: 'waypoint.name: "way point" is not a DNS-1123 label' },
    { what: "a route timeout an HTTPRoute refuses (Gateway API durations have no fractions)", mutate: (a) => { firstRoute(a).timeout = "1.5s"; }, expected: 'traffic.routes[0].timeout: "1.5s" is not a Gateway API duration' },
    { what: "a waypoint whose pods are in another namespace", mutate: (a) => { a.waypoint = { ...a.waypoint!, identity: { ...a.waypoint!.identity, namespace: "other" } }; }, expected: 'waypoint.identity.namespace: the waypoint\'s pods are in "other", not in its namespace "shop"' },
];

function ambientArgs(): MeshServiceArgs {
    const args = validArgs();
    const waypointLabels = { "gateway.networking.k8s.io/gateway-name": "waypoint" };
    firstRoute(args).rewrite = { uri: "/v1/reviews" };
    delete firstRoute(args).retries;
    return {
        ...args,
        dataplaneMode: "ambient",
        waypoint: { name: "waypoint", namespace: "shop", identity: { name: "waypoint", namespace: "shop", serviceAccount: "waypoint", podLabels: waypointLabels } },
    };
}

function hostile(base: () => MeshServiceArgs, testCase: HostileCase): { name: string; args: MeshServiceArgs } {
    const args = base();
    testCase.mutate(args);
    return { name: testCase.name ?? "reviews", args };
}

describe("hostile MeshService arguments", () => {
    before(installMocks);

    for (const [mode, base] of [["sidecar", validArgs], ["ambient", ambientArgs]] as const) {
        it(`the ${mode} declaration the cases start from is valid and generates its objects`, async () => {
            assert.deepStrictEqual(validateMeshServiceArgs("reviews", base()).list, []);
            const log = await construct(() => new MeshService("reviews", base()));
            assert.ok(log.ofKind("NetworkPolicy").length > 0 && log.ofKind("AuthorizationPolicy").length > 0);
        });
    }

    for (const [base, table] of [[validArgs, cases], [ambientArgs, ambientCases]] as const) {
        for (const testCase of table) {
            it(`refuses ${testCase.what}, naming the field, and registers no object`, async () => {
                const { name, args } = hostile(base, testCase);
                const problems = validateMeshServiceArgs(name, args).list;
                assert.ok(problems.some((problem) => problem.startsWith(testCase.expected)), `expected a problem starting with ${testCase.expected}, got:\n${problems.join("\n")}`);
                const log = await construct(() => undefined);
                const message = errorOf(() => new MeshService(name, hostile(base, testCase).args));
                assert.ok(message.includes(testCase.expected), message);
                await new Promise((resolve) => setTimeout(resolve, 50));
                assert.deepStrictEqual(log.resources.filter((r) => r.custom).map((r) => `${r.type} ${r.name}`), []);
            });
        }
    }

    it("refuses an empty name before registering anything, with the field instead of a URN error", () => {
        const message = errorOf(() => new MeshService("", validArgs()));
        assert.match(message, /^MeshService "shop\/" has invalid arguments:\n {2}- name: "" is not a DNS-1123 label/);
        assert.doesNotMatch(message, /URN/);
    });

    it("admits the gateway on the one path \"/\" for an exact match of \"/\", not on every path", async () => {
        const args = validArgs();
        args.public!.routes = [{ matches: [{ path: { type: "Exact", value: "/" } }] }];
        const log = await construct(() => new MeshService("reviews", args));
        const rules = log.object("AuthorizationPolicy", "reviews", "shop").spec.rules;
        const gatewayRule = rules.find((rule: any) => rule.from[0].source.principals[0] === "cluster.local/ns/istio-ingress/sa/mesh-gateway-istio");
        assert.deepStrictEqual(gatewayRule.to, [{ operation: { ports: ["9080"], paths: ["/"] } }]);
    });

    it("names the gateway's egress policy in full: a truncated name could end in '-' or be shared by two services", async () => {
        const namespace = "a-namespace-with-a-rather-long-name-for-its-app";
        // Cut at 63 characters, the first two would both be "to-<namespace>-reviews-stor" and the third end in '-'.
        const names = ["reviews-storefront-a", "reviews-storefront-b", "reviewsabcd-x"];
        const log = await construct(() => names.map((name) => new MeshService(name, { ...validArgs(), namespace, versions: [{ name: "v1", image: "r:1" }], traffic: undefined })));
        const policyNames = log.ofKind("NetworkPolicy").map((policy) => policy.inputs.metadata.name).filter((name: string) => name.startsWith("to-"));
        assert.deepStrictEqual(policyNames, names.map((name) => `to-${namespace}-${name}`));
    });

    it("accepts the Go durations Istio's own examples use, and HTTP status codes as retry conditions", () => {
        const args = validArgs();
        args.traffic!.outlierDetection = { interval: "1m30s", baseEjectionTime: "15m" };
        firstRoute(args).timeout = "1.5s";
        firstRoute(args).retries = { attempts: 2, perTryTimeout: "500ms", retryOn: "gateway-error,429" };
        assert.deepStrictEqual(validateMeshServiceArgs("reviews", args).list, []);
    });
});
