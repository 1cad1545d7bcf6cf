import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { WorkloadIdentity, namespaceNameLabel } from "../identity";
import { DataplaneMode } from "../istio/dataplane";
import { ambient, istioNamespace, istioPorts, istiod, kubeDns } from "../../common/wellKnown";

/**
 * The ClusterNetworkPolicy API ztmesh writes: network-policy-api v0.2.0, standard channel
 * (`apis/v1alpha2/clusternetworkpolicy_types.go`), the CRD Calico 3.32 ships. Only the fields
 * ztmesh uses are typed; each is checked against the CRD's schema and CEL rules by the tests.
 */
export const clusterNetworkPolicyApiVersion = "policy.networking.k8s.io/v1alpha2";

/** Which tier a policy sits in: Admin before every NetworkPolicy, Baseline after them. */
export type ClusterNetworkPolicyTier = "Admin" | "Baseline";

export interface LabelSelector {
    matchLabels?: Record<string, string>;
    matchExpressions?: { key: string; operator: "In" | "NotIn" | "Exists" | "DoesNotExist"; values?: string[] }[];
}

/** Exactly one field: every pod of the selected namespaces, or some pods of them. */
export type ClusterNetworkPolicyPeer = { namespaces: LabelSelector } | { pods: { namespaceSelector: LabelSelector; podSelector: LabelSelector } };

/** An egress peer may also be CIDRs; an ingress peer may not (the standard channel has no such field). */
export type ClusterNetworkPolicyEgressPeer = ClusterNetworkPolicyPeer | { networks: string[] };

/** Exactly one field; a port is a number or a range with start < end (the CRD's CEL rule). */
export type ClusterNetworkPolicyProtocol =
    | { tcp: { destinationPort: { number: number } | { range: { start: number; end: number } } } }
    | { udp: { destinationPort: { number: number } } };

/** One rule: the first that matches decides (`Pass` skips the rest of the tier). No `protocols`: every port of every protocol. */
interface ClusterNetworkPolicyRule {
    name: string;
    action: "Accept" | "Deny" | "Pass";
    protocols?: ClusterNetworkPolicyProtocol[];
}

export interface ClusterNetworkPolicySpec {
    tier: ClusterNetworkPolicyTier;
    /** 0..1000; lower first within the tier. */
    priority: number;
    subject: ClusterNetworkPolicyPeer;
    ingress?: (ClusterNetworkPolicyRule & { from: ClusterNetworkPolicyPeer[] })[];
    egress?: (ClusterNetworkPolicyRule & { to: ClusterNetworkPolicyEgressPeer[] })[];
}

/** What the ClusterNetworkPolicy guardrails need of the baseline's arguments. */
export interface GuardrailArgs {
    /** Namespaces outside the guardrails: the control plane keeps its own policies. */
    exempt: readonly string[];
    dataplaneMode?: DataplaneMode;
    monitoring?: WorkloadIdentity;
    /** Application metrics ports besides the sidecar's, which Prometheus may reach. */
    metricsPorts: number[];
    apiServerCidrs?: string[];
    /** The ingress gateway's pods, whose health port load balancers probe. */
    gateway?: WorkloadIdentity;
}

/**
 * Priorities. The deny-by-default is the first Baseline policy, so that no other Baseline
 * policy's Accept or Pass comes before it (a Baseline Pass skips the rest of the tier, and so
 * allows). The Admin guardrails leave 0-99 to a cluster's own Admin policies, which may deny
 * more than ztmesh admits (an Admin Deny before ztmesh's Accepts wins).
 */
export const guardrailPriority = 100;
export const monitoringPriority = 101;
export const defaultDenyPriority = 0;

/** Every namespace but the exempt ones, by the label the API server gives each namespace its name. */
export function appNamespacesSelector(exempt: readonly string[]): LabelSelector {
    return { matchExpressions: [{ key: namespaceNameLabel, operator: "NotIn", values: [...exempt] }] };
}

