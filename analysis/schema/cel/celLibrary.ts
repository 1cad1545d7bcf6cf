/**
 * @bufbuild/cel with the Kubernetes library functions the CRDs' rules call (its strings
 * extension, and the URL and CIDR functions of kubernetesLibrary.ts), loaded on first use: a
 * run that reads no object of a kind with CEL rules never loads it (about 130 modules).
 */
export type Cel = typeof import("@bufbuild/cel");

let cel: { readonly library: Cel; readonly env: ReturnType<Cel["celEnv"]> } | undefined;

/** The CEL library and the environment the rules are compiled in. */
export function loadCel(): NonNullable<typeof cel> {
    if (cel === undefined) {
        const library = require("@bufbuild/cel") as Cel;
        const { strings } = require("@bufbuild/cel/ext") as typeof import("@bufbuild/cel/ext");
        const { kubernetesFunctions, kubernetesTypes } = require("./kubernetesLibrary") as typeof import("./kubernetesLibrary");
        cel = { library, env: library.celEnv({ funcs: [...strings, ...kubernetesFunctions], registry: kubernetesTypes }) };
    }
    return cel;
}

/** The CEL library's list and map values, which a rule's input is made of. */
export function celContainers(): Pick<Cel, "celList" | "celMap"> {
    return loadCel().library;
}
