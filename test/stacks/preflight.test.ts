import * as assert from "assert";
import * as http from "http";
import { AddressInfo } from "net";
import { sourcePlan } from "../../stacks/charts";
import { ConfigError, parseEnvironment } from "../../stacks/config";
import { checkDownloads, downloadsToLeaveOut, leftOutMessage } from "../../stacks/preflight";
import { editedConfig, stackConfig } from "../harness/stackConfig";

/** A chart repository on loopback that has an index (200) or not (404). */
async function repository(status: number): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
    const requests: string[] = [];
    const server = http.createServer((req, res) => {
        requests.push(`${req.method} ${req.url}`);
        res.writeHead(status).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}/charts`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function devWithRepository(url: string) {
    const config = editedConfig("dev", "ztmesh:gateway", (gateway) => ({ ...gateway, crdsSource: "/opt/crds/gateway-api.yaml" }));
    config["ztmesh:charts"] = JSON.stringify({ istioRepository: url });
    return parseEnvironment(config);
}

describe("download preflight (before any resource is registered)", () => {
    it("lists exactly what pulumi up would download", () => {
        const plan = sourcePlan(parseEnvironment(stackConfig("prod")));
        assert.deepStrictEqual(plan.downloads, [
            { what: "chart \"base\"", url: "https://istio-release.storage.googleapis.com/charts", leaveOutKey: "base" },
            { what: "chart \"istiod\"", url: "https://istio-release.storage.googleapis.com/charts", leaveOutKey: "istiod" },
            { what: "chart \"crd.projectcalico.org.v1\"", url: "https://docs.tigera.io/calico/charts", leaveOutKey: "crd.projectcalico.org.v1" },
            { what: "chart \"tigera-operator\"", url: "https://docs.tigera.io/calico/charts", leaveOutKey: "tigera-operator" },
            { what: "the Gateway API CRDs", url: "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.1/standard-install.yaml", leaveOutKey: "gateway-api-crds" },
        ]);
        const local = sourcePlan(parseEnvironment({ ...stackConfig("prod"), "ztmesh:charts": JSON.stringify({ localDirectory: "/opt/charts" }) }));
        assert.deepStrictEqual(local.downloads.map((d) => d.what), ["the Gateway API CRDs"]);
    });

    it("a render leaves out what cannot be fetched: no download, no chart installed, no CRD manifest", () => {
        const plan = sourcePlan(parseEnvironment(stackConfig("prod")), new Set(["base", "tigera-operator", "gateway-api-crds"]));
        assert.deepStrictEqual(plan.downloads.map((d) => d.what), ["chart \"istiod\"", "chart \"crd.projectcalico.org.v1\""]);
        assert.strictEqual(plan.istio.base.install, false);
        assert.strictEqual(plan.calico.operator.install, false);
        assert.strictEqual(plan.istio.istiod.install, undefined);
        assert.strictEqual(plan.gatewayApiCrds, undefined);
    });

    it("passes when the repository answers, probing its index", async () => {
        const repo = await repository(200);
        try {
            await checkDownloads(sourcePlan(devWithRepository(repo.url)));
            assert.deepStrictEqual(repo.requests, ["HEAD /charts/index.yaml", "HEAD /charts/index.yaml"]);
        } finally {
            await repo.close();
        }
    });

    it("stops with one line naming the chart, the repository and the air-gapped options", async () => {
        const repo = await repository(404);
        try {
            await assert.rejects(checkDownloads(sourcePlan(devWithRepository(repo.url))), (error: unknown) => {
                assert.ok(error instanceof ConfigError);
                assert.strictEqual(error.message,
                    `chart "base" cannot be fetched from ${repo.url} (HTTP 404); for air-gapped clusters set ztmesh:charts.localDirectory (one folder per chart) ` +
                    "or a mirror (ztmesh:charts.istioRepository / calicoRepository), and ztmesh:gateway.crdsSource to a local file");
                return true;
            });
        } finally {
            await repo.close();
        }
    });

    it("names the network error when nothing listens", async () => {
        const repo = await repository(200);
        await repo.close();
        await assert.rejects(checkDownloads(sourcePlan(devWithRepository(repo.url)), 2000), /chart "base" cannot be fetched from http:\/\/127\.0\.0\.1:\d+\/charts \(ECONNREFUSED\)/);
    });

    it("a render names, in one line, the charts and CRDs it leaves out and how to render them", async () => {
        const repo = await repository(404);
        try {
            const config = editedConfig("dev", "ztmesh:gateway", (gateway) => ({ ...gateway, crdsSource: `${repo.url}/standard-install.yaml` }));
            config["ztmesh:charts"] = JSON.stringify({ istioRepository: repo.url });
            const leftOut = await downloadsToLeaveOut(sourcePlan(parseEnvironment(config)));
            assert.deepStrictEqual(leftOut.map((d) => d.leaveOutKey), ["base", "istiod", "gateway-api-crds"]);
            const message = leftOutMessage(leftOut);
            assert.doesNotMatch(message, /\n/);
            assert.strictEqual(message,
                `not rendered: chart "base", chart "istiod", the Gateway API CRDs (cannot be fetched: ${repo.url}: HTTP 404; ${repo.url}/standard-install.yaml: HTTP 404). ` +
                "The cluster still needs them; to render them too, set ztmesh:charts.localDirectory (one folder per chart) or a mirror " +
                "(ztmesh:charts.istioRepository / calicoRepository), and ztmesh:gateway.crdsSource to a local file, and run again.");
        } finally {
            await repo.close();
        }
    });

    it("a render still stops on an extra manifest it cannot fetch: those are the user's own objects", async () => {
        const repo = await repository(404);
        try {
            const config = editedConfig("dev", "ztmesh:gateway", (gateway) => ({ ...gateway, crdsSource: "/opt/crds/gateway-api.yaml" }));
            config["ztmesh:charts"] = JSON.stringify({ localDirectory: "/opt/charts" });
            config["ztmesh:manifests"] = JSON.stringify([`${repo.url}/extra.yaml`]);
            await assert.rejects(downloadsToLeaveOut(sourcePlan(parseEnvironment(config))), new RegExp(`^Error: manifest ${repo.url}/extra.yaml cannot be fetched from ${repo.url}/extra.yaml \\(HTTP 404\\)`));
        } finally {
            await repo.close();
        }
    });
});
