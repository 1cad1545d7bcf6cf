/**
 * PeerAuthentication: which TCP ports of a meshed workload accept only mTLS. The most specific
 * policy wins: one selecting the workload (with its `portLevelMtls`), else its namespace's
 * policy without selector, else the root namespace's; `UNSET` inherits from the next level,
 * and without any policy the mode is PERMISSIVE. Under STRICT, callers without a sidecar are
 * refused on those ports (the sidecar only intercepts TCP, so UDP and SCTP are unaffected).
 */
import { KubeObject } from "../manifests";
import { IntervalSet } from "../netpol/intervals";
import { allPorts } from "../netpol/ports";
import { describeObject, namespaceOf } from "../netpol/workloads";
import { rootNamespace } from "./authorization";

type Mode = "STRICT" | "PERMISSIVE" | "DISABLE" | "UNSET";

export interface PeerAuthentication {
    readonly namespace: string;
    readonly selector?: Readonly<Record<string, string>>;
    readonly mode: Mode;
    readonly portModes: ReadonlyMap<number, Mode>;
}

export function isPeerAuthentication(object: KubeObject): boolean {
    return object.kind === "PeerAuthentication" && String(object.apiVersion ?? "security.istio.io/").startsWith("security.istio.io/");
}

export function parsePeerAuthentication(object: KubeObject): PeerAuthentication {
    const spec = (object.spec ?? {}) as { selector?: { matchLabels?: Record<string, unknown> }; mtls?: { mode?: unknown }; portLevelMtls?: Record<string, { mode?: unknown }> };
    const mode = (value: unknown): Mode => {
        const text = value === undefined || value === null ? "UNSET" : String(value);
        if (!["STRICT", "PERMISSIVE", "DISABLE", "UNSET"].includes(text)) {
            throw new Error(`${describeObject(object)}: mTLS mode ${JSON.stringify(value)} is not one of STRICT, PERMISSIVE, DISABLE, UNSET`);
        }
        return text as Mode;
    };
    const matchLabels = spec.selector?.matchLabels;
    return {
        namespace: namespaceOf(object),
        selector: matchLabels === undefined ? undefined : Object.fromEntries(Object.entries(matchLabels).map(([key, value]) => [key, String(value)])),
        mode: mode(spec.mtls?.mode),
        portModes: new Map(Object.entries(spec.portLevelMtls ?? {}).map(([port, setting]) => [Number(port), mode(setting?.mode)])),
    };
}

/** The TCP ports on which a workload refuses callers without a sidecar. */
export function strictPorts(policies: readonly PeerAuthentication[], namespace: string, labels: Readonly<Record<string, string>>, root = rootNamespace): IntervalSet {
    const selecting = policies.find((policy) => policy.namespace === namespace && policy.selector !== undefined && Object.keys(policy.selector).length > 0
        && Object.entries(policy.selector).every(([key, value]) => labels[key] === value));
    const namespaceWide = policies.find((policy) => policy.namespace === namespace && (policy.selector === undefined || Object.keys(policy.selector).length === 0));
    const meshWide = policies.find((policy) => policy.namespace === root && (policy.selector === undefined || Object.keys(policy.selector).length === 0));
    const inherited = [namespaceWide, meshWide].map((policy) => policy?.mode).find((mode) => mode !== undefined && mode !== "UNSET") ?? "PERMISSIVE";
    const workloadMode = selecting && selecting.mode !== "UNSET" ? selecting.mode : inherited;
    let strict = workloadMode === "STRICT" ? allPorts : IntervalSet.empty;
    for (const [port, mode] of selecting?.portModes ?? []) {
        const single = IntervalSet.range(port, port);
        if (mode === "STRICT") {
            strict = strict.union(single);
        } else if (mode !== "UNSET") {
            strict = strict.subtract(single);
        }
    }
    return strict;
}
