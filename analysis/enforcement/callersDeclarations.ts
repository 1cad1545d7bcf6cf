/**
 * The declarations that would keep the flows enforcement cuts: `callers` entries of the stack's
 * `ztmesh:services` (stacks/schema.ts), one per called service and calling service, for a
 * person to review and add to `Pulumi.<stack>.yaml`; nothing is applied.
 *
 * A workload is the service whose Kubernetes Service selects its pods (MeshService names the
 * Service after the `ztmesh:services` entry). An entry names the caller as `service` (in the
 * callee's namespace) or `namespace/service`; `ports` (the Service's port names) only where the
 * callee has more than one port, as the stacks write it; `methods` and `paths` the requests
 * observed, exactly, and only where every cut flow of the entry shows its requests: a flow
 * observed at layer 3/4 alone (Calico's records, where no access log shows its requests) keeps
 * every request admitted, and the entry then names none.
 */
import type { KubeObject } from "../manifests";
import { clusterFromObjects, namespaceOf, Workload, workloadId } from "../netpol/workloads";
import { analysedObjects } from "../reach";
import type { ImpactFlow } from "./impactFlow";

/** A `callers` entry of `ztmesh:services`, as stacks/schema.ts declares it. */
export interface CallerEntry {
    readonly service: string;
    readonly ports?: readonly string[];
    readonly methods?: readonly string[];
    readonly paths?: readonly string[];
}

/** The callers to add to one service of `ztmesh:services`. */
export interface CallersDeclaration {
    readonly name: string;
    readonly namespace: string;
    readonly callers: readonly CallerEntry[];
}

interface ServicePort {
    readonly name?: string;
    readonly port?: number;
    readonly targetPort?: number | string;
}

interface ServiceObject {
    readonly name: string;
    readonly namespace: string;
    readonly selector: Readonly<Record<string, string>>;
    readonly ports: readonly ServicePort[];
}

function servicesOf(objects: readonly KubeObject[]): ServiceObject[] {
    return objects.filter((object) => object.kind === "Service" && (object.apiVersion ?? "v1") === "v1").flatMap((object) => {
        const spec = object.spec as { selector?: Record<string, string>; ports?: ServicePort[] } | undefined;
        const selector = spec?.selector ?? {};
        return Object.keys(selector).length === 0 ? [] : [{ name: String(object.metadata?.name), namespace: namespaceOf(object), selector, ports: spec?.ports ?? [] }];
    }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const selects = (service: ServiceObject, workload: Workload) => service.namespace === workload.namespace
    && Object.entries(service.selector).every(([key, value]) => workload.labels[key] === value);

/** The Service port an observed port reaches: by target port (a number, or a container port's name), else by port. */
function servicePort(service: ServiceObject, workload: Workload, port: number): ServicePort | undefined {
    return service.ports.find((candidate) => {
        const target = candidate.targetPort ?? candidate.port;
        return typeof target === "number" ? target === port
            : workload.containerPorts.some((declared) => declared.name === target && declared.port === port);
    }) ?? service.ports.find((candidate) => candidate.port === port && candidate.targetPort === undefined);
}

interface Accumulated {
    readonly callee: ServiceObject;
    readonly caller: string;
    readonly ports: Set<string>;
    readonly methods: Set<string>;
    readonly paths: Set<string>;
    everyMethod: boolean;
    everyPath: boolean;
}

/** The declarations that would keep `cut`, and the cut flows none can keep, each with why. */
export function callersDeclarations(objects: readonly KubeObject[], cut: readonly ImpactFlow[]): { declarations: CallersDeclaration[]; undeclarable: string[] } {
    const workloads = new Map(clusterFromObjects(analysedObjects(objects)).workloads.map((workload) => [workloadId(workload), workload]));
    const services = servicesOf(objects);
    const entries = new Map<string, Accumulated>();
    const undeclarable: string[] = [];
    for (const flow of cut) {
        const src = workloads.get(flow.src);
        const dst = workloads.get(flow.dst);
        const callee = dst && services.find((service) => selects(service, dst));
        const caller = src && services.find((service) => selects(service, src));
        const port = callee && dst ? servicePort(callee, dst, flow.port) : undefined;
        const why = dst === undefined ? `${flow.dst} is outside the cluster`
            : callee === undefined ? `no Service selects ${flow.dst}, so no service of ztmesh:services is called`
                : src === undefined ? `${flow.src} is outside the cluster: declare a public route of ${callee.namespace}/${callee.name} instead`
                    : caller === undefined ? `no Service selects ${flow.src} (a gateway's calls are declared as the called service's public routes)`
                        : port === undefined ? `port ${flow.port} is no port of Service ${callee.namespace}/${callee.name}` : undefined;
        if (why !== undefined || !callee || !caller || !port) {
            undeclarable.push(`${flow.src} => ${flow.dst} : ${flow.protocol} ${flow.port}: ${why}`);
            continue;
        }
        const callerName = caller.namespace === callee.namespace ? caller.name : `${caller.namespace}/${caller.name}`;
        const key = JSON.stringify([callee.namespace, callee.name, callerName]);
        const entry = entries.get(key) ?? { callee, caller: callerName, ports: new Set(), methods: new Set(), paths: new Set(), everyMethod: true, everyPath: true };
        entries.set(key, entry);
        entry.ports.add(port.name ?? String(port.port));
        entry.everyMethod &&= flow.requests.length > 0 && flow.requests.every((request) => request.method !== undefined);
        entry.everyPath &&= flow.requests.length > 0 && flow.requests.every((request) => request.path !== undefined);
        flow.requests.forEach((request) => {
            if (request.method !== undefined) entry.methods.add(request.method);
            if (request.path !== undefined) entry.paths.add(request.path);
        });
    }
    const declarations = new Map<string, { name: string; namespace: string; callers: CallerEntry[] }>();
    for (const entry of entries.values()) {
        const key = `${entry.callee.namespace}/${entry.callee.name}`;
        const declaration = declarations.get(key) ?? { name: entry.callee.name, namespace: entry.callee.namespace, callers: [] };
        declarations.set(key, declaration);
        declaration.callers.push({
            service: entry.caller,
            ...(entry.callee.ports.length > 1 ? { ports: [...entry.ports].sort() } : {}),
            ...(entry.everyMethod ? { methods: [...entry.methods].sort() } : {}),
            ...(entry.everyPath ? { paths: [...entry.paths].sort() } : {}),
        });
    }
    return { declarations: [...declarations.values()], undeclarable };
}
