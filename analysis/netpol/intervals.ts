/**
 * Sets of integers kept as sorted, disjoint, non-adjacent inclusive intervals. Port sets and
 * address sets are all built on this, so the set algebra is written (and tested) once. Values
 * are numbers (ports, IPv4 addresses) or, where 53 bits do not suffice, bigints (IPv6
 * addresses); one set holds one of the two.
 */

/** A value of an interval: a number, or a bigint for IPv6 addresses. */
export type Point = number | bigint;

/** An inclusive range `[start, end]` of integers. */
export interface Interval<T extends Point = number> {
    readonly start: T;
    readonly end: T;
}

/** `value + 1` and `value - 1` in the value's own type (number and bigint do not mix). */
function next<T extends Point>(value: T): T {
    return (typeof value === "bigint" ? value + 1n : (value as number) + 1) as T;
}

function previous<T extends Point>(value: T): T {
    return (typeof value === "bigint" ? value - 1n : (value as number) - 1) as T;
}

export class IntervalSet<T extends Point = number> {
    static readonly empty: IntervalSet<any> = new IntervalSet<any>([]);

    /** `intervals` must already be canonical; use `IntervalSet.of` otherwise. */
    private constructor(readonly intervals: readonly Interval<T>[]) {}

    static range<T extends Point = number>(start: T, end: T): IntervalSet<T> {
        return start > end ? IntervalSet.empty : new IntervalSet<T>([{ start, end }]);
    }

    /** Sorts, and merges overlapping or adjacent intervals. */
    static of<T extends Point = number>(intervals: Iterable<Interval<T>>): IntervalSet<T> {
        const sorted = [...intervals].filter((i) => i.start <= i.end).sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
        const merged: Interval<T>[] = [];
        for (const interval of sorted) {
            const last = merged[merged.length - 1];
            if (last && interval.start <= next(last.end)) {
                merged[merged.length - 1] = { start: last.start, end: last.end > interval.end ? last.end : interval.end };
            } else {
                merged.push(interval);
            }
        }
        return new IntervalSet<T>(merged);
    }

    isEmpty(): boolean {
        return this.intervals.length === 0;
    }

    equals(other: IntervalSet<T>): boolean {
        return this.intervals.length === other.intervals.length
            && this.intervals.every((interval, i) => interval.start === other.intervals[i].start && interval.end === other.intervals[i].end);
    }

    /** Binary search: ipBlock rules can hold hundreds of intervals. */
    contains(value: T): boolean {
        let low = 0;
        let high = this.intervals.length - 1;
        while (low <= high) {
            const middle = (low + high) >> 1;
            const interval = this.intervals[middle];
            if (value < interval.start) {
                high = middle - 1;
            } else if (value > interval.end) {
                low = middle + 1;
            } else {
                return true;
            }
        }
        return false;
    }

    union(other: IntervalSet<T>): IntervalSet<T> {
        if (other.isEmpty()) {
            return this;
        }
        return this.isEmpty() ? other : IntervalSet.of([...this.intervals, ...other.intervals]);
    }

    intersect(other: IntervalSet<T>): IntervalSet<T> {
        const result: Interval<T>[] = [];
        let i = 0;
        let j = 0;
        while (i < this.intervals.length && j < other.intervals.length) {
            const a = this.intervals[i];
            const b = other.intervals[j];
            const start = a.start > b.start ? a.start : b.start;
            const end = a.end < b.end ? a.end : b.end;
            if (start <= end) {
                result.push({ start, end });
            }
            if (a.end < b.end) {
                i++;
            } else {
                j++;
            }
        }
        return new IntervalSet<T>(result);
    }

    subtract(other: IntervalSet<T>): IntervalSet<T> {
        const result: Interval<T>[] = [];
        for (const interval of this.intervals) {
            let start = interval.start;
            for (const hole of other.intervals) {
                if (hole.end < start || hole.start > interval.end) {
                    continue;
                }
                if (hole.start > start) {
                    result.push({ start, end: previous(hole.start) });
                }
                start = next(hole.end);
            }
            if (start <= interval.end) {
                result.push({ start, end: interval.end });
            }
        }
        return new IntervalSet<T>(result);
    }

    /**
     * The first value of each maximal interval of a canonical set and the value after its end:
     * the points where membership in this set changes.
     */
    boundaries(): T[] {
        return this.intervals.flatMap((interval) => [interval.start, next(interval.end)]);
    }
}
