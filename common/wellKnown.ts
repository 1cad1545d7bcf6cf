/**
 * Names, labels and ports that Kubernetes, Calico and Istio fix upstream. Policies refer to
 * these; keeping them in one place keeps the baseline and each service's policy in step.
 */

/** Istio's root namespace: mesh-wide policy (e.g. PeerAuthentication) lives here. */
export const istioNamespace = "istio-system";

/** Ports of the Istio data and control plane. */
export const istioPorts = {
    /** HBONE tunnel (ambient and sidecar interop). */
    hbone: 15008,
    /** istiod xDS and certificate signing over TLS: every sidecar and gateway dials it. */
    xds: 15012,
    /** istiod admission webhooks: the Kubernetes API server dials it. */
    webhook: 15017,
    /** Sidecar agent: merged Prometheus metrics and health. */
    agentMetrics: 15020,
    /** Gateway and sidecar readiness (`/healthz/ready`). */
    health: 15021,
    /** Envoy's own Prometheus metrics. */
    envoyMetrics: 15090,
} as const;

/** istiod's pods, whatever the revision. */
export const istiod = { namespace: istioNamespace, podLabels: { app: "istiod" } } as const;

/** CoreDNS / kube-dns pods: every pod resolves names through them. */
export const kubeDns = { namespace: "kube-system", podLabels: { "k8s-app": "kube-dns" }, port: 53 } as const;

/**
 * Namespaces of the cluster's own control plane. The cluster default-deny leaves them out:
 * they carry the components every other pod depends on, and get narrow policies of their own
 * (Istio's `global.networkPolicy`, Calico's operator-managed policies).
 */
export const controlPlaneNamespaces = ["kube-system", "calico-system", "calico-apiserver", "tigera-operator", istioNamespace] as const;

/** Namespace label that turns on sidecar injection for the default revision. */
export const injectionLabel = "istio-injection";
/**
 * Marks the Service of a workload deployed outside the stack, so that checks of the stack
 * (e.g. "this AuthorizationPolicy selects some pod") know the selected pods exist.
 */
export const externalWorkloadAnnotation = "ztmesh.io/external-workload";

/**
 * The flows a MeshService declared, on its Service as JSON (`DeclaredCaller[]`): the intent
 * that the policy pack's reachability check compares with what the policies really allow.
 */
export const callersAnnotation = "ztmesh.io/declared-callers";

/** One declared caller of a service, as `callersAnnotation` lists it. */
export interface DeclaredCaller {
    namespace: string;
    podLabels: Record<string, string>;
    /** Container ports of the service the caller may reach. */
    ports: number[];
    /** Declared HTTP methods and paths; absent: any. */
    methods?: string[];
    paths?: string[];
}

/** Namespace label that selects a revisioned control plane for injection. */
export const revisionLabel = "istio.io/rev";

/**
 * Istio's dry-run annotation: an AuthorizationPolicy annotated `istio.io/dry-run: "true"` is
 * evaluated and reported, never enforced (analysis/istio/dryRun.ts reads it).
 */
export const dryRunAnnotation = "istio.io/dry-run";

/**
 * Istio's ambient data plane: the labels that enrol pods, the waypoint GatewayClass, and the
 * address ztunnel gives kubelet health probes. Istio docs: ambient/usage/waypoint,
 * ambient/usage/networkpolicy; the `ingress-use-waypoint` label is read by istiod's endpoint
 * builder (an ingress gateway skips a Service's waypoint unless it says "true").
 */
export const ambient = {
    /** Namespace or pod label; `ambient` puts the pods' traffic through ztunnel. */
    dataplaneModeLabel: "istio.io/dataplane-mode",
    /** Service or namespace label naming the waypoint that handles its Layer 7. */
    useWaypointLabel: "istio.io/use-waypoint",
    /** Service label that makes ingress gateways send the Service's traffic through its waypoint too. */
    ingressUseWaypointLabel: "istio.io/ingress-use-waypoint",
    /** Gateway label: which traffic a waypoint takes (`service`, `workload`, `all`, `none`). */
    waypointForLabel: "istio.io/waypoint-for",
    waypointClassName: "istio-waypoint",
    /** Pod label istiod gives the pods of every gateway and waypoint it deploys. */
    gatewayNameLabel: "gateway.networking.k8s.io/gateway-name",
    /**
     * Source address of kubelet health probes once a pod is in the ambient mesh: the CNI agent
     * SNATs them to this link-local address so that ztunnel can tell them from workload traffic.
     */
    kubeletProbeCidr: "169.254.7.127/32",
    /** ztunnel's pods (a DaemonSet in the Istio namespace). */
    ztunnelPodLabels: { app: "ztunnel" },
} as const;
