import * as k8s from "@pulumi/kubernetes";
import { WorkloadIdentity, networkPolicyPeer } from "../identity";
import { platformEgressRules } from "../networkPolicyRules";
import { MeshServiceArgs } from "./args";
import { podPort, selectPorts } from "./endpoint";
import { admittedCallers } from "./intent";
import { MeshEndpoint, ServicePort } from "./types";

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;

function tcpPorts(ports: readonly ServicePort[]) {
    return ports.map((port) => ({ protocol: "TCP", port: podPort(port) }));
}

function ingressFrom(identity: WorkloadIdentity, ports: readonly ServicePort[]) {
    return { from: [networkPolicyPeer(identity)], ports: tcpPorts(ports) };
}

/**
 * The Layer 3/4 half of a service's declared traffic: ingress from each declared caller on the
 * rule's ports, from the gateway on the public port and from monitoring on metrics ports;
 * egress to each dependency, DNS and istiod. Everything else stays denied by the namespace's
 * default-deny.
 */
export function serviceNetworkPolicySpec(endpoint: MeshEndpoint, args: MeshServiceArgs): NetworkPolicySpec {
    const ingress = admittedCallers(endpoint, args).map((caller) => ingressFrom(caller.identity, caller.ports));
    const egress = [
        ...(args.dependencies ?? []).map((dependency) => ({
            to: [networkPolicyPeer(dependency.to)],
            ports: tcpPorts(selectPorts(dependency.to.ports, dependency.ports)),
        })),
        ...platformEgressRules(),
    ];
    return {
        podSelector: { matchLabels: { ...endpoint.podLabels } },
        policyTypes: ["Ingress", "Egress"],
        ingress,
        egress,
    };
}

/**
 * The gateway side of a public route: egress from the gateway's pods to this service's public
 * port. It lives in the gateway's namespace, since egress is enforced at the caller.
 */
export function gatewayEgressSpec(endpoint: Pick<WorkloadIdentity, "namespace" | "podLabels">, gateway: WorkloadIdentity, port: ServicePort): NetworkPolicySpec {
    return {
        podSelector: { matchLabels: { ...gateway.podLabels } },
        policyTypes: ["Egress"],
        egress: [{ to: [networkPolicyPeer(endpoint)], ports: tcpPorts([port]) }],
    };
}
