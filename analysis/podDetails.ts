/**
 * What the NetworkPolicy engine's Workload leaves out and the Calico and Istio layers need:
 * each workload's service account and its pod template's labels and annotations (sidecar
 * injection), found with the same rules as netpol/workloads.ts (a Pod with a controlling
 * owner belongs to that owner's workload; the first object seen for a workload wins).
 */
import { KubeObject } from "./manifests";
import { workloadId } from "./netpol/workloads";

export interface PodDetails {
    readonly serviceAccount: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations: Readonly<Record<string, string>>;
    /**
     * The pod runs Istio's proxy as its own container (`istio-proxy` with args `proxy router`,
     * as the istio/gateway chart and Gateway API deployments do): a gateway, which presents its
     * service account's identity and enforces AuthorizationPolicy without an injected sidecar.
     */
    readonly runsGatewayProxy: boolean;
}

interface Template {
    metadata?: { labels?: Record<string, unknown>; annotations?: Record<string, unknown> };
    spec?: { serviceAccountName?: unknown; serviceAccount?: unknown; containers?: unknown };
}

const templateKinds: Record<string, (object: KubeObject) => Template | undefined> = {
    Pod: (object) => object as Template,
    Deployment: (object) => specTemplate(object),
    ReplicaSet: (object) => specTemplate(object),
    ReplicationController: (object) => specTemplate(object),
    DaemonSet: (object) => specTemplate(object),
    StatefulSet: (object) => specTemplate(object),
    Job: (object) => specTemplate(object),
    CronJob: (object) => specTemplate((object.spec as { jobTemplate?: KubeObject } | undefined)?.jobTemplate),
};

function specTemplate(object: KubeObject | undefined): Template | undefined {
    return (object?.spec as { template?: Template } | undefined)?.template;
}

/** Details by `workloadId`; objects that are not workloads are ignored. */
export function podDetailsByWorkload(objects: readonly KubeObject[]): Map<string, PodDetails> {
    const details = new Map<string, PodDetails>();
    for (const object of objects) {
        const find = Object.prototype.hasOwnProperty.call(templateKinds, object.kind) ? templateKinds[object.kind] : undefined;
        const template = find?.(object);
        if (!template) {
            continue;
        }
        const owner = object.kind === "Pod" ? object.metadata?.ownerReferences?.find((reference) => reference.controller === true && reference.kind !== "Node") : undefined;
        const name = (typeof owner?.name === "string" ? owner.name : undefined) ?? object.metadata?.name;
        if (!name) {
            continue;
        }
        const id = workloadId({ namespace: object.metadata?.namespace || "default", name, kind: (typeof owner?.name === "string" && owner.kind) || object.kind, labels: {}, containerPorts: [] });
        if (!details.has(id)) {
            const account = template.spec?.serviceAccountName ?? template.spec?.serviceAccount;
            details.set(id, {
                serviceAccount: typeof account === "string" && account !== "" ? account : "default",
                labels: strings(template.metadata?.labels),
                annotations: strings(template.metadata?.annotations),
                runsGatewayProxy: runsGatewayProxy(template.spec?.containers),
            });
        }
    }
    return details;
}

/** Istio's gateway deployments run `pilot-agent proxy router` in the `istio-proxy` container (a sidecar runs `proxy sidecar`). */
function runsGatewayProxy(containers: unknown): boolean {
    return Array.isArray(containers) && containers.some((container: { name?: unknown; args?: unknown } | null) =>
        container?.name === "istio-proxy" && Array.isArray(container.args) && container.args[0] === "proxy" && container.args.includes("router"));
}

function strings(map: unknown): Record<string, string> {
    if (typeof map !== "object" || map === null || Array.isArray(map)) {
        return {};
    }
    return Object.fromEntries(Object.entries(map).map(([key, value]) => [key, String(value)]));
}
