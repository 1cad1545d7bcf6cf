/**
 * The shape of the validation rules that no schema expresses: each rule returns the first
 * problem of an object as "field.path: problem", or undefined when it holds.
 */
export type Problem = string | undefined;

/** The first problem of several checks, each run only if those before it passed. */
export function firstProblem(...checks: Array<() => Problem>): Problem {
    for (const check of checks) {
        const problem = check();
        if (problem !== undefined) {
            return problem;
        }
    }
    return undefined;
}

/** The first problem among a list's items; `check` gets each item with its path. */
export function eachProblem<T>(items: readonly T[] | undefined, path: string, check: (item: T, at: string) => Problem): Problem {
    for (const [index, item] of (items ?? []).entries()) {
        const problem = check(item, `${path}[${index}]`);
        if (problem !== undefined) {
            return problem;
        }
    }
    return undefined;
}

export type Mapping = Record<string, any>;

/** A valid TCP/UDP/SCTP port number, 1-65535. */
export function isPortNumber(value: unknown): boolean {
    return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 65535;
}
