/**
 * Observed peers as the analyzer names them. An address is a pod's when a Pod of the input
 * (manifests, or a live cluster's pods) has it as `status.podIP` or in `status.podIPs`, and
 * stands for that pod's workload; any other address is outside the cluster (External), as
 * `ztmesh eval` reads addresses. A Calico aggregated name (GenerateName + `*`) is the workload
 * whose pods are named so. A pod of a ReplicaSet `D-HASH` that a Deployment `D` of the input
 * owns is named for `D`: the Deployment is what the declarations are written for, and its
 * ReplicaSet's pods are selected alike.
 */
import { PeerQuery, podAddresses } from "../eval/evaluate";
import { KubeObject } from "../manifests";
import { parseAddress } from "../netpol/ipRanges";
import { clusterFromObjects, namespaceOf, Workload, workloadIdOf } from "../netpol/workloads";
import type { ObservedPeer } from "./observedFlow";

/** A Deployment's ReplicaSets are named `DEPLOYMENT-HASH`, their pods `DEPLOYMENT-HASH-SUFFIX`. */
const replicaSetSuffix = /^-[a-z0-9]{1,10}$/;

export class PeerResolver {
    private readonly workloads: readonly Workload[];
    /** Each pod's workload, by address and by `namespace/name`. */
    private readonly podWorkloads = new Map<bigint | number, string>();
    private readonly pods = new Map<string, string>();

    constructor(objects: readonly KubeObject[]) {
        this.workloads = clusterFromObjects(objects).workloads;
        for (const pod of objects.filter((object) => object.kind === "Pod")) {
            const id = workloadIdOf(pod);
            if (id !== undefined) {
                this.pods.set(`${namespaceOf(pod)}/${pod.metadata?.name}`, id);
            }
            for (const address of podAddresses(pod)) {
                const parsed = parseAddress(address);
                if (parsed !== undefined && id !== undefined) {
                    this.podWorkloads.set(parsed, id);
                }
            }
        }
    }

    /** The peer as `ztmesh eval` asks about it, or why it cannot be named. */
    resolve(peer: ObservedPeer): PeerQuery | { readonly unresolved: string } {
        if (peer.kind === "address") {
            const address = parseAddress(peer.address);
            const id = address === undefined ? undefined : this.podWorkloads.get(address);
            return id === undefined ? peer : this.named(id);
        }
        if (peer.kind === "name") {
            // Named as its workload's id, so that the same workload named and addressed is one peer.
            const named = this.workloads.filter((workload) => workload.namespace === peer.namespace && workload.name === peer.name && (peer.workloadKind ?? workload.kind) === workload.kind);
            const pod = named.length === 0 ? this.pods.get(`${peer.namespace}/${peer.name}`) : undefined;
            return named.length === 1 ? this.named(`${named[0].namespace}/${named[0].name}[${named[0].kind}]`) : pod !== undefined ? this.named(pod) : peer;
        }
        const stem = peer.name.replace(/\*$/, "").replace(/-$/, "");
        const owners = this.workloads.filter((workload) => workload.namespace === peer.namespace
            && (workload.name === stem || (stem.startsWith(`${workload.name}-`) && replicaSetSuffix.test(stem.slice(workload.name.length)))));
        const owner = owners.sort((a, b) => b.name.length - a.name.length)[0];
        return owner === undefined ? { unresolved: `${peer.namespace}/${peer.name} names no workload of the input` } : this.named(`${owner.namespace}/${owner.name}[${owner.kind}]`);
    }

    /** A workload by id, a ReplicaSet's pods named for their Deployment. */
    private named(id: string): PeerQuery {
        const match = /^([^/]+)\/(.+)\[([A-Za-z]+)\]$/.exec(id)!;
        const [namespace, name, kind] = [match[1], match[2], match[3]];
        const deployment = kind === "ReplicaSet" ? this.workloads.find((workload) => workload.kind === "Deployment" && workload.namespace === namespace
            && name.startsWith(`${workload.name}-`) && replicaSetSuffix.test(name.slice(workload.name.length))) : undefined;
        return deployment ? { kind: "name", namespace, name: deployment.name, workloadKind: "Deployment" } : { kind: "name", namespace, name, workloadKind: kind };
    }
}
