/** A resource the raw program writes directly: its type token, its inputs and what it waits for. */
export interface DirectResource {
    type: string;
    inputs: Record<string, any>;
    /** Indices (in the same list, all before this one) of the resources it depends on. */
    dependsOn: number[];
}

/** What the worker hands the benchmark's programs (`stackProgram.ts`, `rawProgram.ts`) before it loads one. */
export const programInput: {
    /** MeshServices of the synthetic environment (stack program). */
    services: number;
    /** What the stack program registered besides its components (raw program). */
    resources: DirectResource[];
} = { services: 0, resources: [] };
