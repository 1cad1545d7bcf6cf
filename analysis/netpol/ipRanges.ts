/**
 * Address sets for `ipBlock` peers, and the ranges the analyzer reports traffic from or to
 * outside the cluster under: `a.b.c.d-e.f.g.h[External]` for IPv4 and, in dual-stack clusters
 * whose policies name IPv6 blocks, `x::y-x::z[External]` for IPv6 (netpol-analyzer has no IPv6
 * spelling to follow: np-guard/netpol-analyzer#47 is open; this is its IPv4 pattern with RFC
 * 5952 addresses). An IPv4 address is a number, an IPv6 address a bigint (128 bits do not fit
 * a number); one IntervalSet holds one family.
 */
import * as ipaddr from "ipaddr.js";
import { Interval, IntervalSet, Point } from "./intervals";

/** An address outside the cluster: a number for IPv4, a bigint for IPv6. */
export type Address = Point;

/** The addresses of an ipBlock, per family. */
export interface AddressSet {
    readonly v4: IntervalSet;
    readonly v6: IntervalSet<bigint>;
}

const v4Size = 2 ** 32;
const v6Size = 1n << 128n;

/** The addresses of a CIDR; host bits are ignored, as Kubernetes' own parser does. */
function cidrAddresses(cidr: string): AddressSet {
    if (ipaddr.IPv4.isValidCIDRFourPartDecimal(cidr)) {
        const [address, prefix] = ipaddr.IPv4.parseCIDR(cidr);
        const size = 2 ** (32 - prefix);
        const first = Math.floor(address.octets.reduce((value, octet) => value * 256 + octet, 0) / size) * size;
        return { v4: IntervalSet.range(first, first + size - 1), v6: IntervalSet.empty };
    }
    if (ipaddr.IPv6.isValidCIDR(cidr)) {
        const [address, prefix] = ipaddr.IPv6.parseCIDR(cidr);
        const size = 1n << BigInt(128 - prefix);
        const first = (toBigInt(address.toByteArray()) / size) * size;
        return { v4: IntervalSet.empty, v6: IntervalSet.range(first, first + size - 1n) };
    }
    throw new Error(`${JSON.stringify(cidr)} is not a CIDR (IPv4 a.b.c.d/n or IPv6 x:y::z/n)`);
}

/** An `ipBlock`'s addresses, of either family: its `cidr` less every `except`. */
export function ipBlockAddressSet(block: { cidr?: unknown; except?: unknown }): AddressSet {
    if (typeof block.cidr !== "string") {
        throw new Error("ipBlock has no cidr");
    }
    const except = Array.isArray(block.except) ? block.except : [];
    return except.reduce((addresses: AddressSet, hole: unknown) => {
        const removed = cidrAddresses(String(hole));
        return { v4: addresses.v4.subtract(removed.v4), v6: addresses.v6.subtract(removed.v6) };
    }, cidrAddresses(block.cidr));
}

/** No address of either family. */
export const noAddresses: AddressSet = { v4: IntervalSet.empty, v6: IntervalSet.empty };

export function addressesEmpty(set: AddressSet): boolean {
    return set.v4.isEmpty() && set.v6.isEmpty();
}

export function unionAddresses(a: AddressSet, b: AddressSet): AddressSet {
    return { v4: a.v4.union(b.v4), v6: a.v6.union(b.v6) };
}

/** Whether `address` (a number for IPv4, a bigint for IPv6) is in the set of its family. */
export function addressesContain(set: AddressSet, address: Address): boolean {
    return typeof address === "bigint" ? set.v6.contains(address) : set.v4.contains(address);
}

/** Whether two sets share an address. */
export function addressesOverlap(a: AddressSet, b: AddressSet): boolean {
    return !a.v4.intersect(b.v4).isEmpty() || !a.v6.intersect(b.v6).isEmpty();
}

/**
 * Addresses or CIDRs of either family as one set, as Calico `nets` and Istio address blocks
 * take them: a bare address is a single one (`/32` or `/128`). Errors name `field`.
 */
