/**
 * The MeshConfig settings reachability depends on, from the ConfigMap `istio` in `istio-system`
 * (`istio-<revision>` when only a revisioned control plane is installed; key `mesh`, the YAML
 * istiod reads, which the istiod Helm chart renders from its `meshConfig` values): `rootNamespace` (where policies apply mesh-wide; default `istio-system`) and
 * `outboundTrafficPolicy.mode` (REGISTRY_ONLY: sidecars reach only hosts in the service
 * registry; default ALLOW_ANY). Without the ConfigMap, Istio's defaults hold.
 */
import { KubeObject } from "../manifests";
import { describeObject, namespaceOf } from "../netpol/workloads";

export type OutboundMode = "ALLOW_ANY" | "REGISTRY_ONLY";

export interface MeshConfig {
    readonly rootNamespace: string;
    readonly outboundTrafficPolicy: OutboundMode;
}

export const defaultMeshConfig: MeshConfig = { rootNamespace: "istio-system", outboundTrafficPolicy: "ALLOW_ANY" };

export function meshConfigOf(objects: readonly KubeObject[]): MeshConfig {
    const candidates = objects.filter((object) => object.kind === "ConfigMap" && namespaceOf(object) === "istio-system" && /^istio(-.+)?$/.test(object.metadata?.name ?? "")
        && (object.data as Record<string, unknown> | undefined)?.mesh !== undefined);
    // The default revision's `istio`, else a single revision's `istio-<revision>`.
    const configMap = candidates.find((object) => object.metadata?.name === "istio") ?? (candidates.length === 1 ? candidates[0] : undefined);
    const text = (configMap?.data as Record<string, unknown> | undefined)?.mesh;
    if (configMap === undefined || text === undefined) {
        return defaultMeshConfig;
    }
    const where = `${describeObject(configMap)}: data.mesh`;
    let mesh: { rootNamespace?: unknown; outboundTrafficPolicy?: { mode?: unknown } } | null;
    try {
        // `yaml` is loaded only here, as manifests.ts loads it only for text js-yaml refuses: loading it is most of the command's start-up.
        const YAML: typeof import("yaml") = require("yaml");
        mesh = YAML.parse(String(text)) as typeof mesh;
    } catch (error) {
        throw new Error(`${where} is not YAML: ${(error as Error).message.split("\n")[0]}`);
    }
    const mode = mesh?.outboundTrafficPolicy?.mode ?? "ALLOW_ANY";
    if (mode !== "ALLOW_ANY" && mode !== "REGISTRY_ONLY") {
        throw new Error(`${where}: outboundTrafficPolicy.mode ${JSON.stringify(mode)} is not ALLOW_ANY or REGISTRY_ONLY`);
    }
    const root = mesh?.rootNamespace ?? defaultMeshConfig.rootNamespace;
    if (typeof root !== "string" || root === "") {
        throw new Error(`${where}: rootNamespace ${JSON.stringify(root)} is not a namespace name`);
    }
    return { rootNamespace: root, outboundTrafficPolicy: mode };
}
