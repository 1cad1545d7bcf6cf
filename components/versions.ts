/**
 * Every upstream version ztmesh installs, pinned in one place. Each component takes an override
 * (`version`, or a `ChartSource` per chart) so a platform team can move one piece without a
 * ztmesh release; the defaults below are the combination the tests and CRD schemas cover.
 */
export const versions = {
    /** Calico and the Tigera operator chart (the CRDs chart carries the same version). */
    calico: "v3.32.1",
    /** Istio charts `base`, `istiod`, `cni`, `gateway`. */
    istio: "1.30.3",
    /** Gateway API standard channel; Istio 1.30 is built against this release. */
    gatewayApi: "v1.5.1",
} as const;

/** Upstream Helm repositories. A mirror replaces them through `ChartSource.repository`. */
export const chartRepositories = {
    calico: "https://docs.tigera.io/calico/charts",
    istio: "https://istio-release.storage.googleapis.com/charts",
} as const;

/** The Gateway API standard-channel CRD manifest of a release. */
export function gatewayApiCrdsUrl(version: string): string {
    return `https://github.com/kubernetes-sigs/gateway-api/releases/download/${version}/standard-install.yaml`;
}
