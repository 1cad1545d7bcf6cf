/**
 * Calico's flow records, as its open-source flow aggregator Goldmane hands them out (Calico
 * 3.32, projectcalico/calico):
 *
 *   - Goldmane's emitter (goldmane/pkg/emitter/emitter.go) writes each aggregated flow as one
 *     line of Go's encoding/json of proto.Flow (goldmane/proto/api.proto, api.pb.go): the keys
 *     are the Go struct's json tags, `{"Key": {"source_name", "source_namespace", "source_type",
 *     "dest_name", "dest_namespace", "dest_type", "dest_port", "proto", "reporter", "action",
 *     "policies": {"enforced_policies": [...], "pending_policies": [...]}}, "start_time", ...}`,
 *     and the enums are their numbers (EndpointType WorkloadEndpoint 1, HostEndpoint 2,
 *     NetworkSet 3, Network 4; Reporter Src 1, Dst 2; Action Allow 1, Deny 2, Pass 3;
 *     PolicyKind as in api.proto). Their names (protojson's spelling) are read too.
 *   - Whisker's backend (whisker-backend/pkg/apis/v1/flows.go, FlowResponse) serves the same
 *     flows flattened, enums as names: `{"source_name", "source_namespace", "dest_name",
 *     "dest_namespace", "protocol", "dest_port", "reporter", "action", "policies": {"enforced":
 *     [...], "pending": [...]}}`, without endpoint types; the unnamed networks are named
 *     "PUBLIC NETWORK" and "PRIVATE NETWORK" and the namespace of what has none "Global"
 *     (whisker-backend/pkg/handlers/v1/protoconvert.go). One flow a line, as
 *     `jq -c '.items[]'` makes of its list.
 *
 * A workload endpoint's name is a pod's, or the GenerateName its replicas share followed by `*`
 * (felix/collector/types/endpoint/endpoint.go): peers.ts maps it to the workload. Host
 * endpoints, network sets and networks are no workload and carry no address in these records:
 * they are skipped and counted. A flow Calico denied is skipped too (enforcement cannot cut what
 * is cut already), and each of the two reports of a flow (source and destination) is one flow.
 */
import { Protocol } from "../netpol/ports";
import { JsonRecord, ObservedFlowError, ObservedPeer, ParsedRecord, portOf, RecordFormat, shown } from "./observedFlow";

