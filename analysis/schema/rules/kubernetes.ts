/**
 * Checks the Kubernetes API server makes in Go (pkg/apis/<group>/validation, apimachinery's
 * metav1validation) that its OpenAPI schema does not express, where they change what policy
 * means: label syntax, label selectors, a workload's selector against its pod template, port
 * numbers and names, and NetworkPolicy ports and peers.
 */
import { matches } from "../../calicoSelector";
import { labelSelectorNode } from "../../netpol/labelSelector";
import { cidrProblem } from "./cidr";
import { eachProblem, firstProblem, isPortNumber, Mapping, Problem } from "./problems";

const labelName = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A label key: `[prefix/]name`, the prefix a DNS subdomain (253), the name 63 characters (IsQualifiedName). */
export function labelKeyProblem(key: string): Problem {
    const slash = key.lastIndexOf("/");
    const [prefix, name] = slash < 0 ? [undefined, key] : [key.slice(0, slash), key.slice(slash + 1)];
    if (prefix !== undefined && (prefix.length > 253 || !dnsSubdomain.test(prefix))) {
        return `label key prefix ${JSON.stringify(prefix)} must be a DNS subdomain (lower case letters, digits, "-" and ".")`;
    }
    if (name.length > 63 || !labelName.test(name)) {
        return `label key ${JSON.stringify(key)} must be at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit`;
    }
    return undefined;
}

/** A label value: empty, or up to 63 letters, digits, "-", "_", "." starting and ending alphanumeric (IsValidLabelValue). */
export function labelValueProblem(value: string): Problem {
    return value === "" || (value.length <= 63 && labelName.test(value))
        ? undefined
        : `label value ${JSON.stringify(value)} must be at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit`;
}

export function labelsProblem(labels: Mapping | undefined, path: string): Problem {
    for (const [key, value] of Object.entries(labels ?? {})) {
        const problem = labelKeyProblem(key) ?? labelValueProblem(String(value));
        if (problem !== undefined) {
            return `${path}: ${problem}`;
        }
    }
    return undefined;
}

/** metav1validation.ValidateLabelSelector: operators, and values present exactly for In and NotIn. */
export function labelSelectorProblem(selector: Mapping | undefined, path: string): Problem {
    if (selector === undefined) {
        return undefined;
    }
    return firstProblem(
        () => labelsProblem(selector.matchLabels, `${path}.matchLabels`),
        () => eachProblem<Mapping>(selector.matchExpressions, `${path}.matchExpressions`, (requirement, at) => {
            const values: unknown[] = requirement.values ?? [];
            switch (requirement.operator) {
                case "In":
                case "NotIn":
                    return values.length === 0 ? `${at}.values: must be non-empty when operator is ${requirement.operator}` : undefined;
                case "Exists":
                case "DoesNotExist":
                    return values.length > 0 ? `${at}.values: must be empty when operator is ${requirement.operator}` : undefined;
                default:
                    return `${at}.operator: must be In, NotIn, Exists or DoesNotExist, found ${JSON.stringify(requirement.operator)}`;
            }
        }),
        () => eachProblem<Mapping>(selector.matchExpressions, `${path}.matchExpressions`, (requirement, at) => firstProblem(
            () => labelKeyProblem(String(requirement.key)) && `${at}.key: ${labelKeyProblem(String(requirement.key))}`,
            // ValidateLabelSelectorRequirement: each value is a label value (the selector compares it with one).
            () => eachProblem<unknown>(requirement.values, `${at}.values`, (value, valueAt) => labelValueProblem(String(value)) && `${valueAt}: ${labelValueProblem(String(value))}`),
        )),
    );
}

/**
 * IANA_SVC_NAME, the form of a named port. Checked where a policy names a port; a container
 * port's own name is not (upstream analyzer inputs carry names such as "calico-node-port", 16
 * characters): a name no policy can spell cannot change what policy allows. The form: 1-15
 * lower case letters, digits and single hyphens, with a letter.
 */
