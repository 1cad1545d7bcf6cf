/**
 * Felix's failsafe ports: traffic to and from a host endpoint that Felix allows whatever the
 * policy says, so that a wrong policy cannot cut a node off. These are the defaults of
 * FelixConfiguration `failsafeInboundHostPorts` / `failsafeOutboundHostPorts` (CRD
 * descriptions of Calico v3.32); a cluster that changes them is not modelled.
 */
import { IntervalSet } from "../netpol/intervals";
import { ConnectionSet, Protocol } from "../netpol/ports";

const ports = (list: readonly [Protocol, number][]) =>
    list.reduce((set, [protocol, port]) => set.union(ConnectionSet.of(protocol, IntervalSet.range(port, port))), ConnectionSet.none);

const shared: [Protocol, number][] = [["TCP", 179], ["TCP", 2379], ["TCP", 2380], ["TCP", 5473], ["TCP", 6443], ["TCP", 6666], ["TCP", 6667]];

/** By direction of the host endpoint: ingress (inbound) and egress (outbound). */
export const failsafe: Readonly<Record<"ingress" | "egress", ConnectionSet>> = {
    ingress: ports([["TCP", 22], ["UDP", 68], ...shared]),
    egress: ports([["UDP", 53], ["UDP", 67], ...shared]),
};
