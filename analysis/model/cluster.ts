/**
 * The cluster as the analysis evaluates it: built once from the objects read, and given to
 * every layer (Kubernetes NetworkPolicy, Calico, Istio) instead of each deriving it again from
 * the object list. The analysis runs parse → model → evaluate → output: manifests.ts parses,
 * this file models, netpol/, calico/ and istio/ evaluate, flowFormat.ts and report/ print.
 *
 *   const model = clusterModel(objects);
 *   model.workloads;                 // the peers, as the analyzer names them (netpol/workloads.ts)
 *   model.namespaceLabels("shop");   // with kubernetes.io/metadata.name
 *   model.serviceAccountOf(workload);
 *   model.kubernetesPolicies;        // NetworkPolicies of networking.k8s.io, compiled once
 *   model.ofKind("Service");         // the objects of a kind, in the order read
 *
 * What is compiled from objects (the policies) is compiled on first use, so that a layer that
 * is not run costs nothing and errors come in the order the layers ask: a malformed
 * NetworkPolicy throws, naming it, where it is first asked for. The model does not change the
 * objects; what reach.ts adds before modelling (the gateway Deployments Istio creates, the
 * waypoints' pods) is part of `objects`.
 */
import { Labels } from "../calicoSelector";
import { isCalicoPolicy } from "../calico/policy";
import { calicoKinds, isCalicoKind } from "../calico/objects";
import { KubeObject } from "../manifests";
import { ClusterPolicy, isClusterNetworkPolicy, parseClusterNetworkPolicy } from "../clusterPolicy/clusterNetworkPolicy";
import { isKubernetesNetworkPolicy, NetworkPolicy, parseNetworkPolicy } from "../netpol/policy";
import { Cluster, clusterFromObjects, Workload, workloadId } from "../netpol/workloads";
import { PodDetails, podDetailsByWorkload } from "../podDetails";

export type { Workload } from "../netpol/workloads";
export type { PodDetails } from "../podDetails";

export class ClusterModel {
    /** Workloads in the order first seen, and every namespace declared or used, with its labels. */
    readonly cluster: Cluster;
    /** Each workload's service account, pod labels and annotations, by `workloadId`. */
    readonly podDetails: ReadonlyMap<string, PodDetails>;
    private readonly byKind = new Map<string, KubeObject[]>();
    private compiledKubernetesPolicies?: readonly NetworkPolicy[];
    private compiledClusterNetworkPolicies?: readonly ClusterPolicy[];

    /** Prefer `clusterModel`. Throws, naming the object, on a workload without a pod template or a name. */
    constructor(readonly objects: readonly KubeObject[]) {
        this.cluster = clusterFromObjects(objects);
        this.podDetails = podDetailsByWorkload(objects);
        for (const object of objects) {
            const sameKind = this.byKind.get(object.kind);
            if (sameKind) {
                sameKind.push(object);
            } else {
                this.byKind.set(object.kind, [object]);
            }
        }
    }

    /** The workloads, in the order first seen: the peers inside the cluster. */
    get workloads(): readonly Workload[] {
        return this.cluster.workloads;
    }

    /** A namespace's labels, with `kubernetes.io/metadata.name`; none for a namespace neither declared nor used. */
    namespaceLabels(namespace: string): Labels {
        return this.cluster.namespaces.get(namespace) ?? {};
    }

    /** The service account a workload's pods run as (`default` where the template names none). */
    serviceAccountOf(workload: Workload): string {
        return this.podDetails.get(workloadId(workload))?.serviceAccount ?? "default";
    }

    /** The objects of `kind` (of any API group), in the order read. */
    ofKind(kind: string): readonly KubeObject[] {
        return this.byKind.get(kind) ?? [];
    }

    /**
     * The Kubernetes NetworkPolicies (kind NetworkPolicy of any API group but Calico's), in the
     * order read, compiled on first use. Throws, naming the policy, on a malformed one.
     */
    get kubernetesPolicies(): readonly NetworkPolicy[] {
        this.compiledKubernetesPolicies ??= this.ofKind("NetworkPolicy").filter(isKubernetesNetworkPolicy).map(parseNetworkPolicy);
        return this.compiledKubernetesPolicies;
    }

    /** The ClusterNetworkPolicies (policy.networking.k8s.io/v1alpha2), in the order read, compiled on first use. */
    get clusterNetworkPolicies(): readonly ClusterPolicy[] {
        this.compiledClusterNetworkPolicies ??= this.ofKind("ClusterNetworkPolicy").filter(isClusterNetworkPolicy).map(parseClusterNetworkPolicy);
        return this.compiledClusterNetworkPolicies;
    }

    /** Whether the objects hold anything only the Calico engine evaluates: a Calico policy, tier, profile, endpoint or network set. */
    get hasCalicoObjects(): boolean {
        return [...this.byKind.values()].some((objects) => objects.some((object) => isCalicoPolicy(object) || calicoKinds.some((kind) => isCalicoKind(object, kind))));
    }
}

/** The model of `objects`. */
export function clusterModel(objects: readonly KubeObject[]): ClusterModel {
    return new ClusterModel(objects);
}

/** The model itself, or that of the objects given: for the entry points that take either. */
export function asClusterModel(input: readonly KubeObject[] | ClusterModel): ClusterModel {
    return input instanceof ClusterModel ? input : new ClusterModel(input);
}
