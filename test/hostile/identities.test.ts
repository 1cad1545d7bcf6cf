/**
 * Hostile identities and trust domains: every WorkloadIdentity ztmesh writes into a policy is
 * checked by one function (`checkWorkloadIdentity`), and the trust domain as Istio checks
 * `meshConfig.trustDomain`, in every component that takes them.
 */
import * as assert from "assert";
import { Istio, ZeroTrustBaseline, ZeroTrustBaselineArgs, validateWorkloadIdentity } from "../../components";
import { validateBaselineArgs } from "../../components/baseline/zeroTrustBaseline";
import { validateIstioArgs } from "../../components/istio/istio";
import { construct, installMocks } from "../../stacks/offline";
import { errorOf } from "../harness/construct";

const prometheus = { name: "prometheus", namespace: "monitoring", serviceAccount: "prometheus", podLabels: { "app.kubernetes.io/name": "prometheus" } };
const gateway = { name: "mesh-gateway", namespace: "istio-ingress", serviceAccount: "mesh-gateway-istio", podLabels: { "gateway.networking.k8s.io/gateway-name": "mesh-gateway" } };

function baselineArgs(overrides: Partial<ZeroTrustBaselineArgs> = {}): ZeroTrustBaselineArgs {
    return {
        calico: { policyApi: "projectcalico.org/v3", ready: [] },
        istio: { injectionLabels: { "istio-injection": "enabled" }, ready: [] },
        namespaces: [{ name: "bookinfo", labels: { "ztmesh.io/gateway-access": "mesh-gateway" } }],
        gateway,
        monitoring: prometheus,
        metricsPorts: [9090],
        ...overrides,
    };
}

