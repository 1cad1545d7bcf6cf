/** Which objects are Calico's: the API groups `projectcalico.org` (v3) and `crd.projectcalico.org` (v1). */
import { KubeObject } from "../manifests";

export const calicoGroups = new Set(["projectcalico.org", "crd.projectcalico.org"]);

export function apiGroup(object: KubeObject): string {
    const apiVersion = typeof object.apiVersion === "string" ? object.apiVersion : "";
    return apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "";
}

/** An object of `kind` in a Calico API group. */
export function isCalicoKind(object: KubeObject, kind: string): boolean {
    return object.kind === kind && calicoGroups.has(apiGroup(object));
}

/** The Calico kinds the engine reads besides the policies. */
export const calicoKinds = ["Tier", "Profile", "HostEndpoint", "WorkloadEndpoint", "NetworkSet", "GlobalNetworkSet"];