export function portNameProblem(name: string): Problem {
    return name.length <= 15 && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name) && /[a-z]/.test(name) && !name.includes("--")
        ? undefined
        : `${JSON.stringify(name)} is not a valid port name (IANA_SVC_NAME: at most 15 lower case letters, digits and single "-", with at least one letter)`;
}

const protocols = ["TCP", "UDP", "SCTP"];

function protocolProblem(protocol: unknown, at: string): Problem {
    return protocol === undefined || protocols.includes(protocol as string) ? undefined : `${at}: must be TCP, UDP or SCTP, found ${JSON.stringify(protocol)}`;
}

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A DNS-1123 label (IsDNS1123Label): container names, Service port names. */
function dnsLabelProblem(value: unknown, at: string): Problem {
    return typeof value === "string" && value.length <= 63 && dnsLabel.test(value) ? undefined
        : `${at}: ${JSON.stringify(value)} must be a DNS-1123 label (at most 63 lower case letters, digits and "-", starting and ending with a letter or digit)`;
}

/** The first name that an earlier item of `items` has already, as "path[i].field: Duplicate value". */
function duplicateProblem(items: readonly Mapping[] | undefined, path: string, key: (item: Mapping) => string | undefined, words: string): Problem {
    const seen = new Set<string>();
    return eachProblem<Mapping>(items, path, (item, at) => {
        const value = key(item);
        if (value === undefined) {
            return undefined;
        }
        if (seen.has(value)) {
            return `${at}: duplicate ${words} ${value}`;
        }
        seen.add(value);
        return undefined;
    });
}

/**
 * core validation ValidatePodSpec: container names are DNS labels, unique in the pod
 * (validateContainers); in one container, port numbers 1-65535 and names unique
 * (validateContainerPorts); with hostNetwork a hostPort must equal its containerPort
 * (validateHostNetwork; an unset one is defaulted to it).
 */
function podSpecProblem(spec: Mapping | undefined, path: string): Problem {
    const containers = [...(spec?.initContainers ?? []).map((c: Mapping, i: number) => [c, `${path}.initContainers[${i}]`]),
        ...(spec?.containers ?? []).map((c: Mapping, i: number) => [c, `${path}.containers[${i}]`])] as Array<[Mapping, string]>;
    const names = new Set<string>();
    for (const [container, at] of containers) {
        const problem = firstProblem(
            // A missing name is the schema's to require (the upstream analyzers' inputs leave it out).
            () => (container.name === undefined ? undefined : dnsLabelProblem(container.name, `${at}.name`)),
            () => (container.name !== undefined && names.has(container.name) ? `${at}.name: duplicate container name ${JSON.stringify(container.name)}` : undefined),
            () => eachProblem<Mapping>(container.ports, `${at}.ports`, (port, portAt) => firstProblem(
                () => (port.containerPort === undefined ? `${portAt}.containerPort: required field is missing`
                    : isPortNumber(port.containerPort) ? undefined : `${portAt}.containerPort: must be a port number 1-65535, found ${JSON.stringify(port.containerPort)}`),
                () => protocolProblem(port.protocol, `${portAt}.protocol`),
                () => (port.hostPort === undefined || port.hostPort === 0 || isPortNumber(port.hostPort) ? undefined
                    : `${portAt}.hostPort: must be a port number 1-65535, found ${JSON.stringify(port.hostPort)}`),
                () => (spec?.hostNetwork === true && port.hostPort !== undefined && port.hostPort !== 0 && port.hostPort !== port.containerPort
                    ? `${portAt}.hostPort: must match containerPort (${port.containerPort}) when hostNetwork is true, found ${port.hostPort}` : undefined),
            )),
            () => duplicateProblem(container.ports, `${at}.ports`, (port) => (port.name ? JSON.stringify(port.name) : undefined), "port name"),
        );
        if (problem !== undefined) {
            return problem;
        }
        names.add(container.name);
    }
    return undefined;
}

