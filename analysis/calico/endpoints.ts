/**
 * Calico's own endpoint and address objects, beside the workloads of netpol/workloads.ts:
 *
 *   - HostEndpoint (a node's interface): an endpoint named `name[HostEndpoint]`, not
 *     namespaced, so only global policies select it and only global selectors (a
 *     GlobalNetworkPolicy's, or `namespaceSelector: global()`) see it as a peer; its
 *     `expectedIPs` are what `nets` match, its `ports` what named ports resolve to, its
 *     `profiles` what decides after the tiers.
 *   - WorkloadEndpoint: when its `spec.pod` is a Pod in the input, it tells Calico's view of that
 *     pod (its `ipNetworks` and `profiles`); otherwise it is an endpoint of its own,
 *     `namespace/name[WorkloadEndpoint]`, with its labels, service account and ports.
 *   - NetworkSet / GlobalNetworkSet: named address sets (`nets`) that rule selectors select by
 *     their labels, like endpoints (evaluate.ts names the External ranges they hold).
 *   - ServiceAccount: its labels, for `serviceAccountSelector` and `serviceAccounts.selector`.
 */
import { Labels } from "../calicoSelector";
import { KubeObject } from "../manifests";
import { AddressSet, noAddresses } from "../netpol/ipRanges";
import { ContainerPort, parseProtocol } from "../netpol/ports";
import { clusterFromObjects, describeObject, namespaceOf, Workload, workloadId } from "../netpol/workloads";
import { netList, stringList } from "./entity";
import { NetworkSetView, Profile } from "./model";
import { isCalicoKind } from "./objects";
import { Profiles, stringMap } from "./profiles";

/** A Calico endpoint that no workload object stands for. */
export interface CalicoEndpoint {
    readonly name: string;
    readonly workload: Workload;
    readonly host: boolean;
    readonly serviceAccount: string;
    readonly addresses?: AddressSet;
    readonly profiles: readonly Profile[];
}

/** What a WorkloadEndpoint adds to the pod's workload it describes. */
export interface PodEndpointDetails {
    readonly addresses?: AddressSet;
    readonly profiles?: readonly Profile[];
}

export interface NetworkSet extends NetworkSetView {
    readonly nets: AddressSet;
}

interface EndpointSpec {
    pod?: unknown;
    ipNetworks?: unknown;
    expectedIPs?: unknown;
    profiles?: unknown;
    ports?: unknown;
    serviceAccountName?: unknown;
    nets?: unknown;
}

/** Calico's endpoints beside the workloads, and the details WorkloadEndpoints give of pods (by workload name). */
export function calicoEndpoints(endpointObjects: readonly KubeObject[], profiles: Profiles, objects: readonly KubeObject[]): { endpoints: CalicoEndpoint[]; pods: Map<string, PodEndpointDetails> } {
    const endpoints: CalicoEndpoint[] = [];
    const pods = new Map<string, PodEndpointDetails>();
    for (const object of endpointObjects) {
        const host = isCalicoKind(object, "HostEndpoint");
        if (!host && !isCalicoKind(object, "WorkloadEndpoint")) {
            continue;
        }
        const what = host ? `HostEndpoint ${object.metadata?.name ?? "(unnamed)"}` : describeObject(object);
        try {
            const spec = (object.spec ?? {}) as EndpointSpec;
            const addresses = netList(host ? spec.expectedIPs : spec.ipNetworks, host ? "expectedIPs" : "ipNetworks");
            const profileNames = spec.profiles === undefined || spec.profiles === null ? undefined : stringList(spec.profiles, "profiles");
            const pod = host ? undefined : podOf(objects, namespaceOf(object), spec.pod);
            if (pod) {
                pods.set(pod, { ...(addresses ? { addresses } : {}), ...(profileNames ? { profiles: profiles.named(profileNames, what) } : {}) });
                continue;
            }
            const name = object.metadata?.name;
            if (!name) {
                throw new Error("metadata.name is missing");
            }
            const serviceAccount = typeof spec.serviceAccountName === "string" && spec.serviceAccountName !== "" ? spec.serviceAccountName : "default";
            const workload: Workload = {
                namespace: host ? "" : namespaceOf(object),
                name,
                kind: object.kind,
                labels: stringMap(object.metadata?.labels, "metadata.labels"),
                containerPorts: endpointPorts(spec.ports),
            };
            endpoints.push({
                name: host ? `${name}[HostEndpoint]` : workloadId(workload),
                workload,
                host,
                serviceAccount,
                ...(addresses ? { addresses } : {}),
                profiles: profileNames ? profiles.named(profileNames, what) : host ? [] : profiles.ofPod(workload.namespace, serviceAccount),
            });
        } catch (error) {
            throw new Error(`${what}: ${(error as Error).message}`);
        }
    }
    return { endpoints, pods };
}

