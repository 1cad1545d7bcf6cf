import { CalicoPolicyApi } from "../calico/policyApi";
import { EnforcementMode } from "../enforcement";
import { GatewayAttachment } from "../gateway/meshGateway";
import { WaypointAttachment } from "../gateway/waypoint";
import { DataplaneMode } from "../istio/dataplane";
import { WorkloadIdentity } from "../identity";
import { CallerRule, Dependency, PublicExposure, ServicePort, ServiceVersion, TrafficPolicy } from "./types";

export interface MeshServiceArgs {
    /** Namespace of the service; it must exist (e.g. created by ZeroTrustBaseline). */
    namespace: string;
    /** ServiceAccount name, the service's mesh identity. Created unless `existingWorkload`. Default: the service name. */
    serviceAccount?: string;
    /** Ports the service serves; names unique. */
    ports: ServicePort[];
    /** One Deployment per version. Exactly one of `versions` and `existingWorkload`. */
    versions?: ServiceVersion[];
    /** A workload deployed elsewhere, selected by its pods' labels; ztmesh then adds Service and policy only. */
    existingWorkload?: { podLabels: Record<string, string> };
    /** Who may call this service. Default: nobody (deny). Each rule yields NetworkPolicy ingress and an AuthorizationPolicy rule. */
    callers?: CallerRule[];
    /** Services this one calls; each yields NetworkPolicy egress. DNS and istiod are always allowed. Default: none. */
    dependencies?: Dependency[];
    /** Exposure on the MeshGateway over HTTPS. Default: not public. */
    public?: PublicExposure;
    /** The MeshGateway for `public`. */
    gateway?: GatewayAttachment;
    /** The Prometheus identity, the only caller of `metrics` ports. Required when a port is `metrics`. */
    monitoring?: WorkloadIdentity;
    /** DestinationRule and VirtualService settings. Default: ISTIO_MUTUAL, LEAST_REQUEST, one route. */
    traffic?: TrafficPolicy;
    /** Mesh trust domain of the principals. Default: `cluster.local`. */
    trustDomain?: string;
    /** Control-plane revision the pods are injected by. Default: the default revision. */
    revision?: string;
    /** The mesh's data plane (the Istio component's `dataplaneMode`). The declaration means the same in both. Default: `sidecar`. */
    dataplaneMode?: DataplaneMode;
    /**
     * Ambient mode: the waypoint that enforces this service's Layer 7 policy and routes. Required
     * when the service needs Layer 7 (methods or paths, public paths, versions, in-mesh routes,
     * DestinationRule settings); ignored in sidecar mode. Default: none (ztunnel enforces Layer 4 only).
     */
    waypoint?: WaypointAttachment;
    /**
     * Whether the service's policy denies (`enforce`, the default) or only observes (`audit`):
     * its NetworkPolicies become Calico StagedKubernetesNetworkPolicies and its
     * AuthorizationPolicies carry `istio.io/dry-run: "true"` (named `<name>-dry-run`); routes,
     * workloads and the gateway's egress to the service are the same in both modes. Audit the
     * service only where its namespace's default-deny is audited too (ZeroTrustBaseline), or
     * that deny refuses every caller the staged policy would admit.
     */
    enforcement?: EnforcementMode;
    /** The Calico API group staged NetworkPolicies are written to (the Calico component's `policyApi`). Required in audit mode. */
    calicoPolicyApi?: CalicoPolicyApi;
}