/** Whether a label selector (matchLabels and matchExpressions) selects `labels`. */
function selects(selector: Mapping, labels: Mapping): boolean {
    return matches(labelSelectorNode(selector), Object.fromEntries(Object.entries(labels).map(([key, value]) => [key, String(value)])));
}

/**
 * A workload's selector must select its own pod template, and may not be empty (apps
 * validation ValidateDeploymentSpec, ValidateReplicaSetSpec, ValidateStatefulSetSpec,
 * ValidateDaemonSetSpec: "empty selector is invalid"; core ValidateReplicationControllerSpec,
 * whose missing selector is defaulted to the template's labels; batch validateJobSpec, whose
 * selector is generated unless manualSelector). Replicas are non-negative (ValidateNonnegativeField).
 */
function templateProblem(spec: Mapping | undefined, kind: string): Problem {
    const template: Mapping | undefined = spec?.template;
    const templateLabels: Mapping = template?.metadata?.labels ?? {};
    const selector: Mapping | undefined = kind === "ReplicationController" ? (spec?.selector ? { matchLabels: spec.selector } : undefined) : spec?.selector;
    const empty = selector !== undefined && Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0;
    return firstProblem(
        () => labelsProblem(template?.metadata?.labels, "spec.template.metadata.labels"),
        () => (kind === "ReplicationController" ? labelsProblem(spec?.selector, "spec.selector") : labelSelectorProblem(selector, "spec.selector")),
        () => (empty && kind !== "Job" && kind !== "ReplicationController" ? `spec.selector: empty selector is invalid for a ${kind}; select the template's labels, e.g. matchLabels: {app: ...}` : undefined),
        () => {
            if (selector === undefined || empty) {
                return undefined;
            }
            const unmatched = Object.entries(selector.matchLabels ?? {}).find(([key, value]) => templateLabels[key] !== value);
            if (unmatched !== undefined) {
                return `spec.selector: selects ${unmatched[0]}=${String(unmatched[1])}, which spec.template.metadata.labels does not have; the selector must match the template's labels`;
            }
            return selects(selector, templateLabels) ? undefined : "spec.selector: its matchExpressions do not select spec.template.metadata.labels; the selector must match the template's labels";
        },
        ...["replicas", "parallelism", "completions"].map((field) => () => (spec?.[field] === undefined || spec[field] >= 0 ? undefined
            : `spec.${field}: must be greater than or equal to 0, found ${spec[field]}`)),
        () => podSpecProblem(template?.spec, "spec.template.spec"),
    );
}

/**
 * core validation ValidateService: port numbers 1-65535, names DNS labels, required when there
 * are several ports and unique, port and protocol unique, targetPort a port number or an
 * IANA_SVC_NAME (ValidatePortNumOrName), selector labels valid.
 */
function serviceProblem(spec: Mapping | undefined): Problem {
    const ports: Mapping[] = spec?.ports ?? [];
    return firstProblem(
        () => eachProblem<Mapping>(ports, "spec.ports", (port, at) => firstProblem(
            () => (isPortNumber(port.port) ? undefined : `${at}.port: must be a port number 1-65535, found ${JSON.stringify(port.port)}`),
            () => protocolProblem(port.protocol, `${at}.protocol`),
            () => (port.name === undefined || port.name === "" ? (ports.length > 1 ? `${at}.name: required when a Service has more than one port` : undefined)
                : dnsLabelProblem(port.name, `${at}.name`)),
            () => (port.targetPort === undefined || (typeof port.targetPort === "number" ? isPortNumber(port.targetPort) : portNameProblem(String(port.targetPort)) === undefined)
                ? undefined : `${at}.targetPort: must be a port number 1-65535 or a port name (IANA_SVC_NAME), found ${JSON.stringify(port.targetPort)}`),
        )),
        () => duplicateProblem(ports, "spec.ports", (port) => (port.name ? JSON.stringify(port.name) : undefined), "port name"),
        () => duplicateProblem(ports, "spec.ports", (port) => `${port.port}/${port.protocol ?? "TCP"}`, "port and protocol"),
        () => labelsProblem(spec?.selector, "spec.selector"),
    );
}

