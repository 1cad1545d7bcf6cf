/**
 * The Deployments Istio creates for Gateway API Gateways of class `istio` (Istio's gateway
 * deployment controller, "automated deployment"): manifests name the Gateway, not its pods, so
 * without these the gateway would be missing from the analysis. Each is named
 * `<gateway>-istio`, runs under the service account of the same name (so the gateway calls as
 * `cluster.local/ns/<ns>/sa/<gateway>-istio`), carries the `gateway.networking.k8s.io/gateway-name`
 * label that policies select it by, and listens on the listener ports. A Gateway whose
 * Deployment is in the manifests already, or that names `spec.addresses` (a gateway deployed
 * by hand), gets none.
 */
import { KubeObject } from "../manifests";
import { namespaceOf } from "../netpol/workloads";

export const gatewayNameLabel = "gateway.networking.k8s.io/gateway-name";

interface GatewaySpec { gatewayClassName?: unknown; addresses?: unknown; listeners?: { port?: unknown }[] }

export function isGatewayApiGateway(object: KubeObject): boolean {
    return object.kind === "Gateway" && String(object.apiVersion ?? "").startsWith("gateway.networking.k8s.io/");
}

/** The service account (and Deployment) name Istio gives a Gateway's deployment. */
function gatewayDeploymentName(gateway: KubeObject): string {
    return `${gateway.metadata?.name ?? ""}-istio`;
}

/** `objects` and the gateway Deployments Istio would add. */
export function withGatewayDeployments(objects: readonly KubeObject[]): readonly KubeObject[] {
    const deployed = new Set(objects.filter((object) => object.kind === "Deployment").map((object) => `${namespaceOf(object)}/${object.metadata?.name}`));
    const added = objects.filter(isGatewayApiGateway).flatMap((gateway): KubeObject[] => {
        const spec = (gateway.spec ?? {}) as GatewaySpec;
        const namespace = namespaceOf(gateway);
        const name = gatewayDeploymentName(gateway);
        if (spec.gatewayClassName !== "istio" || (Array.isArray(spec.addresses) && spec.addresses.length > 0) || deployed.has(`${namespace}/${name}`)) {
            return [];
        }
        const ports = [...new Set((spec.listeners ?? []).map((listener) => Number(listener?.port)).filter((port) => Number.isInteger(port)))];
        return [{
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name, namespace },
            spec: {
                template: {
                    metadata: { labels: { [gatewayNameLabel]: gateway.metadata?.name ?? "", "sidecar.istio.io/inject": "false" } },
                    spec: {
                        serviceAccountName: name,
                        containers: [{ name: "istio-proxy", args: ["proxy", "router"], ports: ports.map((containerPort) => ({ containerPort, protocol: "TCP" })) }],
                    },
                },
            },
        }];
    });
    return added.length === 0 ? objects : [...objects, ...added];
}
