/**
 * The declared intent against what the policies allow. Each MeshService records its callers on
 * its Service (`callersAnnotation`); a flow into the service's workloads is in order when the
 * declared callers cover it (its ports, and where a proxy enforces layer 7, every request it
 * admits on each port), and every declared caller must reach the workloads on every declared
 * port, with the declared requests where a proxy enforces layer 7.
 *
 * Shared by the policy pack's `reachability-matches-intent` rule and the HTML report.
 */
import { callersAnnotation, DeclaredCaller } from "../common/wellKnown";
import type { Labels } from "./calicoSelector";
import { parseDeclaredCallers } from "./declaredCallers";
import { formatGrants } from "./istio/format";
import { allRequests, Grant, ValueSet } from "./istio/grants";
import { patternCovers } from "./istio/matching";
import { KubeObject } from "./manifests";
import { formatConnectionSet } from "./netpol/format";
import { IntervalSet } from "./netpol/intervals";
import { clusterFromObjects, Workload, workloadId } from "./netpol/workloads";
import type { Flow } from "./reach";

/** A Service that declares its callers. */
export interface DeclaredService {
    readonly namespace: string;
    readonly name: string;
    readonly selector: Labels;
    readonly callers: readonly DeclaredCaller[];
}

/** A workload as the analysis names it (`namespace/name[Kind]`). */
export interface NamedWorkload {
    readonly name: string;
    readonly workload: Workload;
}

export type IntentDifference =
    /**
     * Allowed, but no declared caller covers it: another source, another protocol, more ports,
     * or (`requests`, the grants no declared caller covers) more requests than declared.
     */
    | { readonly kind: "undeclared"; readonly service: DeclaredService; readonly flow: Flow; readonly dst: NamedWorkload; readonly requests?: readonly Grant[] }
    /** Declared, but some declared TCP ports are blocked. */
    | { readonly kind: "blocked"; readonly service: DeclaredService; readonly src: NamedWorkload; readonly dst: NamedWorkload; readonly caller: DeclaredCaller; readonly ports: readonly number[] }
    /** Declared, reachable on its ports, but layer 7 policy admits fewer requests than declared. */
    | { readonly kind: "narrowed"; readonly service: DeclaredService; readonly src: NamedWorkload; readonly dst: NamedWorkload; readonly caller: DeclaredCaller; readonly flow: Flow };

/** A Service whose declared callers cannot be read; `problem` names the annotation and the field. */
export class IntentError extends Error {
    constructor(readonly namespace: string, readonly name: string, readonly problem: string) {
        super(`Service ${namespace}/${name}: ${problem}`);
    }
}

/** The Services in `objects` that carry declared callers. A malformed annotation throws an IntentError. */
export function declaredServices(objects: readonly KubeObject[]): DeclaredService[] {
    return objects.flatMap((object) => {
        const annotations = (object.metadata as { annotations?: Record<string, unknown> } | undefined)?.annotations;
        const text = annotations?.[callersAnnotation];
        if (object.kind !== "Service" || text === undefined) {
            return [];
        }
        const namespace = object.metadata?.namespace || "default";
        const name = object.metadata?.name ?? "";
        const spec = object.spec as { selector?: Labels } | undefined;
        const parsed = parseDeclaredCallers(text);
        if ("problem" in parsed) {
            throw new IntentError(namespace, name, parsed.problem);
        }
        return [{ namespace, name, selector: { ...spec?.selector }, callers: parsed.callers }];
    });
}

/** The workloads behind each declared Service: those its selector picks in its namespace. */
export function declaredTargets(objects: readonly KubeObject[], services: readonly DeclaredService[] = declaredServices(objects)): { service: DeclaredService; workloads: NamedWorkload[] }[] {
    return targetsIn(workloadsByNamespace(objects), services);
}

function targetsIn(byNamespace: ReadonlyMap<string, readonly NamedWorkload[]>, services: readonly DeclaredService[]): { service: DeclaredService; workloads: NamedWorkload[] }[] {
    return services.map((service) => ({
        service,
        workloads: (byNamespace.get(service.namespace) ?? []).filter(({ workload }) => matches(service.selector, workload.labels)),
    }));
}

/** Workloads by namespace: Services and callers name one namespace each, so lookups stay small in a large cluster. */
function workloadsByNamespace(objects: readonly KubeObject[]): Map<string, NamedWorkload[]> {
    return groupBy(clusterFromObjects(objects).workloads.map((workload) => ({ name: workloadId(workload), workload })), (named) => named.workload.namespace);
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
    const groups = new Map<string, T[]>();
    for (const item of items) {
        const group = groups.get(keyOf(item));
        if (group) {
            group.push(item);
        } else {
            groups.set(keyOf(item), [item]);
        }
    }
    return groups;
}

/**
 * Every difference between the flows the policies allow and what the Services in `objects`
 * declare (`services`, when the caller has read them already).
 */
export function intentDifferences(objects: readonly KubeObject[], flows: readonly Flow[], services: readonly DeclaredService[] = declaredServices(objects)): IntentDifference[] {
    const workloads = workloadsByNamespace(objects);
    const flowBetween = new Map(flows.map((flow) => [`${flow.src.name} ${flow.dst.name}`, flow]));
    const flowsInto = groupBy(flows, (flow) => flow.dst.name);
    return targetsIn(workloads, services).flatMap(({ service, workloads: targets }) => targets.flatMap((dst) => [
        ...undeclaredFlows(service, dst, flowsInto.get(dst.name) ?? []),
        ...unmetDeclarations(service, dst, workloads, flowBetween),
    ]));
}