export function addressBlocks(texts: readonly string[], field: string): AddressSet {
    return texts.map((text) => {
        const cidr = text.includes("/") ? text : ipaddr.IPv4.isValidFourPartDecimal(text) ? `${text}/32` : ipaddr.IPv6.isValid(text) ? `${text}/128` : undefined;
        if (cidr === undefined || !(ipaddr.IPv4.isValidCIDRFourPartDecimal(cidr) || ipaddr.IPv6.isValidCIDR(cidr))) {
            throw new Error(`${field}: ${JSON.stringify(text)} is not an IP address or CIDR`);
        }
        return cidrAddresses(cidr);
    }).reduce(unionAddresses, noAddresses);
}

/**
 * The External ranges that address sets cut the address space into: the IPv4 space always,
 * the IPv6 space when some set holds IPv6 addresses or `withIpv6` asks for it (so IPv4-only
 * input lists exactly what the analyzer lists).
 */
export function externalRanges(cuts: readonly AddressSet[], withIpv6 = false): Interval<Address>[] {
    const cuts6 = cuts.map((set) => set.v6).filter((set) => !set.isEmpty());
    return [...disjointRanges(cuts.map((set) => set.v4)), ...(withIpv6 || cuts6.length > 0 ? disjointRanges6(cuts6) : [])];
}

/**
 * Cuts the IPv4 space at every point where membership in one of `blocks` changes. Each
 * resulting range lies entirely inside or entirely outside each block, so one address of it
 * decides whether a rule admits it; these are the External peers the analyzer reports, and
 * with no blocks at all there is a single one, 0.0.0.0-255.255.255.255.
 */
function disjointRanges(blocks: readonly IntervalSet[]): Interval[] {
    return cut(blocks, 0, v4Size);
}

/** The same for the IPv6 space; with no blocks, the single range ::-ffff:...:ffff. */
function disjointRanges6(blocks: readonly IntervalSet<bigint>[]): Interval<bigint>[] {
    return cut(blocks, 0n, v6Size);
}

function cut<T extends Point>(blocks: readonly IntervalSet<T>[], first: T, end: T): Interval<T>[] {
    const cuts = new Set<T>([first, end]);
    blocks.forEach((block) => block.boundaries().forEach((boundary) => cuts.add(boundary)));
    const sorted = [...cuts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return sorted.slice(1).map((after, i) => ({ start: sorted[i], end: (typeof after === "bigint" ? after - 1n : (after as number) - 1) as T }));
}

/** The first address of a range as `formatRange` spells it (`a.b.c.d-...` or `x::y-...`); undefined if it is none. */
export function rangeStart(text: string): Address | undefined {
    return parseAddress(text.slice(0, text.indexOf("-")));
}

/** An IPv4 address (`a.b.c.d`) as a number, an IPv6 one as a bigint; undefined if `text` is neither. */
export function parseAddress(text: string): Address | undefined {
    if (ipaddr.IPv4.isValidFourPartDecimal(text)) {
        return ipaddr.IPv4.parse(text).octets.reduce((value, octet) => value * 256 + octet, 0);
    }
    return ipaddr.IPv6.isValid(text) ? toBigInt(ipaddr.IPv6.parse(text).toByteArray()) : undefined;
}

/** `a.b.c.d-e.f.g.h`, the analyzer's spelling, also for a single address; IPv6 in RFC 5952's short form. */
export function formatRange(range: Interval<Address>): string {
    return `${formatAddress(range.start)}-${formatAddress(range.end)}`;
}

function formatAddress(address: Address): string {
    if (typeof address === "number") {
        return [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256).join(".");
    }
    const bytes = Array.from({ length: 16 }, (_, i) => Number((address >> BigInt(8 * (15 - i))) & 0xffn));
    return ipaddr.fromByteArray(bytes).toString();
}

function toBigInt(bytes: readonly number[]): bigint {
    return bytes.reduce((value, byte) => (value << 8n) | BigInt(byte), 0n);
}
