import { RuleConfig } from "../config";
import { KubeObject, groupOf, namespaceOf } from "../kubernetes";
import { Report, objectRule } from "../policy";

export const noPublicServiceExceptGateway = objectRule({
    name: "no-public-service-except-gateway",
    description: "Only the approved gateway is reachable from outside the cluster: no other Service of type LoadBalancer or NodePort, and no externalIPs.",
    kinds: ["Service"],
    config: ["publicServices", "approvedGateways"],
    validate(object: KubeObject, config: RuleConfig, report: Report) {
        if (groupOf(object) !== "") {
            return;
        }
        const spec = object.spec ?? {};
        const reference = `${namespaceOf(object)}/${object.metadata.name}`;
        // istiod names the Service of a Gateway API gateway `<gateway>-istio`.
        const approved = config.publicServices.includes(reference) || config.approvedGateways.some((gateway) => `${gateway}-istio` === reference);
        if ((spec.type === "LoadBalancer" || spec.type === "NodePort") && !approved) {
            report(`is of type ${spec.type}, which exposes it outside the cluster`, "use type ClusterIP and expose it through the MeshGateway (a public route), or add it to publicServices if it fronts an approved gateway");
        }
        if ((spec.externalIPs ?? []).length > 0 && !approved) {
            report(`has externalIPs ${spec.externalIPs.join(", ")}`, "remove spec.externalIPs and route public traffic through the MeshGateway");
        }
    },
});

interface ParentRef { group?: string; kind?: string; name: string; namespace?: string }

export const routesOnApprovedGateways = objectRule({
    name: "routes-on-approved-gateways",
    description: "Routes may attach only to approved Gateways: an HTTPRoute's parentRefs (Gateway API) and a VirtualService's gateways (Istio).",
    kinds: ["HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "VirtualService"],
    config: ["approvedGateways"],
    validate(object: KubeObject, config: RuleConfig, report: Report) {
        const namespace = namespaceOf(object);
        if (object.kind === "VirtualService") {
            for (const gateway of (object.spec?.gateways ?? []) as string[]) {
                const reference = gateway.includes("/") ? gateway : `${namespace}/${gateway}`;
                if (gateway !== "mesh" && !config.approvedGateways.includes(reference)) {
                    report(`binds to gateway ${reference}, which is not approved`, `bind it to an approved gateway (${config.approvedGateways.join(", ")}) or add this one to approvedGateways`);
                }
            }
            return;
        }
        for (const parent of (object.spec?.parentRefs ?? []) as ParentRef[]) {
            if ((parent.kind ?? "Gateway") !== "Gateway" || (parent.group ?? "gateway.networking.k8s.io") !== "gateway.networking.k8s.io") {
                continue; // e.g. a Service parent: mesh (east-west) routing, not ingress
            }
            const reference = `${parent.namespace ?? namespace}/${parent.name}`;
            if (!config.approvedGateways.includes(reference)) {
                report(`attaches to Gateway ${reference}, which is not approved`, `attach it to an approved Gateway (${config.approvedGateways.join(", ")}) or add this one to approvedGateways`);
            }
        }
    },
});

/** Whether a list of weighted destinations sends nothing anywhere. */
function allZero(weights: (number | undefined)[], defaultWeight: number | undefined): boolean {
    const effective = weights.map((weight) => weight ?? defaultWeight);
    return effective.length > 0 && effective.every((weight) => weight === 0);
}

export const routeWeightsNotAllZero = objectRule({
    name: "route-weights-not-all-zero",
    description: "A route whose destinations all weigh 0 drops all its traffic: at least one weight must be positive.",
    kinds: ["VirtualService", "HTTPRoute", "GRPCRoute"],
    validate(object: KubeObject, _config: RuleConfig, report: Report) {
        const spec = object.spec ?? {};
        if (object.kind === "VirtualService") {
            for (const kind of ["http", "tcp", "tls"]) {
                (spec[kind] ?? []).forEach((route: any, index: number) => {
                    // A lone destination without a weight takes all traffic.
                    if (allZero((route.route ?? []).map((d: any) => d.weight), (route.route ?? []).length === 1 ? 100 : 0)) {
                        report(`sends no traffic anywhere: every destination of spec.${kind}[${index}] has weight 0`, "give at least one destination a positive weight (weights add up to 100)");
                    }
                });
            }
            return;
        }
        (spec.rules ?? []).forEach((rule: any, index: number) => {
            if (allZero((rule.backendRefs ?? []).map((b: any) => b.weight), 1)) {
                report(`sends no traffic anywhere: every backendRef of spec.rules[${index}] has weight 0`, "give at least one backendRef a positive weight");
            }
        });
    },
});

export const ingressRules = [noPublicServiceExceptGateway, routesOnApprovedGateways, routeWeightsNotAllZero];
