import { UnknownValueError } from "@pulumi/policy";
// The analyzer's unknown-checking proxy: the key that returns its target, and the sentinels it
// puts where a value is unknown during preview (internal to @pulumi/policy 1.21, which is pinned).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxyInternals = require("@pulumi/policy/proxy") as Record<string, string>;

/**
 * Reading Kubernetes objects out of CrossGuard resources, whether a component created them
 * directly or a `helm.v4.Chart` / `yaml.v2.ConfigFile` rendered them: both reach the pack as
 * resources of type `kubernetes:<group>/<version>:<Kind>` whose props are the object.
 */

export interface ObjectMeta {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
}

export interface KubeObject {
    apiVersion: string;
    kind: string;
    metadata: ObjectMeta;
    spec?: any;
    [field: string]: any;
}

/** Resource types that are Pulumi machinery, not objects sent to the cluster. */
const notObjects = /^kubernetes:(helm\.sh\/|yaml\/|kustomize\/|index:|.*:.*List$)/;

const kindsByType = new Map<string, string | undefined>();

/**
 * The kind of the Kubernetes object a resource of `type` (`kubernetes:<group>/<version>:<Kind>`)
 * is, or undefined for anything else. Read off the type token alone, and remembered per type:
 * every rule asks it of every resource of the stack, and the token names the kind without a
 * read of props through the analyzer's proxy.
 */
export function objectKind(type: string): string | undefined {
    if (!kindsByType.has(type)) {
        const [, groupVersion, kind] = type.split(":");
        const isObject = type.startsWith("kubernetes:") && !notObjects.test(type) && Boolean(groupVersion) && Boolean(kind);
        kindsByType.set(type, isObject ? kind : undefined);
    }
    return kindsByType.get(type);
}

/** The object's API group, `""` for the core group. */
export function groupOf(object: Pick<KubeObject, "apiVersion">): string {
    return object.apiVersion.includes("/") ? object.apiVersion.split("/")[0] : "";
}

/** `Kind namespace/name` (or `Kind name` for cluster-scoped objects), as messages name an object. */
export function describe(object: KubeObject): string {
    const meta = object.metadata ?? {};
    return meta.namespace ? `${object.kind} ${meta.namespace}/${meta.name}` : `${object.kind} ${meta.name}`;
}

/** The namespace of a namespaced object, `default` when unset, as the API server would place it. */
export function namespaceOf(object: KubeObject): string {
    return object.metadata?.namespace ?? "default";
}

/**
 * Runs `read` and returns its value, or undefined when it touches a value that is unknown during
 * preview. Stack policies use it per object, so one unknown field skips one object instead of
 * the whole policy.
 */
export function known<T>(read: () => T): T | undefined {
    try {
        return read();
    } catch (error) {
        if (error instanceof UnknownValueError) {
            return undefined;
        }
        throw error;
    }
}

const unknownSentinels = new Set(["unknownBooleanValue", "unknownNumberValue", "unknownStringValue", "unknownArrayValue", "unknownAssetValue", "unknownArchiveValue", "unknownObjectValue"].map((name) => proxyInternals[name]));

/**
 * The data behind props the analyzer handed over, without its unknown-checking proxy, which
 * wraps every value it hands out in a new proxy: reading many objects' fields that way costs more
 * than the checks themselves. Every value read from it must pass `checked`, as the proxy would
 * check it. Props that are no such proxy (or a changed @pulumi/policy without the key) are
 * returned as they are.
 */
export function dataBehind<T>(props: T): T {
    const target = (props as Record<string, unknown>)[proxyInternals.getSpecialProxyTarget];
    return typeof target === "object" && target !== null ? target as T : props;
}

/** `value`, read from `dataBehind`; throws UnknownValueError, as the proxy does, if it is unknown during preview. */
export function checked<T>(value: T): T {
    if (unknownSentinels.has(value as string)) {
        throw new UnknownValueError(value, []);
    }
    return value;
}

/**
 * The data behind props the analyzer handed over, for code that reads objects in bulk (the
 * reachability analysis), or undefined when any value in them is unknown during preview. The
 * analyzer deserializes props afresh for each policy, so this data is the policy's own: it is
 * checked, not copied.
 */
export function plainData<T>(props: T): T | undefined {
    const data = dataBehind(props);
    return isKnownThroughout(data) ? data : undefined;
}

function isKnownThroughout(value: unknown): boolean {
    if (typeof value === "string") {
        return !unknownSentinels.has(value);
    }
    if (Array.isArray(value)) {
        return value.every(isKnownThroughout);
    }
    if (typeof value === "object" && value !== null) {
        return Object.values(value).every(isKnownThroughout);
    }
    return true;
}

/** A Kubernetes LabelSelector (`matchLabels` AND `matchExpressions`). */
export interface LabelSelector {
    matchLabels?: Record<string, string>;
    matchExpressions?: { key: string; operator: "In" | "NotIn" | "Exists" | "DoesNotExist"; values?: string[] }[];
}

/** Whether `selector` selects `labels`; an empty selector selects everything. */
export function labelSelectorMatches(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
    const matchLabels = selector?.matchLabels ?? {};
    if (!Object.entries(matchLabels).every(([key, value]) => labels[key] === value)) {
        return false;
    }
    return (selector?.matchExpressions ?? []).every((expression) => {
        const present = Object.prototype.hasOwnProperty.call(labels, expression.key);
        switch (expression.operator) {
            case "In": return present && (expression.values ?? []).includes(labels[expression.key]);
            case "NotIn": return !present || !(expression.values ?? []).includes(labels[expression.key]);
            case "Exists": return present;
            case "DoesNotExist": return !present;
        }
        return false;
    });
}

/** Whether a selector has no terms, i.e. selects everything. */
export function isEmptySelector(selector: LabelSelector | undefined): boolean {
    return Object.keys(selector?.matchLabels ?? {}).length === 0 && (selector?.matchExpressions ?? []).length === 0;
}

/** Kinds that run pods, and where each keeps its pod template. */
const podTemplatePaths: Record<string, (object: KubeObject) => any> = {
    Deployment: (o) => o.spec?.template,
    StatefulSet: (o) => o.spec?.template,
    DaemonSet: (o) => o.spec?.template,
    ReplicaSet: (o) => o.spec?.template,
    Job: (o) => o.spec?.template,
    CronJob: (o) => o.spec?.jobTemplate?.spec?.template,
    Pod: (o) => ({ metadata: o.metadata, spec: o.spec }),
};

export interface PodTemplate {
    metadata?: ObjectMeta;
    spec?: { serviceAccountName?: string; serviceAccount?: string; containers?: { name?: string; image?: string }[]; initContainers?: { image?: string }[]; hostNetwork?: boolean };
}

/** Whether objects of `kind` run pods (and have a pod template). */
export function runsPods(kind: string): boolean {
    return Object.prototype.hasOwnProperty.call(podTemplatePaths, kind);
}

/** The pod template of a workload object, or undefined for other kinds. */
export function podTemplateOf(object: KubeObject): PodTemplate | undefined {
    const read = podTemplatePaths[object.kind];
    return read ? read(object) : undefined;
}
