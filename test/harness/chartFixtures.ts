import { RecordedResource } from "../../stacks/offline";

/**
 * What a `helm.v4.Chart` would render, for the rules that look at chart output. Under mocks a
 * chart is one resource without children (the provider renders it), so these children are
 * FIXTURES: a few objects per chart, shaped like the upstream chart's (names, labels, the
 * annotations, Service ports and policy rules the rules care about), not the upstream content
 * itself. The e2e tier holds those of `base` and `istiod` against the real chart output.
 */
type Fixture = (namespace: string) => Record<string, any>[];

const deployment = (namespace: string, name: string, labels: Record<string, string>, serviceAccountName: string, image: string, annotations: Record<string, string> = {}) => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace, labels },
    spec: {
        selector: { matchLabels: labels },
        template: { metadata: { labels, annotations }, spec: { serviceAccountName, containers: [{ name, image }] } },
    },
});

const crd = (name: string) => ({ apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name } });

export const chartFixtures: Record<string, Fixture> = {
    "base": () => [crd("peerauthentications.security.istio.io"), crd("authorizationpolicies.security.istio.io")],
    "istiod": (ns) => [
        { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "istiod", namespace: ns } },
        deployment(ns, "istiod", { app: "istiod", istio: "pilot" }, "istiod", "docker.io/istio/pilot:1.30.3", { "sidecar.istio.io/inject": "false" }),
        {
            apiVersion: "v1", kind: "Service", metadata: { name: "istiod", namespace: ns },
            spec: {
                selector: { app: "istiod", istio: "pilot" },
                ports: [{ name: "grpc-xds", port: 15010, protocol: "TCP" }, { name: "https-dns", port: 15012, protocol: "TCP" }, { name: "https-webhook", port: 443, targetPort: 15017, protocol: "TCP" }, { name: "http-monitoring", port: 15014, protocol: "TCP" }],
            },
        },
        // Istio's global.networkPolicy: istiod takes webhook and xDS calls from anywhere, and may call anything.
        {
            apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "istiod", namespace: ns },
            spec: {
                podSelector: { matchLabels: { app: "istiod", "istio.io/rev": "default" } },
                policyTypes: ["Ingress", "Egress"],
                ingress: [{ ports: [{ protocol: "TCP", port: 15017 }] }, { ports: [15010, 15011, 15012, 8080, 15014].map((port) => ({ protocol: "TCP", port })) }],
                egress: [{}],
            },
        },
    ],
    "cni": (ns) => [{
        apiVersion: "apps/v1", kind: "DaemonSet", metadata: { name: "istio-cni-node", namespace: ns },
        spec: { template: { metadata: { labels: { "k8s-app": "istio-cni-node" }, annotations: { "sidecar.istio.io/inject": "false" } }, spec: { serviceAccountName: "istio-cni", hostNetwork: true, containers: [{ name: "install-cni", image: "docker.io/istio/install-cni:1.30.3" }] } } },
    }],
    "ztunnel": (ns) => [{
        apiVersion: "apps/v1", kind: "DaemonSet", metadata: { name: "ztunnel", namespace: ns },
        // The ambient profile picks the distroless variant; the pod is itself outside ambient capture.
        spec: { template: { metadata: { labels: { app: "ztunnel", "istio.io/dataplane-mode": "none", "sidecar.istio.io/inject": "false" }, annotations: { "sidecar.istio.io/inject": "false" } }, spec: { serviceAccountName: "ztunnel", containers: [{ name: "istio-proxy", image: "docker.io/istio/ztunnel:1.30.3-distroless" }] } } },
    }],
    "gateway": (ns) => [
        { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "istio-ingressgateway", namespace: ns } },
        deployment(ns, "istio-ingressgateway", { app: "istio-ingressgateway", istio: "ingressgateway" }, "istio-ingressgateway", "auto", { "inject.istio.io/templates": "gateway", "sidecar.istio.io/inject": "true" }),
        { apiVersion: "v1", kind: "Service", metadata: { name: "istio-ingressgateway", namespace: ns }, spec: { type: "LoadBalancer", selector: { app: "istio-ingressgateway", istio: "ingressgateway" }, ports: [{ name: "http2", port: 80, targetPort: 8080 }, { name: "https", port: 443, targetPort: 8443 }] } },
    ],
    "tigera-operator": (ns) => [deployment(ns, "tigera-operator", { name: "tigera-operator" }, "tigera-operator", "quay.io/tigera/operator:v1.40.1")],
    "crd.projectcalico.org.v1": () => [crd("globalnetworkpolicies.crd.projectcalico.org")],
};

function typeToken(object: Record<string, any>): string {
    const groupVersion = object.apiVersion.includes("/") ? object.apiVersion : `core/${object.apiVersion}`;
    return `kubernetes:${groupVersion}:${object.kind}`;
}

/**
 * The fixture children of every chart in `resources` whose chart name (the last path segment
 * of a local chart) has a fixture, registered as the provider would: parent = the chart.
 */
export function renderedChartChildren(resources: readonly RecordedResource[]): RecordedResource[] {
    return resources
        .filter((resource) => resource.type === "kubernetes:helm.sh/v4:Chart")
        .flatMap((chart) => {
            const chartName = String(chart.inputs.chart ?? "").split("/").pop()!;
            const fixture = chartFixtures[chartName];
            return (fixture ? fixture(chart.inputs.namespace ?? "default") : []).map((object) => ({
                urn: `${chart.urn}$${typeToken(object)}::${chart.name}:${object.metadata.namespace ?? ""}/${object.metadata.name}`,
                type: typeToken(object),
                name: `${chart.name}:${object.metadata.namespace ?? ""}/${object.metadata.name}`,
                custom: true,
                inputs: object,
                parent: chart.urn,
                dependencies: [],
                transforms: [],
                additionalSecretOutputs: [],
                retainOnDelete: false,
            }));
        });
}
