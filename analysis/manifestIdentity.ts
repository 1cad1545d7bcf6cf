/**
 * An object's identity in the cluster: its API group, kind, namespace and name. The API server
 * keeps one object per identity (a second `kubectl apply` replaces the first), so manifests
 * holding two would be evaluated with both, allowing what neither allows alone in the
 * cluster, or denying what it allows. `ztmesh reach` refuses them, naming both files.
 */
import { describeKubeObject } from "./schema/validate";
import { isClusterScoped } from "./schema/servedKinds";
import { Mapping } from "./schema/rules/problems";

/** `group/Kind namespace/name` (the group empty for the core group, the namespace empty when cluster-scoped); undefined for an object named by generateName, which gets a fresh name. */
function identity(object: Mapping): string | undefined {
    const name = object.metadata?.name;
    if (typeof name !== "string") {
        return undefined;
    }
    const apiVersion = typeof object.apiVersion === "string" ? object.apiVersion : "";
    const group = apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "";
    // As the engine reads it (netpol/workloads.ts): no namespace is the default namespace.
    const namespace = isClusterScoped(object) ? "" : object.metadata?.namespace || "default";
    return `${group}/${String(object.kind)} ${namespace}/${name}`;
}

/**
 * Throws `error(file, problem)` for the first object whose identity an earlier one has already,
 * naming both files (the error type is the caller's, the manifest reader's ManifestError).
 */
export function rejectDuplicates(entries: ReadonlyArray<{ readonly object: Mapping; readonly file: string }>, error: (file: string, problem: string) => Error): void {
    const firstFile = new Map<string, string>();
    for (const { object, file } of entries) {
        const key = identity(object);
        if (key === undefined) {
            continue;
        }
        const earlier = firstFile.get(key);
        if (earlier !== undefined) {
            const where = earlier === file ? "earlier in this file" : `in ${earlier}`;
            throw error(file, `${describeKubeObject(object)}: metadata.name: an object of this kind, namespace and name is already defined ${where}; the cluster keeps only one of them, so remove or rename one`);
        }
        firstFile.set(key, file);
    }
}
