/**
 * Sets of integers kept as sorted, disjoint, non-adjacent inclusive intervals. Port sets and
 * IPv4 address sets are both built on this, so the set algebra is written (and tested) once.
 */

/** An inclusive range `[start, end]` of integers. */
export interface Interval {
    readonly start: number;
    readonly end: number;
}

export class IntervalSet {
    static readonly empty = new IntervalSet([]);

    /** `intervals` must already be canonical; use `IntervalSet.of` otherwise. */
    private constructor(readonly intervals: readonly Interval[]) {}

    static range(start: number, end: number): IntervalSet {
        return start > end ? IntervalSet.empty : new IntervalSet([{ start, end }]);
    }

    /** Sorts, and merges overlapping or adjacent intervals. */
    static of(intervals: Iterable<Interval>): IntervalSet {
        const sorted = [...intervals].filter((i) => i.start <= i.end).sort((a, b) => a.start - b.start);
        const merged: Interval[] = [];
        for (const interval of sorted) {
            const last = merged[merged.length - 1];
            if (last && interval.start <= last.end + 1) {
                merged[merged.length - 1] = { start: last.start, end: Math.max(last.end, interval.end) };
            } else {
                merged.push(interval);
            }
        }
        return new IntervalSet(merged);
    }

    isEmpty(): boolean {
        return this.intervals.length === 0;
    }

    equals(other: IntervalSet): boolean {
        return this.intervals.length === other.intervals.length
            && this.intervals.every((interval, i) => interval.start === other.intervals[i].start && interval.end === other.intervals[i].end);
    }

    /** Binary search: ipBlock rules can hold hundreds of intervals. */
    contains(value: number): boolean {
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

    union(other: IntervalSet): IntervalSet {
        if (other.isEmpty()) {
            return this;
        }
        return this.isEmpty() ? other : IntervalSet.of([...this.intervals, ...other.intervals]);
    }

    intersect(other: IntervalSet): IntervalSet {
        const result: Interval[] = [];
        let i = 0;
        let j = 0;
        while (i < this.intervals.length && j < other.intervals.length) {
            const a = this.intervals[i];
            const b = other.intervals[j];
            const start = Math.max(a.start, b.start);
            const end = Math.min(a.end, b.end);
            if (start <= end) {
                result.push({ start, end });
            }
            if (a.end < b.end) {
                i++;
            } else {
                j++;
            }
        }
        return new IntervalSet(result);
    }

    subtract(other: IntervalSet): IntervalSet {
        const result: Interval[] = [];
        for (const interval of this.intervals) {
            let start = interval.start;
            for (const hole of other.intervals) {
                if (hole.end < start || hole.start > interval.end) {
                    continue;
                }
                if (hole.start > start) {
                    result.push({ start, end: hole.start - 1 });
                }
                start = hole.end + 1;
            }
            if (start <= interval.end) {
                result.push({ start, end: interval.end });
            }
        }
        return new IntervalSet(result);
    }

    /**
     * The first value of each maximal interval of a canonical set and the value after its end:
     * the points where membership in this set changes.
     */
    boundaries(): number[] {
        return this.intervals.flatMap((interval) => [interval.start, interval.end + 1]);
    }
}
