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

let devObjects: Promise<KubeObject[]> | undefined;

/**
 * What the dev stack registers offline, with `config` edits over Pulumi.dev.yaml; as
 * Pulumi.dev.yaml has it, rendered once for every test file that asks (copy before changing).
 */
export function devStackObjects(config?: Record<string, string>): Promise<KubeObject[]> {
    if (config !== undefined) {
        return stackObjects(parseEnvironment(config, kubeconfigIsSecret), "dev");
    }
    devObjects ??= stackObjects(parseEnvironment(stackConfig("dev"), kubeconfigIsSecret), "dev");
    return devObjects;
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

/** The pods' addresses the observed-flow fixtures (test/fixtures/observed) use, by Deployment. */
export const podAddresses: Readonly<Record<string, string>> = {
    "bookinfo/productpage-v1": "10.244.1.11",
    "bookinfo/details-v1": "10.244.1.12",
    "bookinfo/reviews-v1": "10.244.1.13",
    "bookinfo/reviews-v2": "10.244.1.14",
    "bookinfo/reviews-v3": "10.244.1.15",
    "bookinfo/ratings-v1": "10.244.1.16",
    "istio-ingress/mesh-gateway-istio": "10.244.1.20",
};

/**
 * One running pod of each Deployment of `deployments` that `podAddresses` lists, as the API server
 * returns it: named after its ReplicaSet `DEPLOYMENT-HASH`, which owns it, with the template's
 * labels and spec and `status.podIP`.
 */
export function runningPods(deployments: readonly KubeObject[]): KubeObject[] {
    return deployments.filter((object) => object.kind === "Deployment").flatMap((deployment) => {
        const id = `${deployment.metadata?.namespace}/${deployment.metadata?.name}`;
        const address = podAddresses[id];
        if (address === undefined) {
            return [];
        }
        const template = (deployment.spec as { template: { metadata: { labels: Record<string, string> }; spec: object } }).template;
        const replicaSet = `${deployment.metadata?.name}-7f9c6d5b8d`;
        return [{
            apiVersion: "v1", kind: "Pod",
            metadata: { namespace: deployment.metadata?.namespace, name: `${replicaSet}-x4k2p`, labels: { ...template.metadata.labels, "pod-template-hash": "7f9c6d5b8d" },
                ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: replicaSet, uid: "5b0e8a3c-1f2d-4e6a-9c7b-3d2e1f0a9b8c", controller: true }] } as unknown as KubeObject["metadata"],
            spec: template.spec,
            status: { phase: "Running", podIP: address, podIPs: [{ ip: address }] },
        }];
    });
}
