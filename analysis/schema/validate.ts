/**
 * Validation of one Kubernetes object before analysis, as the pinned API server (and the
 * Istio and Calico validating webhooks) would: its apiVersion serves its kind, it matches the
 * kind's OpenAPI schema (unknown fields included), and it passes the checks those servers make
 * in code. Kinds the engine does not read (ConfigMap, Secret, ...) are checked only for their
 * names, and, in a group that holds policy, for being a kind the group serves (servedKinds.ts).
 */
import { declaredCallersProblem } from "../declaredCallers";
import { escapeControl } from "../text/escape";
import { celProblem } from "./cel/celProblem";
import type { UnknownFieldDropped } from "./fieldValidation";
import { calicoProblem } from "./rules/calico";
import { clusterNetworkPolicyProblem } from "./rules/clusterNetworkPolicy";
import { istioProblem } from "./rules/istio";
import { kubernetesProblem, labelsProblem } from "./rules/kubernetes";
import { objectNameProblem } from "./rules/names";
import { firstProblem, Mapping, Problem } from "./rules/problems";
import { apiVersionsOf, hasSchema, schemaProblem } from "./schemas";
import { servedKindProblem } from "./servedKinds";

const builtinGroups = new Set(["", "apps", "batch", "networking.k8s.io"]);

function groupOf(apiVersion: string): string {
    return apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "";
}

/** Whether the API versions serving `kind` include a built-in one (Pod, NetworkPolicy, ...): any other apiVersion for it is refused. */
function isBuiltinKind(kind: string): boolean {
    return apiVersionsOf(kind).some((apiVersion) => builtinGroups.has(groupOf(apiVersion)));
}

/** Removes fields set to null, in place: the API server and Istio's decoder read a null field as unset. */
export function removeNulls(value: unknown): void {
    if (Array.isArray(value)) {
        value.forEach(removeNulls);
    } else if (typeof value === "object" && value !== null) {
        for (const [key, field] of Object.entries(value)) {
            if (field === null) {
                delete (value as Mapping)[key];
            } else {
                removeNulls(field);
            }
        }
    }
}

/** For an object of a kind without a schema under its apiVersion: whether that apiVersion is a mistake for a kind the engine reads. */
function apiVersionProblem(object: Mapping): Problem {
    const kind = String(object.kind);
    const served = apiVersionsOf(kind);
    if (object.apiVersion === undefined) {
        return served.length === 0 ? undefined : `apiVersion: missing; ${kind} is served as ${served.join(" or ")}`;
    }
    if (typeof object.apiVersion !== "string") {
        return `apiVersion: must be a string such as ${served[0] ?? "v1"}, found ${JSON.stringify(object.apiVersion)}`;
    }
    if (served.length === 0) {
        return undefined;
    }
    const known = served.some((apiVersion) => groupOf(apiVersion) === groupOf(object.apiVersion)) || isBuiltinKind(kind);
    return known ? `apiVersion: ${object.apiVersion} does not serve ${kind} (Kubernetes v1.36 with the pinned CRDs serves it as ${served.join(" or ")})` : undefined;
}

/**
 * The first problem of `object` as "field.path: problem", or undefined if it is valid (or of a
 * kind not checked). With `dropUnknown`, fields the schema does not know are removed from
 * `object` and passed to it instead (fieldValidation.ts), and the rest is checked as stored.
 */
export function objectProblem(object: Mapping, dropUnknown?: UnknownFieldDropped): Problem {
    removeNulls(object);
    const kind = String(object.kind);
    const apiVersion = object.apiVersion;
    if (typeof apiVersion !== "string" || !hasSchema(apiVersion, kind)) {
        return apiVersionProblem(object) ?? servedKindProblem(object) ?? objectNameProblem(object);
    }
    const group = groupOf(apiVersion);
    return firstProblem(
        () => schemaProblem(object, apiVersion, kind, dropUnknown),
        () => celProblem(object, apiVersion, kind),
        () => (object.metadata?.name === undefined && object.metadata?.generateName === undefined ? "metadata.name: required field is missing" : undefined),
        () => objectNameProblem(object),
        () => labelsProblem(object.metadata?.labels, "metadata.labels"),
        // ztmesh's own annotation, which the report and the policy pack read: refused here, with every other mistake in a file.
        () => (kind === "Service" && group === "" ? declaredCallersProblem(object.metadata?.annotations) : undefined),
        () => (builtinGroups.has(group) ? kubernetesProblem(object)
            : group.endsWith("istio.io") ? istioProblem(object)
                : group.endsWith("projectcalico.org") ? calicoProblem(object)
                    : kind === "ClusterNetworkPolicy" ? clusterNetworkPolicyProblem(object) : undefined),
    );
}

/** `Pod shop/web`, `GlobalNetworkPolicy deny-all`: how messages name an object (control characters escaped, as the name may be invalid). */
export function describeKubeObject(object: Mapping): string {
    const name = object.metadata?.name ?? object.metadata?.generateName ?? "(no name)";
    return escapeControl(`${object.kind} ${object.metadata?.namespace === undefined ? "" : `${object.metadata.namespace}/`}${name}`);
}
