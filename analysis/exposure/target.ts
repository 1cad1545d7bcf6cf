/**
 * What an exposure analysis finds, whichever way it was found: from Kubernetes NetworkPolicies
 * as written (exposure.ts, netpol-analyzer's analysis) or by probing every layer with workloads
 * no policy names (layeredExposure.ts, on Calico, ClusterNetworkPolicy and Istio input).
 */
import { FocusOptions } from "../formats/focus";
import { LabelSelector } from "../netpol/labelSelector";
import { Workload } from "../netpol/workloads";
import { escapeControl } from "../text/escape";
import { ExposureConnections } from "./exposureConnections";

/** What a workload is open to on one side. */
export type ExposureTarget =
    | { readonly kind: "entire-cluster" }
    /**
     * Istio input only (no counterpart in netpol-analyzer): what any workload with an Istio
     * proxy (sidecar, or ambient where the input is ambient) gets beyond what any workload
     * gets, e.g. through an ALLOW rule with `principals: ["*"]` or `namespaces: ["*"]`, which
     * a caller without mutual TLS never matches.
     */
    | { readonly kind: "entire-mesh" }
    | {
        readonly kind: "selector";
        /** `hello-world` (one namespace by name), `all namespaces` or `namespace with {...}`. */
        readonly namespace: string;
        /** Whether `namespace` is one namespace's name (printed without brackets). */
        readonly namespaceIsName: boolean;
        /** `all pods` or `pod with {...}`. */
        readonly pods: string;
    };

export interface ExposureEntry {
    readonly target: ExposureTarget;
    readonly connections: ExposureConnections;
}

export interface SideExposure {
    /**
     * Whether some NetworkPolicy isolates this side; if not, the entries are the whole cluster's.
     * Always true on Calico and Istio input, where an open side reads `entire-cluster : All Connections`.
     */
    readonly protected: boolean;
    readonly entries: readonly ExposureEntry[];
}

export interface ExposedWorkload {
    readonly workload: Workload;
    readonly ingress: SideExposure;
    readonly egress: SideExposure;
}

/** The exposure section's options: netpol-analyzer computes it for the focus workloads only. */
export type ExposureOptions = Pick<FocusOptions, "focusworkload" | "focusDirection">;

/** `[all namespaces]/[pod with {k8s-app=kube-dns}]`, `backend/[all pods]`, `entire-cluster` or `entire-mesh`. */
export function exposureTargetText(target: ExposureTarget): string {
    if (target.kind !== "selector") {
        return target.kind;
    }
    // Escaped: Calico selectors and Istio principals are free text, and no name may forge a line (label values, which Kubernetes restricts, are unchanged).
    const namespace = escapeControl(target.namespace);
    return `${target.namespaceIsName ? namespace : `[${namespace}]`}/[${escapeControl(target.pods)}]`;
}

/**
 * A selector as netpol-analyzer prints it: labels as `k=v` joined by commas in key order, then
 * expressions in Go's struct notation (`{Key:app,Operator:In,Values:[x y],}`), sorted.
 */
export function labelSelectorText(selector: LabelSelector): string {
    const labels = Object.keys(selector.matchLabels ?? {}).sort().map((key) => `${key}=${String(selector.matchLabels?.[key])}`).join(",");
    const expressions = (selector.matchExpressions ?? [])
        .map((expression) => `{Key:${String(expression.key)},Operator:${String(expression.operator)},Values:[${(Array.isArray(expression.values) ? expression.values.map(String) : []).join(" ")}],}`)
        .sort()
        .join(",");
    return [labels, expressions].filter((part) => part !== "").join(",");
}
