import * as k8s from "@pulumi/kubernetes";
import { networkPolicyPeer } from "./identity";
import { istioPorts, istiod, kubeDns } from "../common/wellKnown";

type EgressRule = k8s.types.input.networking.v1.NetworkPolicyEgressRule;

/**
 * The egress every meshed pod needs, as Kubernetes NetworkPolicy rules: DNS to kube-dns (UDP
 * and TCP, since large answers fall back to TCP) and the sidecar's xDS/certificate channel to
 * istiod. Calico's baseline allows the same cluster-wide; repeating it per workload keeps the
 * policy correct on CNIs that only enforce Kubernetes NetworkPolicy.
 */
export function platformEgressRules(): EgressRule[] {
    return [
        kubeDnsEgressRule(),
        {
            to: [networkPolicyPeer(istiod)],
            ports: [{ protocol: "TCP", port: istioPorts.xds }],
        },
    ];
}

/** Egress to kube-dns, UDP and TCP (large answers fall back to TCP). */
export function kubeDnsEgressRule(): EgressRule {
    return {
        to: [networkPolicyPeer(kubeDns)],
        ports: [
            { protocol: "UDP", port: kubeDns.port },
            { protocol: "TCP", port: kubeDns.port },
        ],
    };
}
