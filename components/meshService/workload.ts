import * as k8s from "@pulumi/kubernetes";
import { revisionLabel } from "../wellKnown";
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
 * The Deployment of one version, the object @pulumi/kubernetesx's Deployment would build from the
 * same port and env maps (containers' `ports`, `env` and `volumeMounts` lists, the pod's
 * `initContainers` and `volumes`, all present, empty when unused), written directly: kubernetesx
 * builds it through three nested `apply`s over the whole arguments, half of what a MeshService
 * added to a program's run time, and made the spec one Output, unknown as a whole during preview
 * if one env value was.
 */
export function versionDeploymentArgs(endpoint: MeshEndpoint, version: ServiceVersion, revision: string | undefined): k8s.apps.v1.DeploymentArgs {
    const labels = versionPodLabels(endpoint, version.name, revision);
    return {
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
                        env: Object.entries(version.env ?? {}).map(([name, value]) => ({ name, value })),
                        ...(version.resources ? { resources: version.resources } : {}),
                        volumeMounts: [],
                    }],
                    initContainers: [],
                    volumes: [],
                },
            },
        },
    };
}

/** A ClusterIP Service over `selector`, with each port's `appProtocol` so Istio needs no sniffing. */
export function clusterIpServiceArgs(
    serviceName: string,
    namespace: string,
    selector: Record<string, string>,
    ports: readonly ServicePort[],
    annotations?: Record<string, string>,
): k8s.core.v1.ServiceArgs {
    return {
        metadata: { name: serviceName, namespace, labels: { app: selector.app ?? serviceName }, ...(annotations ? { annotations } : {}) },
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
    };
}
