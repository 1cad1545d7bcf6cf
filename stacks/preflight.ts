import { ConfigError } from "./config";
import { SourcePlan } from "./charts";

/** How to run without the upstream repositories, for the message. */
const airGappedHint = "for air-gapped clusters set ztmesh:charts.localDirectory (one folder per chart) or a mirror " +
    "(ztmesh:charts.istioRepository / calicoRepository), and ztmesh:gateway.crdsSource to a local file";

/** Why `url` cannot be fetched, or undefined when it answers. Chart repositories are probed at their index. */
async function unreachable(url: string, isChartRepository: boolean, timeoutMs: number): Promise<string | undefined> {
    if (url.startsWith("oci://")) {
        return undefined; // registries need a token dance to probe; helm reports their errors itself
    }
    const target = isChartRepository ? `${url.replace(/\/+$/, "")}/index.yaml` : url;
    try {
        const response = await fetch(target, { method: "HEAD", redirect: "follow", signal: AbortSignal.timeout(timeoutMs) });
        return response.status < 400 || response.status === 405 ? undefined : `HTTP ${response.status}`;
    } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        return cause?.code ?? cause?.message ?? (error as Error).message;
    }
}

/**
 * Stops the program before any resource is registered when a chart or manifest it needs cannot
 * be downloaded, with one line that names it, where from, and the air-gapped options — instead
 * of a provider error in the middle of a preview.
 */
export async function checkDownloads(plan: SourcePlan, timeoutMs = 10_000): Promise<void> {
    const results = await Promise.all(plan.downloads.map(async (download) => ({ ...download, problem: await unreachable(download.url, download.what.startsWith("chart"), timeoutMs) })));
    const failed = results.find((result) => result.problem !== undefined);
    if (failed) {
        throw new ConfigError(`${failed.what} cannot be fetched from ${failed.url} (${failed.problem}); ${airGappedHint}`);
    }
}