describe("hostile identities", () => {
    before(installMocks);

    describe("validateWorkloadIdentity, shared by every component", () => {
        const cases: [string, Record<string, unknown>, string][] = [
            ["a ServiceAccount * (a principal of any ServiceAccount)", { serviceAccount: "*" }, 'serviceAccount: "*" is not a DNS-1123 label'],
            ["a namespace * (a principal of any namespace)", { namespace: "*" }, 'namespace: "*" is not a DNS-1123 label'],
            ["an empty namespace", { namespace: "" }, 'namespace: "" is not a DNS-1123 label'],
            ["a missing ServiceAccount", { serviceAccount: undefined }, "serviceAccount: nothing is not a DNS-1123 label"],
            ["no pod label (every pod of the namespace)", { podLabels: {} }, "podLabels: no label is given, so the selector would select every pod of the namespace"],
            ["only a __proto__ label", { podLabels: JSON.parse('{"__proto__": "x"}') }, 'podLabels["__proto__"]: "__proto__" is not a label key'],
            ["a label value with a space", { podLabels: { app: "prome theus" } }, 'podLabels["app"]: "prome theus" is not a label value'],
            ["a label value of 64 characters", { podLabels: { app: "a".repeat(64) } }, 'podLabels["app"]: "' + "a".repeat(64) + '" is not a label value'],
            ["a label name of 64 characters", { podLabels: { ["a".repeat(64)]: "x" } }, `podLabels["${"a".repeat(64)}"]: "${"a".repeat(64)}" is not a label key`],
            ["labels that are no map", { podLabels: ["app"] }, 'podLabels: ["app"] is not a map of labels'],
        ];
        for (const [what, change, expected] of cases) {
            it(`refuses ${what}`, () => {
                const problems = validateWorkloadIdentity({ ...prometheus, ...change } as typeof prometheus).list;
                assert.ok(problems.some((problem) => problem.startsWith(expected)), problems.join("\n"));
            });
        }

        it("accepts a well-formed identity, empty label values and prefixed keys included", () => {
            assert.deepStrictEqual(validateWorkloadIdentity({ ...prometheus, podLabels: { "app.kubernetes.io/name": "prometheus", tier: "" } }).list, []);
        });
    });

    describe("ZeroTrustBaseline", () => {
        const cases: [string, Partial<ZeroTrustBaselineArgs>, string][] = [
            ["a monitoring ServiceAccount *", { monitoring: { ...prometheus, serviceAccount: "*" } }, 'monitoring.serviceAccount: "*" is not a DNS-1123 label'],
            ["a monitoring identity without labels (Calico all(): every pod of the namespace may scrape)", { monitoring: { ...prometheus, podLabels: {} } }, "monitoring.podLabels: no label is given"],
            ["a gateway identity without labels (health port open to every pod of the namespace)", { gateway: { ...gateway, podLabels: {} } }, "gateway.podLabels: no label is given"],
            ["a label key that rewrites the Calico selector", { monitoring: { ...prometheus, podLabels: { 'app == "x" || all() || b': "y" } } }, 'monitoring.podLabels["app == \\"x\\" || all() || b"]'],
            ["a namespace label the API server refuses", { namespaces: [{ name: "bookinfo", labels: { team: "a b" } }] }, 'namespaces[0].labels["team"]: "a b" is not a label value'],
            ["a namespace label the mesh would overwrite silently", { namespaces: [{ name: "bookinfo", labels: { "istio-injection": "disabled" } }] }, 'namespaces[0].labels["istio-injection"]: the mesh sets this label to "enabled", which would replace "disabled"'],
            ["a metrics port outside 1-65535", { metricsPorts: [0] }, "metricsPorts[0]: 0 is not a port number"],
            ["a control-plane namespace that is no name", { controlPlaneNamespaces: ["kube-system", '"} || all()'] }, 'controlPlaneNamespaces[1]: "\\"} || all()" is not a DNS-1123 label'],
        ];
        for (const [what, overrides, expected] of cases) {
            it(`refuses ${what}, and creates no policy`, async () => {
                const problems = validateBaselineArgs(baselineArgs(overrides)).list;
                assert.ok(problems.some((problem) => problem.startsWith(expected)), problems.join("\n"));
                const log = await construct(() => undefined);
                const message = errorOf(() => new ZeroTrustBaseline("baseline", baselineArgs(overrides)));
                assert.ok(message.includes(expected), message);
                await new Promise((resolve) => setTimeout(resolve, 50));
                assert.deepStrictEqual(log.resources.filter((r) => r.custom).map((r) => r.type), []);
            });
        }

        it("still admits the declared monitoring identity by its labels", async () => {
            const log = await construct(() => new ZeroTrustBaseline("baseline", baselineArgs()));
            const scrape = log.object("GlobalNetworkPolicy", "ztmesh-allow-metrics-scrape").spec;
            assert.strictEqual(scrape.ingress[0].source.selector, 'app.kubernetes.io/name == "prometheus"');
        });
    });

    describe("trust domain, as Istio validates meshConfig.trustDomain", () => {
        for (const trustDomain of ["*", "evil/ns/x/sa/*", "", "Cluster.Local", "a..b", ".local", "-x.local", `${"a".repeat(64)}.local`]) {
            it(`refuses ${JSON.stringify(trustDomain)} in the Istio component, which then installs nothing`, async () => {
                assert.ok(validateIstioArgs({ trustDomain }).list.some((p) => p.startsWith(`trustDomain: ${JSON.stringify(trustDomain)} is not a trust domain`)));
                const log = await construct(() => undefined);
                const message = errorOf(() => new Istio("istio", { trustDomain }));
                assert.match(message, /trustDomain: .* is not a trust domain; use a DNS name/);
                await new Promise((resolve) => setTimeout(resolve, 50));
                assert.deepStrictEqual(log.resources.filter((r) => r.custom).map((r) => r.type), []);
            });
        }

        for (const trustDomain of ["cluster.local", "prod.example.com", "td", "cluster.local."]) {
            it(`accepts ${JSON.stringify(trustDomain)}`, () => {
                assert.deepStrictEqual(validateIstioArgs({ trustDomain }).list, []);
            });
        }
    });
});
