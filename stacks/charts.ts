import * as path from "path";
import { ChartSource, chartRepositories, gatewayApiCrdsUrl, versions } from "../components";
import { Environment } from "./schema";

/** Where every chart and manifest of an environment comes from, resolved once for the program and its preflight. */
export interface SourcePlan {
    calico: { crds: ChartSource; operator: ChartSource };
    istio: Record<"base" | "istiod" | "cni" | "gateway", ChartSource>;
    /** The Gateway API CRD manifest, when the environment has a gateway. */
    gatewayApiCrds?: string;
    /** What `pulumi up` downloads: one entry per remote chart and manifest the environment uses. */
    downloads: { what: string; url: string }[];
}

/** The source of one chart: a local folder when configured, else the (mirrored) repository. */
function chartSource(env: Environment, chart: string, repository?: string): ChartSource {
    if (env.charts?.localDirectory) {
        return { path: path.resolve(env.charts.localDirectory, chart) };
    }
    return repository ? { repository } : {};
}

export function sourcePlan(env: Environment): SourcePlan {
    const charts = env.charts ?? {};
    const calico = {
        crds: { ...chartSource(env, "crd.projectcalico.org.v1", charts.calicoRepository), ...env.calico.charts?.crds },
        operator: { ...chartSource(env, "tigera-operator", charts.calicoRepository), ...env.calico.charts?.operator },
    };
    const istio = {
        base: chartSource(env, "base", charts.istioRepository),
        istiod: chartSource(env, "istiod", charts.istioRepository),
        cni: chartSource(env, "cni", charts.istioRepository),
        gateway: chartSource(env, "gateway", charts.istioRepository),
    };
    const used: [string, ChartSource, string][] = [
        ["base", istio.base, chartRepositories.istio],
        ["istiod", istio.istiod, chartRepositories.istio],
        ...(env.istio?.cni ? [["cni", istio.cni, chartRepositories.istio] as [string, ChartSource, string]] : []),
        ...(env.istio?.ingressMode === "classic" ? [["gateway", istio.gateway, chartRepositories.istio] as [string, ChartSource, string]] : []),
        ...(env.calico.install
            ? [["crd.projectcalico.org.v1", calico.crds, chartRepositories.calico], ["tigera-operator", calico.operator, chartRepositories.calico]] as [string, ChartSource, string][]
            : []),
    ];
    const gatewayApiCrds = env.gateway ? env.gateway.crdsSource ?? gatewayApiCrdsUrl(versions.gatewayApi) : undefined;
    const downloads = used
        .filter(([, source]) => !source.path)
        .map(([chart, source, upstream]) => ({ what: `chart "${chart}"`, url: source.repository ?? upstream }));
    if (gatewayApiCrds && /^https?:\/\//.test(gatewayApiCrds)) {
        downloads.push({ what: "the Gateway API CRDs", url: gatewayApiCrds });
    }
    for (const manifest of env.manifests ?? []) {
        if (/^https?:\/\//.test(manifest)) {
            downloads.push({ what: `manifest ${manifest}`, url: manifest });
        }
    }
    return { calico, istio, gatewayApiCrds, downloads };
}