function undeclaredFlows(service: DeclaredService, dst: NamedWorkload, flows: readonly Flow[]): IntentDifference[] {
    return flows.flatMap((flow): IntentDifference[] => {
        const source = flow.src;
        const callers = source.kind === "workload" ? service.callers.filter((caller) => isCaller(caller, source.workload)) : [];
        const declaredPorts = IntervalSet.of(callers.flatMap((caller) => caller.ports).map((port) => ({ start: port, end: port })));
        const otherProtocols = (["UDP", "SCTP"] as const).some((protocol) => !flow.allowed.ports(protocol).isEmpty());
        const covered = callers.length > 0 && !otherProtocols && flow.allowed.ports("TCP").subtract(declaredPorts).isEmpty();
        if (!covered) {
            return [{ kind: "undeclared", service, flow, dst }];
        }
        const requests = undeclaredRequests(flow, callers);
        return requests.length > 0 ? [{ kind: "undeclared", service, flow, dst, requests }] : [];
    });
}

/**
 * The layer 7 grants of a flow (all requests where no proxy enforces layer 7) that admit more
 * than the declared callers do. A grant admits its methods on each of its paths, on each of its
 * ports; it is in order when, on each port and for each path, the callers declaring that port
 * and a pattern covering the path declare all its methods between them (absent methods or
 * paths: any). Hosts and request conditions only narrow a grant, so they are not weighed.
 */
function undeclaredRequests(flow: Flow, callers: readonly DeclaredCaller[]): Grant[] {
    const tcp = flow.allowed.ports("TCP");
    // The flow's ports are declared ones here: the layer 4 check passed.
    const ports = [...new Set(callers.flatMap((caller) => caller.ports))].filter((port) => tcp.contains(port));
    const declares = (port: number, path: string, methods: ValueSet) => {
        const declared = callers.filter((caller) => caller.ports.includes(port) && (caller.paths === undefined || (path !== "*" && caller.paths.some((pattern) => patternCovers(pattern, path)))));
        return declared.some((caller) => caller.methods === undefined)
            || (methods.include !== "*" && methods.include.every((method) => declared.some((caller) => caller.methods!.includes(method))));
    };
    return (flow.l7 ?? [{ ...allRequests, ports: tcp }]).filter((grant) => ports.some((port) => grant.ports.contains(port)
        && !(grant.paths.include === "*" ? ["*"] : grant.paths.include).every((path) => declares(port, path, grant.methods))));
}

function unmetDeclarations(service: DeclaredService, dst: NamedWorkload, workloads: ReadonlyMap<string, readonly NamedWorkload[]>, flowBetween: ReadonlyMap<string, Flow>): IntentDifference[] {
    return service.callers.flatMap((caller) => (workloads.get(caller.namespace) ?? [])
        .filter((src) => src !== dst && isCaller(caller, src.workload))
        .flatMap((src): IntentDifference[] => {
            const flow = flowBetween.get(`${src.name} ${dst.name}`);
            const blocked = caller.ports.filter((port) => !(flow?.allowed.ports("TCP").contains(port) ?? false));
            if (blocked.length > 0) {
                return [{ kind: "blocked", service, src, dst, caller, ports: blocked }];
            }
            return flow && !l7Admits(flow, caller) ? [{ kind: "narrowed", service, src, dst, caller, flow }] : [];
        }));
}

function isCaller(caller: DeclaredCaller, workload: Workload): boolean {
    return workload.namespace === caller.namespace && matches(caller.podLabels, workload.labels);
}

function matches(selector: Labels, labels: Labels): boolean {
    return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

/**
 * Whether the flow's layer 7 grants admit every declared request: each declared method on each
 * declared path (a declared path pattern must appear as such in a grant, or the grant admit any
 * path). No methods declared stands for GET; no paths, for `/`.
 */
function l7Admits(flow: Flow, caller: DeclaredCaller): boolean {
    if (!flow.l7) {
        return true;
    }
    const admits = (set: ValueSet, value: string) => (set.include === "*" || set.include.includes(value)) && !set.exclude.includes(value);
    return (caller.methods ?? ["GET"]).every((method) => (caller.paths ?? ["/"]).every((path) =>
        flow.l7!.some((grant) => admits(grant.methods, method) && (grant.paths.include === "*" || admits(grant.paths, path)))));
}

/** What a difference is, in a sentence whose subject is its Service (`Service ns/name <summary>`). */
export function summarize(difference: IntentDifference): string {
    switch (difference.kind) {
        case "undeclared": {
            const { flow, requests } = difference;
            const what = requests ? formatGrants(requests, flow.allowed.ports("TCP")) : formatConnectionSet(flow.allowed);
            return `lets ${flow.src.name} reach ${difference.dst.name} (${what}), which no declared caller covers`;
        }
        case "blocked":
            return `declares ${difference.src.name} as a caller of ${difference.dst.name}, but TCP ${difference.ports.join(", ")} is blocked`;
        case "narrowed": {
            const { caller } = difference;
            return `declares ${difference.src.name} as a caller of ${difference.dst.name}, but its declared requests (${(caller.methods ?? ["any method"]).join(", ")} ${(caller.paths ?? ["any path"]).join(", ")}) are narrowed at L7`;
        }
    }
}
