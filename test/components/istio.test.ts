import * as assert from "assert";
import { Istio } from "../../components";
import { retainCrds } from "../../components/charts";
import { construct } from "../../stacks/offline";
import { errorOf } from "../harness/construct";
import { installMocks } from "../../stacks/offline";

describe("Istio", () => {
    before(installMocks);

    it("installs base → istiod → cni strictly in order, every chart pinned to the Istio version", async () => {
        const log = await construct(() => new Istio("istio", { cni: true }));
        const [base, istiod, cni] = ["istio-base", "istio-istiod", "istio-cni"].map((name) => log.named("Chart", name));
        assert.ok(log.dependsOn(istiod, base));
        assert.ok(log.dependsOn(cni, istiod));
        for (const chart of [base, istiod, cni]) {
            assert.strictEqual(chart.inputs.version, "1.30.3", `${chart.name} is pinned`);
            assert.strictEqual(chart.inputs.repositoryOpts.repo, "https://istio-release.storage.googleapis.com/charts");
            assert.strictEqual(chart.inputs.namespace, "istio-system");
        }
        assert.deepStrictEqual([base.inputs.chart, istiod.inputs.chart, cni.inputs.chart], ["base", "istiod", "cni"]);
        assert.deepStrictEqual(istiod.inputs.values.pilot, { cni: { enabled: true } });
        assert.deepStrictEqual(base.transforms, [retainCrds], "the CRDs of base are retained");
    });

    it("creates no chart for a source that says install: false, and nothing waits for it", async () => {
        let istio: Istio | undefined;
        const log = await construct(() => {
            istio = new Istio("istio", { cni: true, charts: { base: { install: false }, istiod: { install: false } } });
        });
        assert.deepStrictEqual(log.ofKind("Chart").map((chart) => chart.name), ["istio-cni"]);
        assert.deepStrictEqual(istio!.ready, [istio!.cni]);
        assert.strictEqual(istio!.istiod, undefined);
        assert.ok(log.named("PeerAuthentication", "istio-mesh-mtls"), "mesh-wide mTLS is still declared");
    });

    it("configures istiod for zero trust: REGISTRY_ONLY egress, access logs, Prometheus merge, platform", async () => {
        const log = await construct(() => new Istio("istio", { platform: "minikube" }));
        const values = log.named("Chart", "istio-istiod").inputs.values;
        assert.deepStrictEqual(values.meshConfig, {
            trustDomain: "cluster.local",
            outboundTrafficPolicy: { mode: "REGISTRY_ONLY" },
            accessLogFile: "/dev/stdout",
            enablePrometheusMerge: true,
        });
        assert.deepStrictEqual(values.global, { platform: "minikube", networkPolicy: { enabled: true } });
        assert.strictEqual(log.ofKind("Chart").length, 2, "no cni and no gateway chart unless asked");
    });

    it("keeps its security settings over user-supplied istiod values", async () => {
        const log = await construct(() => new Istio("istio", {
            istiodValues: { meshConfig: { outboundTrafficPolicy: { mode: "ALLOW_ANY" }, defaultConfig: { holdApplicationUntilProxyStarts: true } }, pdb: { minAvailable: 1 } },
        }));
        const values = log.named("Chart", "istio-istiod").inputs.values;
        assert.deepStrictEqual(values.meshConfig.outboundTrafficPolicy, { mode: "REGISTRY_ONLY" });
        assert.deepStrictEqual(values.meshConfig.defaultConfig, { holdApplicationUntilProxyStarts: true });
        assert.deepStrictEqual(values.pdb, { minAvailable: 1 });
    });

    it("sets mesh-wide STRICT mTLS in the root namespace once istiod is installed", async () => {
        const log = await construct(() => new Istio("istio", {}));
        const peerAuthentication = log.named("PeerAuthentication", "istio-mesh-mtls");
        assert.deepStrictEqual(peerAuthentication.inputs.metadata, { name: "default", namespace: "istio-system" });
        assert.deepStrictEqual(peerAuthentication.inputs.spec, { mtls: { mode: "STRICT" } });
        assert.ok(log.dependsOn(peerAuthentication, log.named("Chart", "istio-istiod")));
    });

    it("runs istiod in HA with a revision, and injects by istio.io/rev", async () => {
        let istio: Istio | undefined;
        const log = await construct(() => {
            istio = new Istio("istio", { istiodReplicas: 3, revision: "1-30-3" });
        });
        const values = log.named("Chart", "istio-istiod").inputs.values;
        assert.deepStrictEqual([values.replicaCount, values.autoscaleMin, values.revision], [3, 3, "1-30-3"]);
        assert.deepStrictEqual(istio!.injectionLabels, { "istio.io/rev": "1-30-3" });
        assert.strictEqual(log.named("Chart", "istio-base").inputs.values.defaultRevision, "1-30-3");
    });

    it("in classic ingress mode installs the gateway chart in istio-ingress after istiod", async () => {
        const log = await construct(() => new Istio("istio", { ingressMode: "classic" }));
        const gateway = log.named("Chart", "istio-gateway");
        assert.deepStrictEqual([gateway.inputs.chart, gateway.inputs.version, gateway.inputs.name, gateway.inputs.namespace], ["gateway", "1.30.3", "istio-ingressgateway", "istio-ingress"]);
        assert.ok(log.dependsOn(gateway, log.named("Chart", "istio-istiod")));
        assert.deepStrictEqual(log.object("Namespace", "istio-ingress").metadata.labels, { "istio-injection": "enabled" });
    });

    it("rejects an invalid revision and replica count", () => {
        const message = errorOf(() => new Istio("istio-bad", { revision: "1.30", istiodReplicas: 0 }));
        assert.match(message, /revision: "1\.30" is not a DNS-1123 label/);
        assert.match(message, /istiodReplicas: 0 is not a replica count; use a whole number of at least 1/);
    });

    it("in ambient mode keeps the user's other pilot values, and refuses layered waypoint authorization", async () => {
        const pilot = { env: { PILOT_ENABLE_ALPHA_GATEWAY_API: "true" }, resources: { requests: { cpu: "500m" } } };
        const log = await construct(() => new Istio("istio", { dataplaneMode: "ambient", istiodValues: { pilot } }));
        assert.deepStrictEqual(log.named("Chart", "istio-istiod").inputs.values.pilot, { ...pilot, cni: { enabled: true } });
        for (const on of ["true", "True", "1", true]) {
            const message = errorOf(() => new Istio(`istio-layered-${String(on)}`, { dataplaneMode: "ambient", istiodValues: { pilot: { env: { ENABLE_LAYERED_WAYPOINT_AUTHORIZATION_POLICIES: on } } } }));
            assert.match(message, /istiodValues\.pilot\.env\.ENABLE_LAYERED_WAYPOINT_AUTHORIZATION_POLICIES: istiod would also enforce each namespace's selector-less policies at its waypoints' HBONE entry/);
        }
        for (const off of ["false", false, "0"]) {
            await construct(() => new Istio(`istio-not-layered-${String(off)}`, { dataplaneMode: "ambient", istiodValues: { pilot: { env: { ENABLE_LAYERED_WAYPOINT_AUTHORIZATION_POLICIES: off } } } }));
        }
    });

    it("in audit mode makes mTLS PERMISSIVE, and refuses what would make ztunnel enforce a dry-run policy", async () => {
        const log = await construct(() => new Istio("istio", { enforcement: "audit" }));
        assert.deepStrictEqual(log.object("PeerAuthentication", "default", "istio-system").spec, { mtls: { mode: "PERMISSIVE" } });
        assert.match(errorOf(() => new Istio("istio-old-ambient", { dataplaneMode: "ambient", enforcement: "audit", version: "1.25.2" })),
            /enforcement: audit mode needs Istio 1\.26 or later in ambient mode: istiod 1\.25\.2 hands dry-run AuthorizationPolicies to ztunnel, which enforces them/);
        const flag = { pilot: { env: { AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY: "true" } } };
        assert.match(errorOf(() => new Istio("istio-old-ztunnel", { dataplaneMode: "ambient", istiodValues: flag, charts: { ztunnel: { version: "1.28.1" } } })),
            /istiodValues\.pilot\.env\.AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY: istiod would send dry-run AuthorizationPolicies to ztunnel 1\.28\.1, which enforces them/);
        await construct(() => new Istio("istio-new-ztunnel", { dataplaneMode: "ambient", istiodValues: flag }));
    });
});