function networkPolicyPortProblem(port: Mapping, at: string): Problem {
    return firstProblem(
        () => protocolProblem(port.protocol, `${at}.protocol`),
        () => {
            if (typeof port.port === "string") {
                return portNameProblem(port.port) && `${at}.port: ${portNameProblem(port.port)}`;
            }
            return port.port === undefined || isPortNumber(port.port) ? undefined : `${at}.port: must be a port number 1-65535, found ${port.port}`;
        },
        () => {
            if (port.endPort === undefined) {
                return undefined;
            }
            if (typeof port.port !== "number") {
                return `${at}.endPort: may only be given with a numeric port (found ${port.port === undefined ? "no port" : `the named port ${JSON.stringify(port.port)}`}); give port a number, or drop endPort`;
            }
            return isPortNumber(port.endPort) && port.endPort >= port.port ? undefined : `${at}.endPort: must be a port number from port (${port.port}) to 65535, found ${port.endPort}`;
        },
    );
}

function networkPolicyPeerProblem(peer: Mapping, at: string): Problem {
    const selectors = peer.podSelector !== undefined || peer.namespaceSelector !== undefined;
    if (peer.ipBlock !== undefined && selectors) {
        return `${at}: an ipBlock may not be combined with podSelector or namespaceSelector; make them separate peers`;
    }
    if (peer.ipBlock === undefined && !selectors) {
        return `${at}: must give a podSelector, a namespaceSelector or an ipBlock`;
    }
    return firstProblem(
        () => labelSelectorProblem(peer.podSelector, `${at}.podSelector`),
        () => labelSelectorProblem(peer.namespaceSelector, `${at}.namespaceSelector`),
        () => (peer.ipBlock === undefined ? undefined : cidrProblem(peer.ipBlock.cidr, `${at}.ipBlock.cidr`)),
        () => (peer.ipBlock === undefined ? undefined : eachProblem<string>(peer.ipBlock.except, `${at}.ipBlock.except`, (except, exceptAt) => cidrProblem(except, exceptAt, peer.ipBlock.cidr))),
    );
}

/** The API server's checks of a NetworkPolicy's spec (also of the spec a Calico StagedKubernetesNetworkPolicy stages). */
export function networkPolicyProblem(spec: Mapping | undefined): Problem {
    const rules = (direction: "ingress" | "egress", peers: "from" | "to") => () => eachProblem<Mapping>(spec?.[direction], `spec.${direction}`, (rule, at) => firstProblem(
        () => eachProblem<Mapping>(rule.ports, `${at}.ports`, networkPolicyPortProblem),
        () => eachProblem<Mapping>(rule[peers], `${at}.${peers}`, networkPolicyPeerProblem),
    ));
    return firstProblem(
        () => labelSelectorProblem(spec?.podSelector, "spec.podSelector"),
        () => eachProblem<string>(spec?.policyTypes, "spec.policyTypes", (type, at) => (type === "Ingress" || type === "Egress" ? undefined : `${at}: must be Ingress or Egress, found ${JSON.stringify(type)}`)),
        rules("ingress", "from"),
        rules("egress", "to"),
    );
}

const workloadKinds = new Set(["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "ReplicationController", "Job"]);

/** The API server's own checks of a built-in object (after its schema passed). */
export function kubernetesProblem(object: Mapping): Problem {
    const kind = object.kind as string;
    return firstProblem(
        () => (kind === "Pod" ? podSpecProblem(object.spec, "spec") : undefined),
        () => (workloadKinds.has(kind) ? templateProblem(object.spec, kind) : undefined),
        () => (kind === "Service" ? serviceProblem(object.spec) : undefined),
        () => (kind === "CronJob" ? podSpecProblem(object.spec?.jobTemplate?.spec?.template?.spec, "spec.jobTemplate.spec.template.spec") : undefined),
        () => (kind === "NetworkPolicy" ? networkPolicyProblem(object.spec) : undefined),
    );
}
