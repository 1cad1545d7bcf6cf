import { ConnectionSet } from "./netpol/ports";

/** A destination a source may reach, with what it may send there. */
export interface RowEntry<P> {
    readonly dst: P;
    readonly allowed: ConnectionSet;
}

/**
 * The destinations `src` may reach, in the order given. Destinations that policy cannot tell
 * apart (the same `unitOf`) are evaluated once; External-to-External pairs are not traffic the
 * cluster sees and are skipped; denied pairs are left out, as they are most pairs in a policed
 * cluster. Shared by the Kubernetes-only and the Calico-ordered engines.
 */
export function reachableRow<P extends { readonly kind: string }, U>(
    src: P,
    destinations: readonly P[],
    unitOf: (peer: P) => U,
    evaluate: (src: P, dst: P) => ConnectionSet,
): RowEntry<P>[] {
    const byUnit = new Map<U, ConnectionSet>();
    const row: RowEntry<P>[] = [];
    for (const dst of destinations) {
        if (src.kind === "external" && dst.kind === "external") {
            continue;
        }
        let allowed = byUnit.get(unitOf(dst));
        if (!allowed) {
            allowed = evaluate(src, dst);
            byUnit.set(unitOf(dst), allowed);
        }
        if (!allowed.isEmpty()) {
            row.push({ dst, allowed });
        }
    }
    return row;
}
