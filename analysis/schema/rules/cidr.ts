/** CIDR checks shared by the Kubernetes, Calico and Istio rules (ipaddr.js parses). */
import * as ipaddr from "ipaddr.js";
import { Problem } from "./problems";

/**
 * ipaddr.js reads an IPv6 zone (`fe80::1%eth0`), which Go's net.ParseCIDR and netip.ParsePrefix
 * (the API server's, Calico's and istiod's parsers) refuse: a zone names an interface of one
 * host, not a network.
 */
const hasZone = (text: string) => text.includes("%");

/**
 * Each family's own parser: ipaddr.parseCIDR tries IPv6 first and reads IPv4 only after that
 * throws, which cost a thrown error per IPv4 CIDR (most of what a large cluster's ipBlocks are).
 */
function parse(cidr: string): [ipaddr.IPv4 | ipaddr.IPv6, number] | undefined {
    if (ipaddr.IPv4.isValidCIDRFourPartDecimal(cidr)) {
        return ipaddr.IPv4.parseCIDR(cidr);
    }
    return ipaddr.IPv6.isValidCIDR(cidr) && !hasZone(cidr) ? ipaddr.IPv6.parseCIDR(cidr) : undefined;
}

/** `value` must be an IPv4 or IPv6 CIDR; with `within`, a strict subset of that CIDR (an ipBlock's `except`). */
export function cidrProblem(value: unknown, at: string, within?: string): Problem {
    const parsed = typeof value === "string" ? parse(value) : undefined;
    if (parsed === undefined) {
        return typeof value === "string" && hasZone(value)
            ? `${at}: ${JSON.stringify(value)} has an IPv6 zone ("%..."), which names an interface of one host; give the address or CIDR without it`
            : `${at}: ${JSON.stringify(value)} is not a CIDR (IPv4 a.b.c.d/n or IPv6 x:y::z/n)`;
    }
    const outer = within === undefined ? undefined : parse(within);
    if (outer !== undefined && (parsed[0].kind() !== outer[0].kind() || parsed[1] <= outer[1] || !parsed[0].match(outer))) {
        return `${at}: ${value} must lie strictly inside cidr ${within}`;
    }
    return undefined;
}

/** An address or a CIDR (Istio's ipBlocks and Calico's nets take both). */
export function addressOrCidrProblem(value: unknown, at: string): Problem {
    return typeof value === "string" && (ipaddr.IPv4.isValidFourPartDecimal(value) || (ipaddr.IPv6.isValid(value) && !hasZone(value))) ? undefined : cidrProblem(value, at);
}