/** The workload name of the Pod `name` in `namespace`, if the input has it. */
function podOf(objects: readonly KubeObject[], namespace: string, name: unknown): string | undefined {
    const pod = objects.find((object) => object.kind === "Pod" && object.metadata?.name === name && namespaceOf(object) === namespace);
    return pod ? workloadId(clusterFromObjects([pod]).workloads[0]) : undefined;
}

/** `ports: [{name, protocol, port}]`, the named ports of a Calico endpoint. */
function endpointPorts(value: unknown): ContainerPort[] {
    if (value === undefined || value === null) {
        return [];
    }
    if (!Array.isArray(value)) {
        throw new Error("ports is not a list");
    }
    return value.map((port: { name?: unknown; protocol?: unknown; port?: unknown }, index) => {
        if (typeof port?.port !== "number" || !Number.isInteger(port.port) || port.port < 1 || port.port > 65535) {
            throw new Error(`ports[${index}].port ${JSON.stringify(port?.port)} is not a port number`);
        }
        return { ...(typeof port.name === "string" ? { name: port.name } : {}), port: port.port, protocol: parseProtocol(port.protocol) };
    });
}

/** Every NetworkSet and GlobalNetworkSet. */
export function networkSets(objects: readonly KubeObject[], namespaceLabels: ReadonlyMap<string, Labels>): NetworkSet[] {
    return objects.flatMap((object): NetworkSet[] => {
        const global = isCalicoKind(object, "GlobalNetworkSet");
        if (!global && !isCalicoKind(object, "NetworkSet")) {
            return [];
        }
        const namespace = global ? undefined : namespaceOf(object);
        const setName = `${object.kind} ${namespace === undefined ? "" : `${namespace}/`}${object.metadata?.name ?? "(unnamed)"}`;
        try {
            return [{
                object: setName,
                ...(namespace === undefined ? {} : { namespace }),
                labels: { ...stringMap(object.metadata?.labels, "metadata.labels"), ...(namespace === undefined ? {} : { "projectcalico.org/namespace": namespace }) },
                namespaceLabels: namespace === undefined ? {} : { ...(namespaceLabels.get(namespace) ?? {}), "projectcalico.org/name": namespace },
                nets: netList((object.spec as EndpointSpec | undefined)?.nets, "nets") ?? noAddresses,
            }];
        } catch (error) {
            throw new Error(`${setName}: ${(error as Error).message}`);
        }
    });
}

/** Service account labels by `namespace/name`, plus `projectcalico.org/name`, as Calico gives selectors them. */
export function serviceAccountLabels(objects: readonly KubeObject[]): (namespace: string, name: string) => Labels {
    const byName = new Map<string, Labels>();
    for (const object of objects.filter((candidate) => candidate.kind === "ServiceAccount")) {
        byName.set(`${namespaceOf(object)}/${object.metadata?.name ?? ""}`, stringMap(object.metadata?.labels, `${describeObject(object)}: metadata.labels`));
    }
    return (namespace, name) => ({ ...(byName.get(`${namespace}/${name}`) ?? {}), "projectcalico.org/name": name });
}
