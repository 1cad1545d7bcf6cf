import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/**
 * Where one Helm chart comes from. Leave it empty for the pinned upstream chart; set
 * `repository` to a mirror (HTTP or `oci://`), or `path` to a chart directory or `.tgz`
 * on disk for air-gapped clusters.
 */
export interface ChartSource {
    /** Helm repository URL. Default: the upstream repository of the chart. */
    repository?: string;
    /** Chart version. Default: the version pinned in `versions.ts`. Ignored with `path`. */
    version?: string;
    /** Local chart directory or archive. When set, no repository is contacted. */
    path?: string;
    /**
     * `false`: the cluster gets this chart another way (a platform team's install, a GitOps
     * tool, `helm install` from a mirror), so ztmesh creates nothing for it and nothing waits
     * for it. The stack program sets this in render mode for charts it cannot fetch, and says
     * so. Default: true.
     */
    install?: boolean;
}

/** The identity of a chart ztmesh installs: its name and pinned origin. */
export interface PinnedChart {
    chart: string;
    repository: string;
    version: string;
}

/**
 * The `helm.v4.Chart` arguments that fetch `pinned`, unless `source` overrides it. A chart
 * from a repository always carries an explicit version: an unpinned chart would change
 * under a stack between two `pulumi up`s.
 */
export function chartLocation(pinned: PinnedChart, source: ChartSource = {}): Pick<k8s.helm.v4.ChartArgs, "chart" | "version" | "repositoryOpts"> {
    if (source.path) {
        return { chart: source.path };
    }
    return {
        chart: pinned.chart,
        version: source.version ?? pinned.version,
        repositoryOpts: { repo: source.repository ?? pinned.repository },
    };
}

/**
 * A `helm.v4.Chart` of `pinned` from `source`, or undefined when `source.install` is false.
 * `args` are the chart's other arguments (namespace, values, release name).
 */
export function installChart(
    name: string, pinned: PinnedChart, source: ChartSource | undefined,
    args: Omit<k8s.helm.v4.ChartArgs, "chart" | "version" | "repositoryOpts">, opts: pulumi.ComponentResourceOptions,
): k8s.helm.v4.Chart | undefined {
    if (source?.install === false) {
        return undefined;
    }
    return new k8s.helm.v4.Chart(name, { ...chartLocation(pinned, source), ...args }, opts);
}

/** The charts (or other resources) of `items` that exist, for `dependsOn` lists. */
export function present<T>(...items: (T | undefined)[]): T[] {
    return items.filter((item): item is T => item !== undefined);
}

const crdType = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition";

/**
 * A transform that keeps CustomResourceDefinitions in the cluster when the resource that
 * created them is deleted or replaced: deleting a CRD deletes every object of its kind, which
 * for Istio or Calico means every policy in the cluster. Applied to charts and manifests
 * whose children include CRDs.
 */
export const retainCrds: pulumi.ResourceTransform = (args) => {
    if (args.type !== crdType) {
        return undefined;
    }
    return { props: args.props, opts: pulumi.mergeOptions(args.opts, { retainOnDelete: true }) };
};
