import * as assert from "assert";
import { Calico } from "../../components";
import { retainCrds } from "../../components/charts";
import { construct } from "../../stacks/offline";
import { errorOf } from "../harness/construct";
import { installMocks } from "../../stacks/offline";

describe("Calico", () => {
    before(installMocks);

    it("installs the CRD chart, then the operator chart, then Installation and APIServer, in that order", async () => {
        const log = await construct(() => new Calico("calico", {}));
        const crds = log.named("Chart", "calico-crds");
        const operator = log.named("Chart", "calico-tigera-operator");
        const installation = log.named("Installation", "calico-installation");
        const apiServer = log.named("APIServer", "calico-apiserver");
        assert.ok(log.dependsOn(operator, crds), "operator chart waits for the CRD chart");
        assert.ok(log.dependsOn(installation, operator), "Installation waits for the operator");
        assert.ok(log.dependsOn(apiServer, installation), "APIServer waits for the Installation");
        assert.deepStrictEqual(
            [crds.inputs.chart, crds.inputs.version, crds.inputs.repositoryOpts.repo],
            ["crd.projectcalico.org.v1", "v3.32.1", "https://docs.tigera.io/calico/charts"],
        );
        assert.deepStrictEqual([operator.inputs.chart, operator.inputs.version, operator.inputs.namespace], ["tigera-operator", "v3.32.1", "tigera-operator"]);
        // The chart must not create a second Installation/APIServer beside ours.
        assert.deepStrictEqual(operator.inputs.values, { installation: { enabled: false }, apiServer: { enabled: false } });
    });

    it("with its charts installed separately, still declares the Installation and APIServer", async () => {
        const log = await construct(() => new Calico("calico", { charts: { crds: { install: false }, operator: { install: false } } }));
        assert.deepStrictEqual(log.ofKind("Chart"), []);
        assert.ok(log.named("Installation", "calico-installation"));
        assert.ok(log.dependsOn(log.named("APIServer", "calico-apiserver"), log.named("Installation", "calico-installation")));
    });

    it("describes the pod network in the Installation and serves projectcalico.org/v3", async () => {
        let calico: Calico | undefined;
        const log = await construct(() => {
            calico = new Calico("calico", { ipPools: [{ cidr: "10.244.0.0/16", encapsulation: "IPIP" }], kubernetesProvider: "EKS" });
        });
        const installation = log.object("Installation", "default");
        assert.strictEqual(installation.apiVersion, "operator.tigera.io/v1");
        assert.deepStrictEqual(installation.spec, {
            kubernetesProvider: "EKS",
            calicoNetwork: {
                ipPools: [{ name: "default-ipv4-ippool-10-244-0-0-16", cidr: "10.244.0.0/16", encapsulation: "IPIP", natOutgoing: "Enabled", blockSize: 26, nodeSelector: "all()" }],
            },
        });
        assert.strictEqual(log.object("APIServer", "default").apiVersion, "operator.tigera.io/v1");
        assert.strictEqual(calico!.policyApi, "projectcalico.org/v3");
        assert.strictEqual(calico!.ready.length, 4);
    });

    it("with install: false installs nothing and writes policy to crd.projectcalico.org/v1", async () => {
        let calico: Calico | undefined;
        const log = await construct(() => {
            calico = new Calico("calico", { install: false });
        });
        assert.deepStrictEqual(log.resources.filter((r) => r.custom).map((r) => r.type), []);
        assert.strictEqual(calico!.policyApi, "crd.projectcalico.org/v1");
        assert.deepStrictEqual(calico!.ready, []);
    });

    it("takes charts from a mirror or a local folder", async () => {
        const log = await construct(() => new Calico("calico", {
            charts: { crds: { path: "/charts/crd.projectcalico.org.v1" }, operator: { repository: "oci://mirror.example/calico" } },
        }));
        assert.deepStrictEqual(log.named("Chart", "calico-crds").inputs.chart, "/charts/crd.projectcalico.org.v1");
        assert.strictEqual(log.named("Chart", "calico-crds").inputs.repositoryOpts, undefined);
        assert.deepStrictEqual(log.named("Chart", "calico-tigera-operator").inputs.repositoryOpts, { repo: "oci://mirror.example/calico" });
        assert.strictEqual(log.named("Chart", "calico-tigera-operator").inputs.version, "v3.32.1");
    });

    it("retains the CRDs its charts install when the charts are deleted", async () => {
        const log = await construct(() => new Calico("calico", {}));
        for (const chart of [log.named("Chart", "calico-crds"), log.named("Chart", "calico-tigera-operator")]) {
            assert.deepStrictEqual(chart.transforms, [retainCrds]);
        }
        const crd = await retainCrds({ type: "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition", name: "x", custom: true, props: {}, opts: {} });
        assert.strictEqual(crd?.opts.retainOnDelete, true);
        const deployment = await retainCrds({ type: "kubernetes:apps/v1:Deployment", name: "x", custom: true, props: {}, opts: {} });
        assert.strictEqual(deployment, undefined);
    });

    it("rejects an IP pool that is not a CIDR", () => {
        const message = errorOf(() => new Calico("calico-bad", { ipPools: [{ cidr: "10.244.0.0" }] }));
        assert.match(message, /Calico "calico-bad" has invalid arguments:\n {2}- ipPools\[0\]\.cidr: "10\.244\.0\.0" is not a CIDR; write the pod range with its mask/);
    });
});
