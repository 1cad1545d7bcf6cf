/** A resource the raw program writes directly: its type token and its inputs. */
export interface DirectResource {
    type: string;
    inputs: Record<string, any>;
}

/** What the worker hands the benchmark's programs (`stackProgram.ts`, `rawProgram.ts`) before it loads one. */
export const programInput: {
    /** MeshServices of the synthetic environment (stack program). */
    services: number;
    /** What the stack program registered besides its components (raw program). */
    resources: DirectResource[];
} = { services: 0, resources: [] };
