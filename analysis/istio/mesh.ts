/**
 * Which workloads run an Istio proxy, and the identity (SPIFFE principal) they present.
 * A workload is meshed when its pod template says `sidecar.istio.io/inject: "true"` (label or
 * annotation), or its namespace is labelled `istio-injection=enabled` or `istio.io/rev=...`;
 * `"false"` on the pod, or `istio-injection=disabled` on the namespace, opts out of the
 * injected sidecar. A gateway (see isGateway) is meshed whatever the injection settings: it
 * runs the proxy itself (gateway pods carry `inject: "false"` so that no second proxy is
 * injected), presents its service account's identity and enforces the AuthorizationPolicies
 * that select it. The trust domain is taken to be `cluster.local`.
 */
import { Labels } from "../calicoSelector";
import { PodDetails } from "../podDetails";

const injectKey = "sidecar.istio.io/inject";

export function isMeshed(pod: PodDetails | undefined, namespaceLabels: Labels, options: { gateways: boolean } = { gateways: true }): boolean {
    if (pod && isGateway(pod)) {
        return options.gateways;
    }
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

/**
 * A gateway pod: it runs the proxy in `router` mode, or carries the label Istio's Gateway API
 * controller puts on the deployments it creates (`gateway.networking.k8s.io/gateway-name`), or
 * the `istio: ingressgateway` / `istio: egressgateway` label of Istio's gateway charts.
 */
export function isGateway(pod: PodDetails): boolean {
    // A waypoint enforces only the policies attached to it by targetRefs, in the ambient data
    // plane; ambient.ts models it, so here it is no gateway.
    if (pod.labels["gateway.networking.k8s.io/gateway-class-name"] === "istio-waypoint") {
        return false;
    }
    return pod.runsGatewayProxy
        || pod.labels["gateway.networking.k8s.io/gateway-name"] !== undefined
        || /^(ingress|egress)gateway$/.test(pod.labels.istio ?? "");
}

/** What a caller presents over mTLS; absent for callers without a sidecar (and outside the cluster). */
export interface PeerIdentity {
    /** `trustDomain/ns/namespace/sa/serviceAccount`, as AuthorizationPolicy `principals` name it. */
    readonly principal: string;
    readonly namespace: string;
    readonly serviceAccount: string;
    readonly trustDomain: string;
}

export function peerIdentity(namespace: string, serviceAccount: string): PeerIdentity {
    const trustDomain = "cluster.local";
    return { principal: `${trustDomain}/ns/${namespace}/sa/${serviceAccount}`, namespace, serviceAccount, trustDomain };
}
