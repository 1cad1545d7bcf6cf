/**
 * The address blocks of Istio AuthorizationPolicy (`ipBlocks`, `remoteIpBlocks` and their
 * `not*` forms, `when` on `source.ip` / `remote.ip`): an address or a CIDR, IPv4 or IPv6.
 * External traffic is reported as IPv4 ranges, so an IPv6 block matches none of them.
 */
import * as ipaddr from "ipaddr.js";
import { IntervalSet } from "../netpol/intervals";

export function addressBlock(text: string): IntervalSet {
    const cidr = text.includes("/") ? text : ipaddr.IPv6.isValid(text) && !ipaddr.IPv4.isValid(text) ? `${text}/128` : `${text}/32`;
    if (ipaddr.IPv6.isValidCIDR(cidr)) {
        return IntervalSet.empty;
    }
    if (!ipaddr.IPv4.isValidCIDRFourPartDecimal(cidr)) {
        throw new Error(`${JSON.stringify(text)} is not an IP address or CIDR`);
    }
    const [address, prefix] = ipaddr.IPv4.parseCIDR(cidr);
    const size = 2 ** (32 - prefix);
    const first = Math.floor(address.octets.reduce((value, octet) => value * 256 + octet, 0) / size) * size;
    return IntervalSet.range(first, first + size - 1);
}

export function addressBlocks(texts: readonly string[]): IntervalSet {
    return texts.reduce((set, text) => set.union(addressBlock(text)), IntervalSet.empty);
}
