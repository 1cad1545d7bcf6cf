import { PolicyResource } from "@pulumi/policy";
import { KubeObject, PodTemplate, checked, dataBehind, groupOf, known, namespaceOf, objectKind, plainData, podTemplateOf, runsPods } from "./kubernetes";
import { KubeObject as AnalysisObject } from "../analysis/manifests";

import { externalWorkloadAnnotation } from "../common/wellKnown";
import { PlatformContext, platformOf, platformResources } from "./platform";

export interface StackObject {
    object: KubeObject;
    urn: string;
    resource: PolicyResource;
    /** An object of the platform stack an application stack runs under (see platform.ts), not of this stack. */
    fromPlatform?: boolean;
}

/** Something that runs pods: a workload object of the stack, or one a Service declares as deployed elsewhere. */
export interface Workload {
    owner: StackObject;
    namespace: string;
    podLabels: Record<string, string>;
    /** Undefined for external workloads, whose pods the stack does not describe. */
    template?: PodTemplate;
}

/**
 * The Kubernetes objects of a stack, indexed for stack rules. Objects whose identity (kind,
 * name, namespace) is unknown during preview are left out rather than failing the rule.
 */
export class StackModel {
    readonly objects: StackObject[] = [];
    private readonly byKind = new Map<string, StackObject[]>();
    /** Indexes built on first use, so each rule's lookups cost O(1) however large the stack. */
    private readonly byNamespace = new Map<string, StackObject[]>();
    private workloadList?: Workload[];
    private servicesByKey?: Map<string, StackObject>;
    private namespacesByName?: Map<string, StackObject>;
    private subsetsByService?: Map<StackObject, Set<string>>;

    /** The platform this stack deploys into, when it is an application stack. */
    readonly platform: PlatformContext;

    constructor(resources: readonly PolicyResource[]) {
        this.platform = platformOf(resources);
        const fromPlatform = new Set(platformResources(this.platform.handle));
        for (const resource of [...resources, ...fromPlatform]) {
            const kind = objectKind(resource.type);
            if (kind === undefined) {
                continue;
            }
            const object = resource.props as KubeObject;
            // The identity fields, read off the data behind the analyzer's proxy: each rule builds
            // the model over every object of the stack (see dataBehind). An unknown one drops the object.
            const data = dataBehind(object);
            if (known(() => checked(data.kind) && checked(checked(data.metadata)?.name)) === undefined) {
                continue;
            }
            const entry: StackObject = { object, urn: resource.urn, resource, ...(fromPlatform.has(resource) ? { fromPlatform: true } : {}) };
            this.objects.push(entry);
            push(this.byKind, kind, entry);
            // Namespaced objects without a namespace land in `default`, as the API server puts them.
            const namespace = known(() => checked(checked(data.metadata)?.namespace) ?? "default");
            if (namespace !== undefined) {
                push(this.byNamespace, `${kind}/${namespace}`, entry);
            }
        }
    }

    /** What runs pods: the stack's workload objects, and the workloads its Services declare as deployed elsewhere. */
    get workloads(): Workload[] {
        if (!this.workloadList) {
            this.workloadList = [];
            for (const entry of this.objects) {
                const template = runsPods(objectKind(entry.resource.type)!) ? known(() => podTemplateOf(entry.object)) : undefined;
                if (template) {
                    this.workloadList.push({ owner: entry, namespace: namespaceOf(entry.object), podLabels: known(() => ({ ...template.metadata?.labels })) ?? {}, template });
                }
            }
            for (const service of this.ofKind("Service")) {
                const external = known(() => service.object.metadata.annotations?.[externalWorkloadAnnotation] === "true");
                const selector = known(() => ({ ...service.object.spec?.selector }));
                if (external && selector) {
                    this.workloadList.push({ owner: service, namespace: namespaceOf(service.object), podLabels: selector });
                }
            }
        }
        return this.workloadList;
    }

    /** Objects of `kind`, optionally only of API `group` (`""` for core). */
    ofKind(kind: string, group?: string): StackObject[] {
        const all = this.byKind.get(kind) ?? [];
        return group === undefined ? all : all.filter((entry) => groupOf(entry.object) === group);
    }

    /** The object of `kind` and API `group` named `name` in `namespace`, if the stack has it. */
    named(kind: string, group: string, namespace: string, name: string): StackObject | undefined {
        return this.inNamespace(kind, namespace).find((entry) => groupOf(entry.object) === group && entry.object.metadata.name === name);
    }

    /** Objects of `kind` (any group) in `namespace`. */
    inNamespace(kind: string, namespace: string): StackObject[] {
        return this.byNamespace.get(`${kind}/${namespace}`) ?? [];
    }

    /** Workloads running in `namespace`, or in any namespace when undefined. */
    workloadsIn(namespace: string | undefined): Workload[] {
        return namespace === undefined ? this.workloads : this.workloads.filter((workload) => workload.namespace === namespace);
    }

    /** The Namespace object named `name`, if the stack has it. */
    namespace(name: string): StackObject | undefined {
        if (!this.namespacesByName) {
            this.namespacesByName = new Map(this.ofKind("Namespace", "").map((entry) => [entry.object.metadata.name as string, entry]));
        }
        return this.namespacesByName.get(name);
    }

    /** Namespaces where the stack runs workloads. */
    workloadNamespaces(): Set<string> {
        return new Set(this.workloads.map((workload) => workload.namespace));
    }

    /**
     * The Service a mesh host names, resolved from `fromNamespace` as Istio does: `name`,
     * `name.namespace`, `name.namespace.svc` or the full `name.namespace.svc.cluster.local`.
     */
    service(host: string, fromNamespace: string): StackObject | undefined {
        const parts = host.split(".");
        const [name, namespace = fromNamespace] = parts;
        const suffix = parts.slice(2).join(".");
        if (parts.length > 2 && !["svc", "svc.cluster.local"].includes(suffix)) {
            return undefined;
        }
        if (!this.servicesByKey) {
            this.servicesByKey = new Map(this.ofKind("Service", "").map((entry) => [`${namespaceOf(entry.object)}/${entry.object.metadata.name}`, entry]));
        }
        return this.servicesByKey.get(`${namespace}/${name}`);
    }

    /** The subset names that DestinationRules define for a Service. */
    subsetsOf(service: StackObject): Set<string> {
        if (!this.subsetsByService) {
            this.subsetsByService = new Map();
            for (const { object } of this.ofKind("DestinationRule", "networking.istio.io")) {
                known(() => {
                    const target = this.service(object.spec?.host ?? "", namespaceOf(object));
                    if (target) {
                        const subsets = this.subsetsByService!.get(target) ?? new Set<string>();
                        (object.spec?.subsets ?? []).forEach((subset: { name: string }) => subsets.add(subset.name));
                        this.subsetsByService!.set(target, subsets);
                    }
                });
            }
        }
        return this.subsetsByService.get(service) ?? new Set();
    }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
    const list = map.get(key);
    if (list) {
        list.push(value);
    } else {
        map.set(key, [value]);
    }
}

export function buildStackModel(resources: readonly PolicyResource[]): StackModel {
    return new StackModel(resources);
}

/** The stack's Kubernetes objects as plain data for the analysis; objects with unknown parts are left out. */
export function plainObjects(model: StackModel): AnalysisObject[] {
    return model.objects.flatMap(({ object }) => {
        const plain = plainData(object);
        return plain ? [plain as AnalysisObject] : [];
    });
}
