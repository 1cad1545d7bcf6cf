import { ConnectionSet } from "./netpol/ports";

/** A destination a source may reach, with what it may send there. */
export interface RowEntry<P> {
    readonly dst: P;
    readonly allowed: ConnectionSet;
}

/**
 * The rows of the connectivity matrix, shared by the Kubernetes-only and the Calico-ordered
 * engines. Destinations that policy cannot tell apart (the same unit) are grouped once, here,
 * so that a row evaluates each unit once and touches its peers only when something is
 * allowed: denied pairs, most pairs in a policed cluster, cost one evaluation per unit.
 * External-to-External pairs are not traffic the cluster sees and are skipped.
 */
export class ReachableRows<P extends { readonly kind: string }, U> {
    private readonly units: Map<U, readonly { readonly peer: P; readonly index: number }[]>;
    /**
     * The same without External peers, for External sources: a row of External is not made to
     * walk past every External range (as many as the policies' address blocks cut).
     */
    private readonly internalUnits = new Map<U, readonly { readonly peer: P; readonly index: number }[]>();

    constructor(destinations: readonly P[], unitOf: (peer: P) => U) {
        const byUnit = new Map<U, { peer: P; index: number }[]>();
        destinations.forEach((peer, index) => {
            const unit = unitOf(peer);
            const peers = byUnit.get(unit);
            if (peers) {
                peers.push({ peer, index });
            } else {
                byUnit.set(unit, [{ peer, index }]);
            }
        });
        this.units = byUnit;
        for (const [unit, peers] of byUnit) {
            const internal = peers.filter(({ peer }) => peer.kind !== "external");
            if (internal.length > 0) {
                this.internalUnits.set(unit, internal);
            }
        }
    }

    /**
     * The destinations `src` may reach, in the order the destinations were given. `only`, when
     * given, are the units to evaluate: it must hold every unit that `evaluate` would allow
     * something to (an index of the rules finds them without trying every unit).
     */
    row(src: P, evaluate: (src: P, dst: P) => ConnectionSet, only?: Iterable<U>): RowEntry<P>[] {
        const reached: { dst: P; allowed: ConnectionSet; index: number }[] = [];
        const units = src.kind === "external" ? this.internalUnits : this.units;
        for (const unit of only ?? units.keys()) {
            const candidates = units.get(unit) ?? [];
            if (candidates.length === 0) {
                continue;
            }
            const allowed = evaluate(src, candidates[0].peer);
            if (!allowed.isEmpty()) {
                reached.push(...candidates.map(({ peer, index }) => ({ dst: peer, allowed, index })));
            }
        }
        return reached.sort((a, b) => a.index - b.index).map(({ dst, allowed }) => ({ dst, allowed }));
    }
}
