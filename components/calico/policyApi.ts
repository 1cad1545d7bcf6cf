import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/**
 * The API group Calico policy objects are written to.
 * - `projectcalico.org/v3`: the public API, served by the Calico API server (operator install
 *   with `APIServer`) or by Calico's v3 CRDs.
 * - `crd.projectcalico.org/v1`: the storage CRDs, the only Calico API on manifest installs such
 *   as `minikube start --cni calico`, where nothing serves v3.
 * The policy content is the same for both.
 */
export type CalicoPolicyApi = "projectcalico.org/v3" | "crd.projectcalico.org/v1";

export const calicoPolicyApis: readonly CalicoPolicyApi[] = ["projectcalico.org/v3", "crd.projectcalico.org/v1"];

/** The spec of a Calico `GlobalNetworkPolicy` (the fields ztmesh writes). */
export interface GlobalNetworkPolicySpec {
    order?: number;
    selector?: string;
    namespaceSelector?: string;
    types: ("Ingress" | "Egress")[];
    ingress?: CalicoRule[];
    egress?: CalicoRule[];
}

export interface CalicoRule {
    action: "Allow" | "Deny" | "Pass" | "Log";
    protocol?: "TCP" | "UDP" | "SCTP" | "ICMP";
    source?: CalicoEntityRule;
    destination?: CalicoEntityRule;
}

export interface CalicoEntityRule {
    selector?: string;
    /** A Kubernetes Service as the peer (egress), e.g. the API server's `default/kubernetes`. */
    services?: { name: string; namespace: string };
    namespaceSelector?: string;
    nets?: string[];
    ports?: (number | string)[];
}

/**
 * The object name of a default-tier policy in `api`. The storage CRDs carry the tier in the
 * name (`default.<name>`); the v3 API takes the plain name and adds the prefix itself.
 */
export function policyObjectName(name: string, api: CalicoPolicyApi): string {
    return api === "crd.projectcalico.org/v1" ? `default.${name}` : name;
}

/**
 * Creates the Calico `GlobalNetworkPolicy` `name` in the chosen API group or, `staged`, the
 * `StagedGlobalNetworkPolicy` of the same name and spec (plus `stagedAction: Set`, the CRD's
 * default, written out): Calico evaluates it and reports its verdict in flow records as a
 * pending policy, and enforces nothing. A staged kind is a resource of its own, named like
 * the enforcing one, so both coexist while a promotion runs: the API server keys them by
 * resource, and Felix by kind and name (Calico 3.32's update processors give a staged policy
 * the key `PolicyKey{Name, Kind: StagedGlobalNetworkPolicy}`). The storage CRDs take the same
 * `default.` tier prefix (libcalico-go strips it from staged and enforcing policies alike,
 * backend/k8s/resources/resources.go). See `podNetworkPolicy` (components/enforcement.ts) for
 * why a mode change is a new Pulumi resource rather than a replacement.
 */
export function globalNetworkPolicy(
    resourceName: string,
    name: string,
    api: CalicoPolicyApi,
    spec: GlobalNetworkPolicySpec,
    opts: pulumi.CustomResourceOptions,
    staged = false,
): k8s.apiextensions.CustomResource {
    return new k8s.apiextensions.CustomResource(
        resourceName,
        {
            apiVersion: api,
            kind: staged ? "StagedGlobalNetworkPolicy" : "GlobalNetworkPolicy",
            metadata: { name: policyObjectName(name, api) },
            spec: staged ? { ...spec, stagedAction: "Set" } : spec,
        },
        opts,
    );
}
