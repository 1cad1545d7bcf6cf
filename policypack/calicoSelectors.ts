import { canonical, parseSelector, selectorMatches } from "../analysis/calicoSelector";

/**
 * Calico selectors as the rules read them from objects. An absent selector is `all()`; a
 * selector that does not parse selects nothing here — Calico itself rejects such an object, so
 * it cannot widen what is allowed.
 */

/** Whether `selector` selects an endpoint with `labels`. */
export function selects(selector: string | undefined, labels: Record<string, string>): boolean {
    try {
        return selectorMatches(selector ?? "all()", labels);
    } catch {
        return false;
    }
}

/** Whether `selector` selects every endpoint, whatever its labels. */
export function selectsEverything(selector: string | undefined): boolean {
    try {
        return selector === undefined || canonical(parseSelector(selector)) === "all()";
    } catch {
        return false;
    }
}
