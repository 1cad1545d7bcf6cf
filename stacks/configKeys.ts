/** The config namespace of this project: every key is `ztmesh:<key>`. */
export const configNamespace = "ztmesh";

/** `ztmesh:services[2].callers[0]` — the key as a user finds it in `Pulumi.<stack>.yaml`. */
export function configPath(path: readonly PropertyKey[]): string {
    if (path.length === 0) {
        return `${configNamespace}:`;
    }
    const [head, ...rest] = path;
    return `${configNamespace}:${String(head)}` + rest.map((s) => (typeof s === "number" ? `[${s}]` : `.${String(s)}`)).join("");
}