const endpointTypes = ["EndpointTypeUnspecified", "WorkloadEndpoint", "HostEndpoint", "NetworkSet", "Network"];
const actions = ["ActionUnspecified", "Allow", "Deny", "Pass"];
const policyKinds = ["KindUnspecified", "CalicoNetworkPolicy", "GlobalNetworkPolicy", "StagedNetworkPolicy", "StagedGlobalNetworkPolicy",
    "StagedKubernetesNetworkPolicy", "NetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "Profile", "EndOfTier", "ClusterNetworkPolicy"];
const protocols: Readonly<Record<string, Protocol>> = { tcp: "TCP", udp: "UDP", sctp: "SCTP", "6": "TCP", "17": "UDP", "132": "SCTP" };

/** An enum as Goldmane's emitter (a number) or Whisker and protojson (a name) write it: its name. */
function enumName(value: unknown, names: readonly string[]): string | undefined {
    return typeof value === "number" ? names[value] : typeof value === "string" && names.includes(value) ? value : undefined;
}

interface Fields {
    readonly sourceName: string;
    readonly sourceNamespace: string;
    readonly sourceType?: string;
    readonly destName: string;
    readonly destNamespace: string;
    readonly destType?: string;
    readonly port: unknown;
    readonly protocol: unknown;
    readonly action: unknown;
    readonly enforced: unknown;
    readonly pending: unknown;
}

function stringField(record: JsonRecord, key: string, at: string): string {
    const value = record[key];
    if (typeof value !== "string") {
        throw new ObservedFlowError(`${at}: ${key}: must be a string (Calico's flow record always has it), ${shown(value)}`);
    }
    return value;
}

function goldmaneFields(record: JsonRecord, at: string): Fields {
    const key = record.Key;
    if (typeof key !== "object" || key === null || Array.isArray(key)) {
        throw new ObservedFlowError(`${at}: Key: must be the flow's key, a mapping {"source_name", "dest_name", ...}, ${shown(key)}`);
    }
    const fields = key as JsonRecord;
    const inKey = `${at}: Key`;
    const type = (side: "source" | "dest") => {
        const value = fields[`${side}_type`];
        const name = enumName(value, endpointTypes);
        if (name === undefined) {
            throw new ObservedFlowError(`${inKey}.${side}_type: must be an EndpointType (1 WorkloadEndpoint, 2 HostEndpoint, 3 NetworkSet, 4 Network, or its name), ${shown(value)}`);
        }
        return name;
    };
    const policies = (fields.policies ?? {}) as JsonRecord;
    return {
        sourceName: stringField(fields, "source_name", inKey), sourceNamespace: String(fields.source_namespace ?? ""), sourceType: type("source"),
        destName: stringField(fields, "dest_name", inKey), destNamespace: String(fields.dest_namespace ?? ""), destType: type("dest"),
        port: fields.dest_port, protocol: fields.proto, action: fields.action,
        enforced: policies.enforced_policies, pending: policies.pending_policies,
    };
}

function whiskerFields(record: JsonRecord, at: string): Fields {
    const policies = (record.policies ?? {}) as JsonRecord;
    return {
        sourceName: stringField(record, "source_name", at), sourceNamespace: String(record.source_namespace ?? ""),
        destName: stringField(record, "dest_name", at), destNamespace: String(record.dest_namespace ?? ""),
        port: record.dest_port, protocol: record.protocol, action: record.action,
        enforced: policies.enforced, pending: policies.pending,
    };
}

/** The workload endpoint a side names, or why it is no workload. */
function peer(name: string, namespace: string, type: string | undefined): ObservedPeer | string {
    const noNamespace = namespace === "" || namespace === "-" || namespace === "Global";
    if (type === "HostEndpoint" || type === "NetworkSet" || type === "Network" || name === "pub" || name === "pvt" || /^(PUBLIC|PRIVATE) NETWORK$/.test(name) || noNamespace) {
        return `an endpoint that is no workload (${type ?? (noNamespace ? "not namespaced" : name)}); Calico's records carry no address for it`;
    }
    return name.endsWith("*") ? { kind: "aggregate", namespace, name } : { kind: "name", namespace, name };
}

/** The policy hits as one clause: "Deny by StagedKubernetesNetworkPolicy bookinfo/default-deny (tier default)". */
function hits(value: unknown): string | undefined {
    if (!Array.isArray(value) || value.length === 0) {
        return undefined;
    }
    const policy = (hit: JsonRecord) => `${enumName(hit?.kind, policyKinds) ?? "policy"} ${hit?.namespace ? `${String(hit.namespace)}/` : ""}${String(hit?.name ?? "")}`;
    return value.map((hit: JsonRecord) => {
        const action = enumName(hit?.action, actions) ?? "?";
        if (enumName(hit?.kind, policyKinds) === "EndOfTier") {
            const trigger = hit.trigger as JsonRecord | undefined;
            return `${action} at the end of tier ${String(hit.tier ?? "")}${trigger ? ` (selected by ${policy(trigger)})` : ""}`;
        }
        return `${action} by ${policy(hit)}${hit?.tier ? ` (tier ${String(hit.tier)})` : ""}`;
    }).join(", ");
}

function parseWith(fieldsOf: (record: JsonRecord, at: string) => Fields, where: string) {
    return (record: JsonRecord, at: string): ParsedRecord => {
        const fields = fieldsOf(record, at);
        const port = portOf(fields.port);
        if (port === undefined) {
            return { skip: "no destination port (ICMP, or a protocol without ports)" };
        }
        const protocol = protocols[String(fields.protocol).toLowerCase()];
        if (protocol === undefined) {
            return { skip: `protocol without ports the analysis evaluates (${JSON.stringify(fields.protocol)})` };
        }
        const action = enumName(fields.action, actions);
        if (action === undefined) {
            throw new ObservedFlowError(`${at}: ${where}action: must be the flow's Action (1 Allow, 2 Deny, 3 Pass, or its name), ${shown(fields.action)}`);
        }
        if (action === "Deny") {
            return { skip: "denied by Calico already" };
        }
        const src = peer(fields.sourceName, fields.sourceNamespace, fields.sourceType);
        const dst = peer(fields.destName, fields.destNamespace, fields.destType);
        if (typeof src === "string" || typeof dst === "string") {
            return { skip: typeof src === "string" ? src : dst as string };
        }
        const enforced = hits(fields.enforced);
        const pending = hits(fields.pending);
        const calico = [enforced && `enforced: ${enforced}`, pending && `pending (staged): ${pending}`].filter(Boolean).join("; ");
        return [{ at, src, dst, protocol, port, ...(calico ? { calico } : {}) }];
    };
}

/** Goldmane's emitter: the flow under `Key`. */
export const goldmaneFlowFormat: RecordFormat = {
    name: "calico-goldmane",
    recognises: (record) => "Key" in record,
    parse: parseWith(goldmaneFields, "Key."),
};

/** Whisker's flows: the same, flattened. */
export const whiskerFlowFormat: RecordFormat = {
    name: "calico-whisker",
    recognises: (record) => "source_name" in record && "dest_name" in record,
    parse: parseWith(whiskerFields, ""),
};
