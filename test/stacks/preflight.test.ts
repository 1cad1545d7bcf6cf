import * as assert from "assert";
import * as http from "http";
import { AddressInfo } from "net";
import { sourcePlan } from "../../stacks/charts";
import { ConfigError, parseEnvironment } from "../../stacks/config";
import { checkDownloads } from "../../stacks/preflight";
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
            { what: "chart \"base\"", url: "https://istio-release.storage.googleapis.com/charts" },
            { what: "chart \"istiod\"", url: "https://istio-release.storage.googleapis.com/charts" },
            { what: "chart \"crd.projectcalico.org.v1\"", url: "https://docs.tigera.io/calico/charts" },
            { what: "chart \"tigera-operator\"", url: "https://docs.tigera.io/calico/charts" },
            { what: "the Gateway API CRDs", url: "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.1/standard-install.yaml" },
        ]);
        const local = sourcePlan(parseEnvironment({ ...stackConfig("prod"), "ztmesh:charts": JSON.stringify({ localDirectory: "/opt/charts" }) }));
        assert.deepStrictEqual(local.downloads.map((d) => d.what), ["the Gateway API CRDs"]);
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
});