function podsOf(identity: Pick<WorkloadIdentity, "namespace" | "podLabels">): ClusterNetworkPolicyPeer {
    return { pods: { namespaceSelector: { matchLabels: { [namespaceNameLabel]: identity.namespace } }, podSelector: { matchLabels: { ...identity.podLabels } } } };
}

const tcp = (port: number): ClusterNetworkPolicyProtocol => ({ tcp: { destinationPort: { number: port } } });

/** Every address: a `networks` peer matches pod addresses too (the API's doc comment on `networks`). */
export const everyNetwork = ["0.0.0.0/0", "::/0"];

/**
 * The cluster-wide ClusterNetworkPolicies of the `clusterNetworkPolicy` mode, by name. Pure data.
 *
 * Evaluation (the API's `tier` doc comment): Admin tier by priority and rule order, then
 * Kubernetes NetworkPolicy (final for a pod one selects in that direction), then Baseline, then
 * allow. Calico 3.32 converts each policy into a GlobalNetworkPolicy of tier `kube-admin` (order
 * 1,000, default action Pass) or `kube-baseline` (order 10,000,000, default action Pass), around
 * its `default` tier (default action Deny) where NetworkPolicies live
 * (libcalico-go/lib/backend/k8s/conversion/clusternetworkpolicy.go, api/pkg/apis/projectcalico/v3/tier.go);
 * a tier none of whose policies applies to the pod is skipped. The two orders agree as long as
 * the `default` tier holds NetworkPolicies only, so this mode writes no Calico policy: a Calico
 * default-deny there would apply to every app pod, and the Baseline tier would never act on Calico
 * while it does elsewhere.
 *
 * - `ztmesh-guardrails` (Admin): DNS and istiod's xDS stay reachable from every app pod whatever
 *   its namespace's policies say (an Accept ends evaluation); Prometheus's scrapes likewise.
 *   Its subject leaves the control plane out, which keeps its own policies.
 * - `ztmesh-monitoring-egress` (Admin): Prometheus's own egress, as in the calico mode.
 * - `ztmesh-default-deny` (Baseline): what no NetworkPolicy decides is denied: egress to every
 *   address, ingress from every pod. A pod that a NetworkPolicy selects in a direction is
 *   decided by it (the `default-deny` NetworkPolicy of each app namespace denies the rest), so
 *   the deny-by-default holds whatever the namespaces' policies say or fail to say.
 *
 * No rule for the ambient kubelet-probe address: ingress peers are pods and namespaces only
 * (no `networks` in the standard channel), so the Baseline deny cannot match the probes'
 * link-local source, and the app namespaces' `allow-kubelet-probes` NetworkPolicy admits them.
 */
