/**
 * The peers inside the cluster, as the analyzer names them: workloads, not pods. A workload
 * object (Deployment, DaemonSet, ...) is one workload under its own kind; a Pod belongs to the
 * workload its controlling owner reference names, or is a workload of its own. Namespaces get
 * the `kubernetes.io/metadata.name` label the API server always sets, and a namespace that
 * holds workloads but has no Namespace object exists with that label alone.
 */
import { Labels } from "../calicoSelector";
import { KubeObject, ObjectMeta } from "../manifests";
import { ContainerPort, parseProtocol } from "./ports";

export interface Workload {
    readonly namespace: string;
    readonly name: string;
    readonly kind: string;
    /** The labels of its pods (of the first pod listed, when a workload's pods differ). */
    readonly labels: Labels;
    readonly containerPorts: readonly ContainerPort[];
}

export interface Cluster {
    readonly workloads: readonly Workload[];
    /** Labels by namespace name, for every namespace declared or used. */
    readonly namespaces: ReadonlyMap<string, Labels>;
}

const namespaceNameLabel = "kubernetes.io/metadata.name";

interface PodTemplate {
    metadata?: ObjectMeta;
    spec?: { containers?: { name?: string; ports?: { name?: string; containerPort?: unknown; protocol?: unknown }[] }[] };
}

/** Where each workload kind keeps the template of its pods; a Pod is its own. */
const podTemplates = new Map<string, (object: KubeObject) => PodTemplate | undefined>([
    ["Pod", (object) => object as PodTemplate],
    ["Deployment", templateOf],
    ["ReplicaSet", templateOf],
    ["ReplicationController", templateOf],
    ["DaemonSet", templateOf],
    ["StatefulSet", templateOf],
    ["Job", templateOf],
    ["CronJob", (object) => templateOf((object.spec as { jobTemplate?: KubeObject } | undefined)?.jobTemplate)],
]);

function templateOf(object: KubeObject | undefined): PodTemplate | undefined {
    return (object?.spec as { template?: PodTemplate } | undefined)?.template;
}

/** Workloads in the order first seen, and namespaces; objects of other kinds are ignored. */
export function clusterFromObjects(objects: readonly KubeObject[]): Cluster {
    const workloads = new Map<string, Workload>();
    for (const object of objects) {
        const findTemplate = podTemplates.get(object.kind);
        if (findTemplate === undefined) {
            continue;
        }
        const template = findTemplate(object);
        if (template === undefined) {
            throw new Error(`${describeObject(object)} has no pod template`);
        }
        const workload = workloadOf(object, template);
        const id = workloadId(workload);
        if (!workloads.has(id)) {
            workloads.set(id, workload);
        }
    }
    return { workloads: [...workloads.values()], namespaces: namespacesOf(objects, [...workloads.values()].map((w) => w.namespace)) };
}

/** `namespace/name[Kind]`, the analyzer's name for a workload. */
export function workloadId(workload: Workload): string {
    return `${workload.namespace}/${workload.name}[${workload.kind}]`;
}

/**
 * What policies can tell of a workload's pods, as parts of a grouping key: the namespace, the
 * labels some selector reads (`labelsRead`, calicoSelector.ts), and the named ports, against
 * which named rule ports resolve (numbered ones do not matter). Workloads alike in these are
 * selected and admitted alike by every policy, so the engines evaluate them as one group.
 */
export function selectorView(workload: Workload, labelsRead: ReadonlySet<string>): unknown[] {
    const labels = Object.keys(workload.labels).filter((key) => labelsRead.has(key)).sort().map((key) => [key, workload.labels[key]]);
    const namedPorts = workload.containerPorts.filter((port) => port.name).map((port) => `${port.name}/${port.protocol}/${port.port}`).sort();
    return [workload.namespace, labels, namedPorts];
}

/**
 * The analyzer's name (`workloadId`) of the workload a Pod or workload object belongs to: a
 * replica's Pod names its controlling owner's. Undefined for other kinds.
 */
export function workloadIdOf(object: KubeObject): string | undefined {
    const template = podTemplates.get(object.kind)?.(object);
    return template === undefined ? undefined : workloadId(workloadOf(object, template));
}

export function namespaceOf(object: KubeObject): string {
    return object.metadata?.namespace || "default";
}

function workloadOf(object: KubeObject, template: PodTemplate): Workload {
    const owner = object.kind === "Pod" ? controllingOwner(object) : undefined;
    const name = owner?.name ?? object.metadata?.name;
    if (!name) {
        throw new Error(`${describeObject(object)} has no name`);
    }
    return {
        namespace: namespaceOf(object),
        name,
        // An owner reference without a kind leaves the pod's own kind, as the analyzer does.
        kind: owner?.kind || object.kind,
        labels: stringLabels(template.metadata?.labels, object),
        containerPorts: containerPorts(template, object),
    };
}

/**
 * The owner whose workload a pod belongs to: the reference marked `controller`. A Node owns
 * the mirror pods of its static pods (etcd, kube-apiserver, ...), which are no workload's
 * replicas, so such a pod stays a workload of its own.
 */
function controllingOwner(pod: KubeObject): { name: string; kind?: string } | undefined {
    const owner = pod.metadata?.ownerReferences?.find((reference) => reference.controller === true);
    if (!owner || typeof owner.name !== "string" || owner.kind === "Node") {
        return undefined;
    }
    return { name: owner.name, kind: owner.kind };
}

function containerPorts(template: PodTemplate, object: KubeObject): ContainerPort[] {
    return (template.spec?.containers ?? []).flatMap((container) => (container.ports ?? []).flatMap((port): ContainerPort[] => {
        if (typeof port.containerPort !== "number") {
            return []; // no containerPort (say, a misspelt `containerport`): nothing a name could resolve to
        }
        try {
            return [{ name: port.name, port: port.containerPort, protocol: parseProtocol(port.protocol) }];
        } catch (error) {
            throw new Error(`${describeObject(object)}: container ${JSON.stringify(container.name)}: ${(error as Error).message}`);
        }
    }));
}

function namespacesOf(objects: readonly KubeObject[], used: readonly string[]): Map<string, Labels> {
    const namespaces = new Map<string, Labels>();
    for (const object of objects) {
        if (object.kind === "Namespace" && object.metadata?.name) {
            const name = object.metadata.name;
            namespaces.set(name, { ...stringLabels(object.metadata.labels, object), [namespaceNameLabel]: name });
        }
    }
    for (const name of used) {
        if (!namespaces.has(name)) {
            namespaces.set(name, { [namespaceNameLabel]: name });
        }
    }
    return namespaces;
}

/** Labels as strings; YAML may have read a value such as `version: 1` as a number. */
function stringLabels(labels: unknown, object: KubeObject): Labels {
    if (labels === undefined || labels === null) {
        return {};
    }
    if (typeof labels !== "object" || Array.isArray(labels)) {
        throw new Error(`${describeObject(object)}: labels are not a mapping`);
    }
    return Object.fromEntries(Object.entries(labels).map(([key, value]) => [key, String(value)]));
}

/** `Kind namespace/name`, for error messages. */
export function describeObject(object: KubeObject): string {
    return `${object.kind} ${namespaceOf(object)}/${object.metadata?.name ?? "(unnamed)"}`;
}
