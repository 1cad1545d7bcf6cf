import { ambient, revisionLabel } from "../../common/wellKnown";

/**
 * How workloads join the mesh.
 * - `sidecar`: an Envoy per pod (injected by istiod) enforces mTLS and every policy.
 * - `ambient`: no sidecar; ztunnel (one per node) carries the pods' traffic over mTLS (HBONE,
 *   TCP 15008) and enforces Layer 4 authorization at the destination, and a waypoint proxy per
 *   namespace or service enforces Layer 7 for the services that need it.
 */
export type DataplaneMode = "sidecar" | "ambient";
export const dataplaneModes: readonly DataplaneMode[] = ["sidecar", "ambient"];

/**
 * Chart values ztmesh adds in ambient mode: Istio's own `ambient` profile (istiod, cni and
 * ztunnel charts each carry `files/profile-ambient.yaml`: PILOT_ENABLE_AMBIENT, HBONE,
 * `cni.ambient.enabled`), and the chart's NetworkPolicy for the node agents, whose namespace is
 * outside the cluster default-deny.
 */
export function ambientChartValues(platform?: string): Record<string, unknown> {
    return {
        profile: "ambient",
        global: { ...(platform ? { platform } : {}), networkPolicy: { enabled: true } },
    };
}

/** The namespace labels that put a namespace's pods in the ambient mesh of this control plane. */
export function ambientNamespaceLabels(revision?: string): Record<string, string> {
    return { [ambient.dataplaneModeLabel]: "ambient", ...(revision ? { [revisionLabel]: revision } : {}) };
}
