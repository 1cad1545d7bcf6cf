/**
 * Which workloads run an Istio sidecar, and the identity (SPIFFE principal) they present.
 * A workload is meshed when its pod template says `sidecar.istio.io/inject: "true"` (label or
 * annotation), or its namespace is labelled `istio-injection=enabled` or `istio.io/rev=...`;
 * `"false"` on the pod, or `istio-injection=disabled` on the namespace, opts out. The trust
 * domain is taken to be `cluster.local`.
 */
import { Labels } from "../calicoSelector";
import { PodDetails } from "../podDetails";

const injectKey = "sidecar.istio.io/inject";

export function isMeshed(pod: PodDetails | undefined, namespaceLabels: Labels): boolean {
    const podSetting = pod?.labels[injectKey] ?? pod?.annotations[injectKey];
    const namespaceInjection = namespaceLabels["istio-injection"];
    if (podSetting === "false" || namespaceInjection === "disabled") {
        return false;
    }
    if (podSetting === "true") {
        return true;
    }
    return namespaceInjection === "enabled" || namespaceLabels["istio.io/rev"] !== undefined;
}

/** What a caller presents over mTLS; absent for callers without a sidecar (and outside the cluster). */
export interface PeerIdentity {
    readonly principal: string;
    readonly namespace: string;
}

export function peerIdentity(namespace: string, serviceAccount: string): PeerIdentity {
    return { principal: `cluster.local/ns/${namespace}/sa/${serviceAccount}`, namespace };
}
