import { ConfigError } from "./config";
import { Download, SourcePlan } from "./charts";

/** How to run without the upstream repositories, for the messages. */
const localSources = "set ztmesh:charts.localDirectory (one folder per chart) or a mirror " +
    "(ztmesh:charts.istioRepository / calicoRepository), and ztmesh:gateway.crdsSource to a local file";
const airGappedHint = `for air-gapped clusters ${localSources}`;

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

/** A download that cannot be fetched, and why. */
export interface Unreachable extends Download {
    problem: string;
}

/** The downloads of `plan` that cannot be fetched, probed in parallel. */
export async function unreachableDownloads(plan: SourcePlan, timeoutMs = 10_000): Promise<Unreachable[]> {
    const results = await Promise.all(plan.downloads.map(async (download) => ({ ...download, problem: await unreachable(download.url, download.what.startsWith("chart"), timeoutMs) })));
    return results.filter((result): result is Unreachable => result.problem !== undefined);
}

function downloadError(failed: Unreachable): ConfigError {
    return new ConfigError(`${failed.what} cannot be fetched from ${failed.url} (${failed.problem}); ${airGappedHint}`);
}

/**
 * Stops the program before any resource is registered when a chart or manifest it needs cannot
 * be downloaded, with one line that names it, where from, and the air-gapped options — instead
 * of a provider error in the middle of a preview.
 */
export async function checkDownloads(plan: SourcePlan, timeoutMs = 10_000): Promise<void> {
    const [failed] = await unreachableDownloads(plan, timeoutMs);
    if (failed) {
        throw downloadError(failed);
    }
}

/**
 * For a render (no cluster): the charts and CRD manifests that cannot be fetched are left out
 * rather than failing the whole render, since everything ztmesh itself makes can still be
 * rendered and reviewed. Returns them; the stack's own extra manifests are never left out
 * (that would drop objects the user wrote), so an unreachable one still stops the program.
 */
export async function downloadsToLeaveOut(plan: SourcePlan, timeoutMs = 10_000): Promise<Unreachable[]> {
    const failed = await unreachableDownloads(plan, timeoutMs);
    const mustHave = failed.find((download) => download.leaveOutKey === undefined);
    if (mustHave) {
        throw downloadError(mustHave);
    }
    return failed;
}

/** The one line a render prints about what it left out and how to get it rendered too. */
export function leftOutMessage(leftOut: Unreachable[]): string {
    const names = leftOut.map((download) => download.what).join(", ");
    const reasons = [...new Set(leftOut.map((download) => `${download.url}: ${download.problem}`))].join("; ");
    return `not rendered: ${names} (cannot be fetched: ${reasons}). The cluster still needs them; to render them too, ${localSources}, and run again.`;
}
