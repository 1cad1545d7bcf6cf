/**
 * External ranges by position, so that a rule's address set finds the ranges it holds by binary
 * search instead of every range asking every rule: with a policy per address, the ranges grow
 * with the policies, and asking each range of each rule grew with their square. Positions are
 * numbered IPv4 ranges first, then IPv6, each family by address; a set of positions is an
 * IntervalSet of them, so the set algebra is the one addresses and ports use.
 */
import { Interval, IntervalSet } from "./intervals";
import { Address, AddressSet } from "./ipRanges";

export class RangeIndex<R extends { readonly range: Interval<Address> }> {
    /** The items, IPv4 ranges by address, then IPv6 ranges by address. */
    readonly items: readonly R[];
    private readonly v4Starts: number[];
    private readonly v6Starts: bigint[];
    private readonly positions = new Map<Interval<Address>, number>();

    constructor(items: readonly R[]) {
        const v4 = items.filter((item) => typeof item.range.start === "number").sort((a, b) => (a.range.start as number) - (b.range.start as number));
        const v6 = items.filter((item) => typeof item.range.start === "bigint").sort((a, b) => (a.range.start < b.range.start ? -1 : a.range.start > b.range.start ? 1 : 0));
        this.items = [...v4, ...v6];
        this.v4Starts = v4.map((item) => item.range.start as number);
        this.v6Starts = v6.map((item) => item.range.start as bigint);
        this.items.forEach((item, position) => this.positions.set(item.range, position));
    }

    get size(): number {
        return this.items.length;
    }

    /** The position of a range of these items; undefined for another range. */
    positionOf(range: Interval<Address>): number | undefined {
        return this.positions.get(range);
    }

    /** Every position. */
    all(): IntervalSet {
        return IntervalSet.range(0, this.items.length - 1);
    }

    /** The positions of one family's ranges. */
    family(version: 4 | 6): IntervalSet {
        return version === 4 ? IntervalSet.range(0, this.v4Starts.length - 1) : IntervalSet.range(this.v4Starts.length, this.items.length - 1);
    }

    /**
     * The positions of the ranges whose first address is in `set`: those inside it, as the
     * ranges are cut at its boundaries (ipRanges.ts externalRanges), so one address decides.
     */
    within(set: AddressSet): IntervalSet {
        const runs = (starts: readonly Address[], intervals: readonly Interval<Address>[], offset: number) => intervals.map((interval) => ({
            start: offset + firstAtLeast(starts, interval.start),
            end: offset + firstAtLeast(starts, interval.end, true) - 1,
        }));
        return IntervalSet.of([...runs(this.v4Starts, set.v4.intervals, 0), ...runs(this.v6Starts, set.v6.intervals, this.v4Starts.length)]);
    }
}

/** The index of the first of the sorted `values` that is at least `value` (with `after`, greater than it); their length if none is. */
function firstAtLeast(values: readonly Address[], value: Address, after = false): number {
    let low = 0;
    let high = values.length;
    while (low < high) {
        const middle = (low + high) >> 1;
        if (values[middle] < value || (after && values[middle] === value)) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    return low;
}

/** How many positions a set holds. */
export function positionCount(positions: IntervalSet): number {
    return positions.intervals.reduce((count, interval) => count + interval.end - interval.start + 1, 0);
}
