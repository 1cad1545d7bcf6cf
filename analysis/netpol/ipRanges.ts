/**
 * IPv4 address sets for `ipBlock` peers, and the ranges the analyzer reports traffic from or
 * to outside the cluster under (`a.b.c.d-e.f.g.h[External]`).
 */
import * as ipaddr from "ipaddr.js";
import { Interval, IntervalSet } from "./intervals";

const addressCount = 2 ** 32;

/** The addresses of an IPv4 CIDR; host bits are ignored, as Kubernetes' own parser does. */
function cidrAddresses(cidr: string): IntervalSet {
    if (ipaddr.IPv6.isValidCIDR(cidr)) {
        throw new Error(`IPv6 ipBlock ${JSON.stringify(cidr)} is not supported (only IPv4)`);
    }
    if (!ipaddr.IPv4.isValidCIDRFourPartDecimal(cidr)) {
        throw new Error(`${JSON.stringify(cidr)} is not an IPv4 CIDR`);
    }
    const [address, prefix] = ipaddr.IPv4.parseCIDR(cidr);
    const size = 2 ** (32 - prefix);
    const first = Math.floor(toNumber(address.octets) / size) * size;
    return IntervalSet.range(first, first + size - 1);
}

/** An `ipBlock`: its `cidr` less every `except`. */
export function ipBlockAddresses(block: { cidr?: unknown; except?: unknown }): IntervalSet {
    if (typeof block.cidr !== "string") {
        throw new Error("ipBlock has no cidr");
    }
    const except = Array.isArray(block.except) ? block.except : [];
    return except.reduce((addresses: IntervalSet, hole: unknown) => addresses.subtract(cidrAddresses(String(hole))), cidrAddresses(block.cidr));
}

/**
 * Cuts the whole address space at every point where membership in one of `blocks` changes.
 * Each resulting range lies entirely inside or entirely outside each block, so one address of
 * it decides whether a rule admits it; these are the External peers the analyzer reports,
 * and with no blocks at all there is a single one, 0.0.0.0-255.255.255.255.
 */
export function disjointRanges(blocks: readonly IntervalSet[]): Interval[] {
    const cuts = new Set<number>([0, addressCount]);
    blocks.forEach((block) => block.boundaries().forEach((cut) => cuts.add(cut)));
    const sorted = [...cuts].sort((a, b) => a - b);
    return sorted.slice(1).map((next, i) => ({ start: sorted[i], end: next - 1 }));
}

/** `a.b.c.d-e.f.g.h`, the analyzer's spelling, also for a single address. */
export function formatRange(range: Interval): string {
    return `${toDotted(range.start)}-${toDotted(range.end)}`;
}

function toNumber(octets: readonly number[]): number {
    return octets.reduce((value, octet) => value * 256 + octet, 0);
}

function toDotted(address: number): string {
    return [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256).join(".");
}
