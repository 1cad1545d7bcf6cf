import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { stackConfig } from "../harness/stackConfig";

/** The upstream charts and CRDs of the pinned versions (test data beside the repository). */
export const shared = path.resolve(__dirname, "..", "..", "..", "shared");
export const istioCharts = path.join(shared, "charts", "istio-1.30.3");
export const calicoCharts = path.join(shared, "charts", "calico-v3.32.1");
export const crdFile = (name: string) => path.join(shared, "crds", name);

/** A stack's config from Pulumi.<stack>.yaml as plain values (objects, not JSON strings; strings as they are). */
export function configValues(stack: string): Record<string, any> {
    const parsed = (value: string) => {
        try {
            return JSON.parse(value);
        } catch {
            return value;
        }
    };
    return Object.fromEntries(Object.entries(stackConfig(stack)).map(([key, value]) => [key, parsed(value)]));
}

/**
 * `config` with the upstream Istio charts (`ztmesh:charts.localDirectory`) and the Gateway API
 * CRDs of the pinned versions, which the stacks cannot fetch here, as in an air-gapped cluster.
 */
export function withPinnedUpstream(config: Record<string, any>): Record<string, any> {
    config["ztmesh:charts"] = { localDirectory: istioCharts };
    config["ztmesh:gateway"] = { ...config["ztmesh:gateway"], crdsSource: crdFile("gateway-api-v1.5.1-standard.yaml") };
    return config;
}

/** Pulumi.<stack>.yaml's config with the pinned upstream charts and CRDs, rendering to `renderDirectory`. */
export function renderConfig(stack: string, renderDirectory: string): Record<string, any> {
    return { ...withPinnedUpstream(configValues(stack)), "ztmesh:cluster": { renderDirectory } };
}

/** Writes `config` as a Pulumi stack config file. */
export function writeStackConfig(file: string, config: Record<string, any>): string {
    fs.writeFileSync(file, YAML.stringify({ config }));
    return file;
}

/** `config` as Pulumi hands it to a program: each value as JSON (strings as they are). */
export function rawConfig(config: Record<string, any>): Record<string, string> {
    return Object.fromEntries(Object.entries(config).map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]));
}

/**
 * `value` without empty lists, which the provider leaves out of the objects it sends (an empty
 * `env: []` and no `env` mean the same to Kubernetes), as plain JSON.
 */
export function withoutEmptyLists(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(withoutEmptyLists);
    }
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).filter(([, v]) => !(Array.isArray(v) && v.length === 0)).map(([k, v]) => [k, withoutEmptyLists(v)]));
    }
    return value;
}
