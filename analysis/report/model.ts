/**
 * What the reachability report shows, as plain data: every endpoint, one cell per pair that
 * has a flow or a declared flow, and the differences from the declared intent. The page
 * (page.ts) only lays this out.
 */
import type { EnforcementImpact } from "../enforcement/impact";
import { flowExplainer, formatFlowExplanation } from "../explain";
import { formatGrants } from "../istio/format";
import { declaredServices, declaredTargets, IntentDifference, intentDifferences, summarize } from "../intent";
import { KubeObject } from "../manifests";
import { compareNames, formatConnectionSet } from "../netpol/format";
import { analysisLimits } from "./limits";
import { clusterFromObjects, workloadId } from "../netpol/workloads";
import { withGatewayDeployments } from "../istio/gatewayDeployments";
import { routeUrls } from "../istio/ingress";
import { Flow, publicFlows, RouteDestination } from "../reach";

/**
 * How a pair relates to the declared intent, worst first:
 *   undeclared: allowed, but no declared caller covers it;
 *   blocked:    declared, but some declared port is blocked;
 *   narrowed:   declared and reachable, but layer 7 admits fewer requests than declared;
 *   declared:   allowed as declared;
 *   unchecked:  allowed, into a workload that declares nothing (not a MeshService).
 */
export type CellStatus = "undeclared" | "blocked" | "narrowed" | "declared" | "unchecked";

const severity: readonly CellStatus[] = ["undeclared", "blocked", "narrowed", "declared", "unchecked"];

export interface ReportCell {
    readonly src: string;
    readonly dst: string;
    /** What layer 3/4 allows (`TCP 9080`); absent when nothing is. */
    readonly connections?: string;
    /** The requests a sidecar admits, when it enforces layer 7 (`GET /reviews/*`). */
    readonly requests?: string;
    readonly status: CellStatus;
}

export interface ReportEndpoint {
    readonly name: string;
    /** The namespace of a workload; empty for an address range outside the cluster. */
    readonly namespace: string;
}

export interface ReportDifference {
    readonly status: IntentDifference["kind"];
    readonly src: string;
    readonly dst: string;
    /** The difference in a sentence, starting with the Service that declares the intent. */
    readonly text: string;
    /** The policy objects that decided it, at each layer (explain.ts). */
    readonly because?: string;
}

export interface ReportModel {
    readonly title: string;
    /** Where the objects came from: a stack, or the manifest paths. */
    readonly source: string;
    readonly endpoints: readonly ReportEndpoint[];
    readonly cells: readonly ReportCell[];
    readonly differences: readonly ReportDifference[];
    /** How many Services declare their callers; without any there is no intent to compare. */
    readonly declaredServices: number;
    /** What the evaluation cannot know (limits.ts), with the source's own limits last. */
    readonly limits: readonly string[];
    /** Routes from outside the cluster through a gateway to workloads (istio/ingress.ts). */
    readonly publicRoutes: readonly ReportPublicRoute[];
    /** The observed flows enforcement would cut, and the declarations that would keep them (enforcement/impact.ts), when flows were observed. */
    readonly impact?: EnforcementImpact;
}

export interface ReportPublicRoute {
    /** `https://bookinfo.example.com/productpage`, one per host and path. */
    readonly urls: readonly string[];
    /** Methods the route matches; absent for any. */
    readonly methods?: readonly string[];
    /** `Gateway istio-ingress/mesh-gateway`. */
    readonly gateway: string;
    /** The gateway's workloads. */
    readonly via: readonly string[];
    /** `HTTPRoute bookinfo/productpage`. */
    readonly route: string;
    /** `Service bookinfo/productpage:9080`, or a redirect. */
    readonly backend: string;
    readonly destinations: readonly RouteDestination[];
}

/** What the report is about; `limits` adds what this source leaves out to the analysis's own limits. */
export interface ReportAbout {
    readonly title: string;
    readonly source: string;
    readonly limits?: readonly string[];
    readonly impact?: EnforcementImpact;
}

/** The report of `flows` (computed from `objects`) against the intent the Services in `objects` declare. */
export function reportModel(given: readonly KubeObject[], flows: readonly Flow[], about: ReportAbout): ReportModel {
    // The flows include the gateway Deployments Istio creates for Gateways; so do the endpoints and explanations.
    const objects = withGatewayDeployments(given);
    const services = declaredServices(objects);
    const withIntent = new Set(declaredTargets(objects, services).flatMap((target) => target.workloads.map((w) => w.name)));
    const cells = new Map<string, ReportCell>();
    for (const flow of flows) {
        cells.set(`${flow.src.name} ${flow.dst.name}`, {
            src: flow.src.name,
            dst: flow.dst.name,
            connections: formatConnectionSet(flow.allowed),
            ...(flow.l7 ? { requests: formatGrants(flow.l7, flow.allowed.ports("TCP")) } : {}),
            status: withIntent.has(flow.dst.name) ? "declared" : "unchecked",
        });
    }
    const explain = flowExplainer(objects);
    const differences = intentDifferences(objects, flows, services).map((d): ReportDifference => {
        const src = d.kind === "undeclared" ? d.flow.src.name : d.src.name;
        const because = formatFlowExplanation(explain(src, d.dst.name));
        return {
            status: d.kind,
            src,
            dst: d.dst.name,
            text: `Service ${d.service.namespace}/${d.service.name} ${summarize(d)}`,
            ...(because ? { because } : {}),
        };
    });
    for (const difference of differences) {
        const key = `${difference.src} ${difference.dst}`;
        const cell = cells.get(key) ?? { src: difference.src, dst: difference.dst, status: difference.status };
        const worst = severity.indexOf(difference.status) < severity.indexOf(cell.status) ? difference.status : cell.status;
        cells.set(key, { ...cell, status: worst });
    }
    return {
        title: about.title,
        source: about.source,
        endpoints: endpointsOf(objects, flows),
        cells: [...cells.values()].sort((a, b) => compareNames(a.src, b.src) || compareNames(a.dst, b.dst)),
        differences,
        declaredServices: services.length,
        limits: [...analysisLimits, ...(about.limits ?? [])],
        publicRoutes: publicFlows(given, flows).map((route) => ({
            urls: routeUrls(route),
            ...(route.methods ? { methods: route.methods } : {}),
            gateway: route.gateway,
            via: route.via,
            route: route.route,
            backend: route.backend,
            destinations: route.destinations,
        })),
        ...(about.impact ? { impact: about.impact } : {}),
    };
}

/** Every workload (with flows or not: an isolated one is worth seeing) and every address range in a flow, by name. */
function endpointsOf(objects: readonly KubeObject[], flows: readonly Flow[]): ReportEndpoint[] {
    const endpoints = new Map<string, ReportEndpoint>(clusterFromObjects(objects).workloads.map((w) => [workloadId(w), { name: workloadId(w), namespace: w.namespace }]));
    for (const end of flows.flatMap((flow) => [flow.src, flow.dst])) {
        if (!endpoints.has(end.name)) {
            endpoints.set(end.name, { name: end.name, namespace: end.kind === "workload" ? end.workload.namespace : "" });
        }
    }
    return [...endpoints.values()].sort((a, b) => compareNames(a.name, b.name));
}
