/**
 * The kinds each API group that holds policy serves, in Kubernetes v1.36 and with the pinned
 * Calico, Istio, Gateway API and network-policy-api CRDs, and which of them the engine reads but
 * does not evaluate (Calico's staged policies only in the as-enforced view, see
 * enforcement/asEnforced.ts). A kind misspelt in one of these groups (`NetworkPolicies`) would
 * otherwise be skipped like a ConfigMap, and a deny-all would vanish without a word; the API
 * server refuses it ("no matches for kind"), and so does `ztmesh reach`. The CRD lists are
 * checked against the pinned CRD files by a test (test/analysis/servedKinds.test.ts).
 */
import { dryRunAnnotation, isDryRun } from "../istio/dryRun";
import { Mapping, Problem } from "./rules/problems";

const calicoKinds = ["BGPConfiguration", "BGPFilter", "BGPPeer", "BlockAffinity", "CalicoNodeStatus", "ClusterInformation", "FelixConfiguration",
    "GlobalNetworkPolicy", "GlobalNetworkSet", "HostEndpoint", "IPAMBlock", "IPAMHandle", "IPPool", "IPReservation", "KubeControllersConfiguration",
    "NetworkPolicy", "NetworkSet", "StagedGlobalNetworkPolicy", "StagedKubernetesNetworkPolicy", "StagedNetworkPolicy", "Tier"];

/** The kinds each group serves. */
export const servedKinds: Readonly<Record<string, readonly string[]>> = {
    "networking.k8s.io": ["IPAddress", "Ingress", "IngressClass", "NetworkPolicy", "ServiceCIDR"],
    // The CRDs, and what the Calico API server adds: Profile and WorkloadEndpoint (read-only views of namespaces, service accounts and pods).
    "projectcalico.org": [...calicoKinds, "IPAMConfiguration", "Profile", "WorkloadEndpoint"].sort(),
    "crd.projectcalico.org": [...calicoKinds, "IPAMConfig"].sort(),
    "security.istio.io": ["AuthorizationPolicy", "PeerAuthentication", "RequestAuthentication"],
    "networking.istio.io": ["DestinationRule", "EnvoyFilter", "Gateway", "ProxyConfig", "ServiceEntry", "Sidecar", "VirtualService", "WorkloadEntry", "WorkloadGroup"],
    "gateway.networking.k8s.io": ["BackendTLSPolicy", "GRPCRoute", "Gateway", "GatewayClass", "HTTPRoute", "ListenerSet", "ReferenceGrant", "TLSRoute"],
    // network-policy-api: AdminNetworkPolicy and BaselineAdminNetworkPolicy (v1alpha1), ClusterNetworkPolicy (v1alpha2, which Calico installs and the engine evaluates).
    "policy.networking.k8s.io": ["AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy"],
};

const clusterPolicy = "a cluster-wide policy of network-policy-api v1alpha1 the flows leave out (v1alpha2's ClusterNetworkPolicy, which replaces it, is evaluated): where the network plugin enforces it, it may deny what the flows show as allowed, or allow what they show as denied";
const stagedPolicy = "a staged policy only reports what it would do and enforces nothing; the flows are what the enforced policies allow (--as-enforced evaluates it as the policy it stages)";

/** Kinds the engine reads but does not evaluate, though they are policy, with why that matters. */
const notEvaluated: Readonly<Record<string, string>> = {
    AdminNetworkPolicy: clusterPolicy,
    BaselineAdminNetworkPolicy: clusterPolicy,
    StagedNetworkPolicy: stagedPolicy,
    StagedGlobalNetworkPolicy: stagedPolicy,
    StagedKubernetesNetworkPolicy: stagedPolicy,
};

/** Kinds without a namespace; a namespace written on one is dropped by the API server. Namespaced otherwise. */
const clusterScopedKinds = new Set(["Namespace", "Node", "PersistentVolume", "IngressClass", "IPAddress", "ServiceCIDR", "GatewayClass",
    "AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy",
    ...calicoKinds.filter((kind) => !["NetworkPolicy", "NetworkSet", "StagedNetworkPolicy", "StagedKubernetesNetworkPolicy"].includes(kind)),
    "IPAMConfig", "IPAMConfiguration", "Profile"]);

function groupOf(object: Mapping): string {
    const apiVersion = typeof object.apiVersion === "string" ? object.apiVersion : "";
    return apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "";
}

export function isClusterScoped(object: Mapping): boolean {
    return clusterScopedKinds.has(String(object.kind)) && (groupOf(object) in servedKinds || groupOf(object) === "");
}

/** The served kind `kind` most likely means: the same up to case, or its plural (`NetworkPolicies`, `networkpolicy`). */
function intendedKind(kind: string, served: readonly string[]): string | undefined {
    const spelled = kind.toLowerCase();
    return served.find((candidate) => {
        const singular = candidate.toLowerCase();
        const plural = singular.endsWith("y") ? `${singular.slice(0, -1)}ies` : singular.endsWith("s") ? `${singular}es` : `${singular}s`;
        return spelled === singular || spelled === plural;
    });
}

const everyServedKind = [...new Set(Object.values(servedKinds).flat())].sort();

/**
 * For an object of a group that holds policy: whether that group serves its kind. Without an
 * apiVersion (as analyzers' inputs often leave it out) a kind that is a near spelling of one of
 * those groups' kinds (`NetworkPolicies`) is refused too: it would be skipped like a ConfigMap.
 */
export function servedKindProblem(object: Mapping): Problem {
    const kind = String(object.kind);
    if (object.apiVersion === undefined) {
        const intended = everyServedKind.includes(kind) ? undefined : intendedKind(kind, everyServedKind);
        return intended === undefined ? undefined : `kind: no API group serves a kind ${JSON.stringify(kind)}; did you mean ${intended}?`;
    }
    const group = groupOf(object);
    const served = servedKinds[group];
    if (served === undefined || served.includes(kind)) {
        return undefined;
    }
    const intended = intendedKind(kind, served);
    return `kind: ${group} serves no kind ${JSON.stringify(kind)}${intended === undefined ? "" : `; did you mean ${intended}?`} (it serves ${served.join(", ")})`;
}

/** Why the engine's result leaves out `object`, a policy it reads but does not evaluate; undefined for the others. */
export function notEvaluatedReason(object: Mapping): string | undefined {
    const group = groupOf(object);
    if (group === "security.istio.io" && object.kind === "AuthorizationPolicy" && isDryRun(object)) {
        return `a dry run (${dryRunAnnotation}) only logs what it would decide and enforces nothing; the flows are what the enforced policies allow (--as-enforced evaluates it as enforced)`;
    }
    return servedKinds[group]?.includes(String(object.kind)) ? notEvaluated[String(object.kind)] : undefined;
}
