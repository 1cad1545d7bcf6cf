import * as path from "path";
import { ChartSource, chartRepositories, gatewayApiCrdsUrl, versions } from "../components";
import { Environment } from "./schema";
import { projectRoot } from "./stackFile";

/** One remote chart or manifest that `pulumi up` downloads. */
export interface Download {
    what: string;
    url: string;
    /**
     * What a render may leave out when the download is unreachable: the chart's name, or
     * `gatewayApiCrdsKey`. Absent for the stack's own extra manifests, which are never left out.
     */
    leaveOutKey?: string;
}

/** The `leaveOutKey` of the Gateway API CRD manifest. */
export const gatewayApiCrdsKey = "gateway-api-crds";

/** Where every chart and manifest of an environment comes from, resolved once for the program and its preflight. */
export interface SourcePlan {
    calico: { crds: ChartSource; operator: ChartSource };
    istio: Record<"base" | "istiod" | "cni" | "ztunnel" | "gateway", ChartSource>;
    /** The Gateway API CRD manifest, when the environment has a gateway and installs them. */
    gatewayApiCrds?: string;
    /** What `pulumi up` downloads: one entry per remote chart and manifest the environment uses. */
    downloads: Download[];
}

/**
 * The source of one chart: a local folder when configured, else the (mirrored) repository;
 * not installed at all when the render leaves it out.
 */
function chartSource(env: Environment, chart: string, leftOut: ReadonlySet<string>, repository?: string): ChartSource {
    const install = leftOut.has(chart) ? { install: false } : {};
    if (env.charts?.localDirectory) {
        return { path: path.resolve(projectRoot, env.charts.localDirectory, chart), ...install };
    }
    return { ...(repository ? { repository } : {}), ...install };
}

/**
 * Resolves the sources of `env`. `leftOut` holds the `leaveOutKey`s of downloads that a render
 * leaves out because they cannot be fetched (see `stacks/preflight.ts`).
 */
export function sourcePlan(env: Environment, leftOut: ReadonlySet<string> = new Set()): SourcePlan {
    const charts = env.charts ?? {};
    const calico = {
        crds: { ...chartSource(env, "crd.projectcalico.org.v1", leftOut, charts.calicoRepository), ...env.calico?.charts?.crds },
        operator: { ...chartSource(env, "tigera-operator", leftOut, charts.calicoRepository), ...env.calico?.charts?.operator },
    };
    const istio = {
        base: chartSource(env, "base", leftOut, charts.istioRepository),
        istiod: chartSource(env, "istiod", leftOut, charts.istioRepository),
        cni: chartSource(env, "cni", leftOut, charts.istioRepository),
        ztunnel: chartSource(env, "ztunnel", leftOut, charts.istioRepository),
        gateway: chartSource(env, "gateway", leftOut, charts.istioRepository),
    };
    const ambientMode = env.istio?.dataplaneMode === "ambient";
    const used: [string, ChartSource, string][] = [
        ["base", istio.base, chartRepositories.istio],
        ["istiod", istio.istiod, chartRepositories.istio],
        ...(env.istio?.cni || ambientMode ? [["cni", istio.cni, chartRepositories.istio] as [string, ChartSource, string]] : []),
        ...(ambientMode ? [["ztunnel", istio.ztunnel, chartRepositories.istio] as [string, ChartSource, string]] : []),
        ...(env.istio?.ingressMode === "classic" ? [["gateway", istio.gateway, chartRepositories.istio] as [string, ChartSource, string]] : []),
        ...(env.calico?.install
            ? [["crd.projectcalico.org.v1", calico.crds, chartRepositories.calico], ["tigera-operator", calico.operator, chartRepositories.calico]] as [string, ChartSource, string][]
            : []),
    ];
    const gatewayApiCrds = env.gateway ? env.gateway.crdsSource ?? gatewayApiCrdsUrl(versions.gatewayApi) : undefined;
    const downloads: Download[] = used
        .filter(([, source]) => !source.path && source.install !== false)
        .map(([chart, source, upstream]) => ({ what: `chart "${chart}"`, url: source.repository ?? upstream, leaveOutKey: chart }));
    if (gatewayApiCrds && /^https?:\/\//.test(gatewayApiCrds) && !leftOut.has(gatewayApiCrdsKey)) {
        downloads.push({ what: "the Gateway API CRDs", url: gatewayApiCrds, leaveOutKey: gatewayApiCrdsKey });
    }
    for (const manifest of env.manifests ?? []) {
        if (/^https?:\/\//.test(manifest)) {
            downloads.push({ what: `manifest ${manifest}`, url: manifest });
        }
    }
    return { calico, istio, gatewayApiCrds: leftOut.has(gatewayApiCrdsKey) ? undefined : gatewayApiCrds, downloads };
}
