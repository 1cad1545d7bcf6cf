/**
 * The dev Bookinfo stack's rendered objects, and the same in audit mode as a test fixture: every
 * policy that denies observes instead (Calico policies staged in both API groups, Kubernetes
 * NetworkPolicies staged as StagedKubernetesNetworkPolicy, every AuthorizationPolicy a dry run,
 * STRICT mTLS PERMISSIVE), the rest unchanged. Built here by converting the enforced objects, so
 * that the analyzer's two views are tested against the stack they derive from.
 */
import { KubeObject } from "../../analysis/manifests";
import { parseEnvironment } from "../../stacks/config";
import { stackObjects } from "../../stacks/offline";
import { kubeconfigIsSecret, stackConfig } from "./stackConfig";

/** What the dev stack registers offline, with `config` edits over Pulumi.dev.yaml. */
export function devStackObjects(config: Record<string, string> = stackConfig("dev")): Promise<KubeObject[]> {
    return stackObjects(parseEnvironment(config, kubeconfigIsSecret), "dev");
}

function staged(object: KubeObject): KubeObject {
    if (object.kind === "GlobalNetworkPolicy") {
        return { ...object, kind: "StagedGlobalNetworkPolicy" };
    }
    if (object.kind === "NetworkPolicy" && object.apiVersion === "networking.k8s.io/v1") {
        // Calico's projectcalico.org/v3 group here, its crd.projectcalico.org/v1 group for the global policies: both are read.
        return { ...object, apiVersion: "projectcalico.org/v3", kind: "StagedKubernetesNetworkPolicy" };
    }
    if (object.kind === "AuthorizationPolicy") {
        return { ...object, metadata: { ...object.metadata, annotations: { ...(object.metadata as { annotations?: object }).annotations, "istio.io/dry-run": "true" } } as KubeObject["metadata"] };
    }
    if (object.kind === "PeerAuthentication") {
        return { ...object, spec: { mtls: { mode: "PERMISSIVE" } } };
    }
    return object;
}

/** `objects` in audit mode (see the header). */
export function auditObjects(objects: readonly KubeObject[]): KubeObject[] {
    return objects.map(staged);
}
