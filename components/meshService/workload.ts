import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { revisionLabel } from "../../common/wellKnown";
import { podPort } from "./endpoint";
import { MeshEndpoint, ServicePort, ServiceVersion } from "./types";

/**
 * Pod labels of one version: the service's labels (what policy selects), `version` (what
 * subsets select), and the pod-level injection label, so the pod joins the mesh even where the
 * namespace label is missing — a pod outside the mesh would bypass every L7 policy.
 */
export function versionPodLabels(endpoint: MeshEndpoint, version: string, revision?: string): Record<string, string> {
    return {
        ...endpoint.podLabels,
        version,
        ...(revision ? { [revisionLabel]: revision } : { "sidecar.istio.io/inject": "true" }),
    };
}

/**
 * One Deployment for one version. `labels` are its pods' labels (default: sidecar mode's
 * `versionPodLabels`). Written with @pulumi/kubernetes directly, not @pulumi/kubernetesx: that
 * library is archived, needs an npm override in every consumer, and wraps the whole arguments
 * in nested Outputs, about a tenth of a stack program's time in `npm run bench`. Its two
 * conveniences, port and env maps, are the two lines below that build `ports` and `env`.
 */
export function versionDeployment(
    resourceName: string,
    endpoint: MeshEndpoint,
    version: ServiceVersion,
    revision: string | undefined,
    opts: pulumi.CustomResourceOptions,
    labels: Record<string, string> = versionPodLabels(endpoint, version.name, revision),
): k8s.apps.v1.Deployment {
    return new k8s.apps.v1.Deployment(resourceName, {
        metadata: { name: `${endpoint.name}-${version.name}`, namespace: endpoint.namespace, labels: { ...endpoint.podLabels, version: version.name } },
        spec: {
            replicas: version.replicas ?? 1,
            selector: { matchLabels: { ...endpoint.podLabels, version: version.name } },
            template: {
                metadata: { labels },
                spec: {
                    serviceAccountName: endpoint.serviceAccount,
                    containers: [{
                        name: endpoint.name,
                        image: version.image,
                        ports: endpoint.ports.map((port) => ({ name: port.name, containerPort: podPort(port) })),
                        ...(version.env ? { env: Object.entries(version.env).map(([name, value]) => ({ name, value })) } : {}),
                        ...(version.resources ? { resources: version.resources } : {}),
                    }],
                },
            },
        },
    }, opts);
}

/** A ClusterIP Service over `selector`, with each port's `appProtocol` so Istio needs no sniffing. */
export function clusterIpService(
    resourceName: string,
    serviceName: string,
    namespace: string,
    selector: Record<string, string>,
    ports: readonly ServicePort[],
    opts: pulumi.CustomResourceOptions,
    annotations?: Record<string, string>,
    labels: Record<string, string> = {},
): k8s.core.v1.Service {
    return new k8s.core.v1.Service(resourceName, {
        metadata: { name: serviceName, namespace, labels: { app: selector.app ?? serviceName, ...labels }, ...(annotations ? { annotations } : {}) },
        spec: {
            type: "ClusterIP",
            selector,
            ports: ports.map((port) => ({
                name: port.name,
                port: port.port,
                targetPort: podPort(port),
                protocol: "TCP",
                appProtocol: port.protocol ?? "http",
            })),
        },
    }, opts);
}
