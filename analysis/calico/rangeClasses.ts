/**
 * The state of one direction's evaluation for every External range at once, kept per class of
 * ranges in the same state rather than per range: a rule is applied to the ranges its addresses
 * hold (or, when that is most of them, to every class but the few it leaves out), and ranges
 * whose states become equal fall into one class again. With a policy per address, each range
 * meets only its own rules, and the rules that every range meets run once per class; the
 * classes are the distinct states, a handful where rules share their ports and actions.
 *
 * Ranges are numbered by position (netpol/rangeIndex.ts); classes are merged with union-find.
 */
import { IntervalSet } from "../netpol/intervals";
import { positionCount } from "../netpol/rangeIndex";

export class RangeClasses<S> {
    /** A class of each position: follow `parent` to the class that holds it now. */
    private readonly classOf: Int32Array;
    private readonly parent: number[] = [];
    private readonly states: S[] = [];
    private readonly keys: string[] = [];
    private readonly sizes: number[] = [];
    /** The classes holding positions, one per distinct state, by its key. */
    private live = new Map<string, number>();

    /** `keyOf` spells a state so that equal states, and only they, have the same key. */
    constructor(private readonly count: number, initial: S, private readonly keyOf: (state: S) => string) {
        this.classOf = new Int32Array(count);
        if (count > 0) {
            this.settle(this.newClass(initial, count));
        }
    }

    /** Applies `step` to the state of each position in `positions`. */
    apply(positions: IntervalSet, step: (state: S) => S): void {
        const held = positionCount(positions);
        if (held === 0) {
            return;
        }
        if (held > this.count / 2) {
            this.applyAllBut(IntervalSet.range(0, this.count - 1).subtract(positions), step);
            return;
        }
        this.detach(positions, step, false).forEach((fresh) => this.settle(fresh));
    }

    /** Applies `step` to the state of every position but those in `except`. */
    applyAllBut(except: IntervalSet, step: (state: S) => S): void {
        // The positions left out keep their states in classes of their own until the step is done.
        const kept = this.detach(except, step, true);
        const classes = [...this.live.values()];
        this.live = new Map();
        for (const root of classes) {
            const next = step(this.states[root]);
            if (next !== this.states[root]) {
                this.states[root] = next;
                this.keys[root] = this.keyOf(next);
            }
            this.settle(root);
        }
        kept.forEach((fresh) => this.settle(fresh));
    }

    /** The state of each position, in order. */
    all(): S[] {
        return Array.from(this.classOf, (id) => this.states[this.find(id)]);
    }

    /** The states of the classes holding positions. */
    distinct(): S[] {
        return [...this.live.values()].map((root) => this.states[root]);
    }

    /**
     * Moves the positions into new classes, one per class they leave, in `step`'s state of it
     * (`keep`: in its own state); a class that `step` leaves as it is keeps its positions.
     * Returns the new classes, not yet live.
     */
    private detach(positions: IntervalSet, step: (state: S) => S, keep: boolean): number[] {
        const fresh = new Map<number, number>();
        const unchanged = new Set<number>();
        for (const { start, end } of positions.intervals) {
            for (let position = start; position <= end; position++) {
                const root = this.find(this.classOf[position]);
                if (unchanged.has(root)) {
                    continue;
                }
                let target = fresh.get(root);
                if (target === undefined) {
                    const next = step(this.states[root]);
                    if (next === this.states[root]) {
                        unchanged.add(root);
                        continue;
                    }
                    target = this.newClass(keep ? this.states[root] : next, 0);
                    fresh.set(root, target);
                }
                this.classOf[position] = target;
                this.sizes[target]++;
                if (--this.sizes[root] === 0 && this.live.get(this.keys[root]) === root) {
                    this.live.delete(this.keys[root]);
                }
            }
        }
        return [...fresh.values()];
    }

    private newClass(state: S, size: number): number {
        const id = this.states.length;
        this.parent.push(id);
        this.states.push(state);
        this.keys.push(this.keyOf(state));
        this.sizes.push(size);
        return id;
    }

    /** Makes a class live, merging it into the live class of the same state if there is one. */
    private settle(root: number): void {
        if (this.sizes[root] === 0) {
            return;
        }
        const same = this.live.get(this.keys[root]);
        if (same === undefined) {
            this.live.set(this.keys[root], root);
        } else if (same !== root) {
            this.parent[root] = same;
            this.sizes[same] += this.sizes[root];
        }
    }

    private find(id: number): number {
        let root = id;
        while (this.parent[root] !== root) {
            root = this.parent[root];
        }
        while (this.parent[id] !== root) {
            const next = this.parent[id];
            this.parent[id] = root;
            id = next;
        }
        return root;
    }
}