export function clusterNetworkPolicies(args: GuardrailArgs): Record<string, ClusterNetworkPolicySpec> {
    const apps = appNamespacesSelector(args.exempt);
    const scrapePorts: number[] = [istioPorts.agentMetrics, istioPorts.envoyMetrics];
    const ambientMode = args.dataplaneMode === "ambient";
    const policies: Record<string, ClusterNetworkPolicySpec> = {
        "ztmesh-guardrails": {
            tier: "Admin",
            priority: guardrailPriority,
            subject: { namespaces: apps },
            ...(args.monitoring
                ? { ingress: [{ name: "allow-metrics-scrape", action: "Accept" as const, from: [podsOf(args.monitoring)], protocols: scrapePorts.map(tcp) }] }
                : {}),
            egress: [
                {
                    name: "allow-dns",
                    action: "Accept",
                    to: [podsOf(kubeDns)],
                    protocols: [{ udp: { destinationPort: { number: kubeDns.port } } }, tcp(kubeDns.port)],
                },
                { name: "allow-istiod", action: "Accept", to: [podsOf(istiod)], protocols: [tcp(istioPorts.xds)] },
            ],
        },
    };
    if (args.monitoring) {
        const appMetricsPorts = [...new Set(args.metricsPorts)].filter((port) => !scrapePorts.includes(port)).sort((a, b) => a - b);
        policies["ztmesh-monitoring-egress"] = {
            tier: "Admin",
            priority: monitoringPriority,
            subject: podsOf(args.monitoring),
            egress: [
                { name: "allow-scrape", action: "Accept", to: [{ namespaces: apps }], protocols: [...scrapePorts, ...appMetricsPorts, ...(ambientMode ? [istioPorts.hbone] : [])].map(tcp) },
                // No peer names a Service: the API server is reached by its addresses, on any TCP
                // port (its port differs per cluster: 443, 6443, 8443).
                ...(args.apiServerCidrs?.length
                    ? [{ name: "allow-api-server", action: "Accept" as const, to: [{ networks: [...args.apiServerCidrs] }], protocols: [{ tcp: { destinationPort: { range: { start: 1, end: 65535 } } } }] }]
                    : []),
                ...(ambientMode
                    ? [{ name: "allow-ztunnel-metrics", action: "Accept" as const, to: [podsOf({ namespace: istioNamespace, podLabels: ambient.ztunnelPodLabels })], protocols: [tcp(istioPorts.agentMetrics)] }]
                    : []),
            ],
        };
    }
    policies["ztmesh-default-deny"] = {
        tier: "Baseline",
        priority: defaultDenyPriority,
        subject: { namespaces: apps },
        ingress: [{ name: "deny-from-every-pod", action: "Deny", from: [{ namespaces: {} }] }],
        // Every pod is named as well as every address: `networks` matches pod addresses on a real
        // cluster, but an analysis from manifests (which hold no pod IPs) can only see the pods
        // through a `namespaces` peer, and the two together say the intent without relying on that.
        egress: [{ name: "deny-to-every-pod-and-address", action: "Deny", to: [{ namespaces: {} }, { networks: [...everyNetwork] }] }],
    };
    return policies;
}

/** A NetworkPolicy of the `clusterNetworkPolicy` mode: its namespace and spec. */
export interface GuardrailNetworkPolicy {
    namespace: string;
    spec: k8s.types.input.networking.v1.NetworkPolicySpec;
}

/**
 * The allows of the calico mode whose sources are addresses, which no ClusterNetworkPolicy
 * ingress rule can name (its peers are pods and namespaces), as NetworkPolicies, by name: the
 * gateway's health port (15021) from anywhere, and istiod's webhook (15017) from the API
 * server's ranges. On Calico a NetworkPolicy sits in the same `default` tier as the calico
 * mode's GlobalNetworkPolicy allow, so both modes admit the same.
 */
export function guardrailNetworkPolicies(args: GuardrailArgs): Record<string, GuardrailNetworkPolicy> {
    const policies: Record<string, GuardrailNetworkPolicy> = {};
    if (args.gateway) {
        policies["ztmesh-allow-gateway-health"] = {
            namespace: args.gateway.namespace,
            spec: { podSelector: { matchLabels: { ...args.gateway.podLabels } }, policyTypes: ["Ingress"], ingress: [{ ports: [{ protocol: "TCP", port: istioPorts.health }] }] },
        };
    }
    if (args.apiServerCidrs?.length) {
        policies["ztmesh-allow-istiod-webhook"] = {
            namespace: istiod.namespace,
            spec: {
                podSelector: { matchLabels: { ...istiod.podLabels } },
                policyTypes: ["Ingress"],
                ingress: [{ from: args.apiServerCidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: "TCP", port: istioPorts.webhook }] }],
            },
        };
    }
    return policies;
}

/** Creates the ClusterNetworkPolicy `name`. */
export function clusterNetworkPolicy(resourceName: string, name: string, spec: ClusterNetworkPolicySpec, opts: pulumi.CustomResourceOptions): k8s.apiextensions.CustomResource {
    return new k8s.apiextensions.CustomResource(resourceName, {
        apiVersion: clusterNetworkPolicyApiVersion,
        kind: "ClusterNetworkPolicy",
        metadata: { name },
        spec,
    }, opts);
}
