/**
 * Envoy's access log as Istio writes it with `meshConfig.accessLogEncoding: JSON` and no
 * `accessLogFormat`: one JSON object a request (HTTP) or connection (TCP), with the keys of
 * Istio's default JSON format (istio/istio pilot/pkg/model/telemetry_logging.go,
 * EnvoyJSONLogFormatIstio): start_time, route_name, method (%REQ(:METHOD)%), path
 * (%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%), protocol, response_code, response_flags,
 * response_code_details, connection_termination_details, bytes_received, bytes_sent, duration,
 * upstream_service_time, x_forwarded_for, user_agent, request_id, authority, upstream_host,
 * upstream_cluster, upstream_local_address, downstream_local_address, downstream_remote_address,
 * requested_server_name, upstream_transport_failure_reason. Envoy writes a value it does not
 * have as null (or "-" in older proxies).
 *
 * Which proxy logged the entry is in `upstream_cluster`:
 *   - `inbound|PORT||`: the destination's sidecar. The caller is `downstream_remote_address`
 *     (the sidecar sees the calling pod's own address), the destination
 *     `downstream_local_address` (its pod's address and port).
 *   - `outbound|PORT|SUBSET|HOST` (or PassthroughCluster): the caller's sidecar, or a gateway.
 *     The connection to the destination `upstream_host` leaves from `upstream_local_address`,
 *     the proxy's pod: the caller. A gateway also accepted the connection on its own pod's
 *     address (`downstream_local_address` holds the same address as `upstream_local_address`;
 *     a sidecar's is the Service address the application called): that first hop, from
 *     `downstream_remote_address` to the gateway, is a flow too.
 * Addresses are mapped to workloads through the pods' addresses (peers.ts). A request that
 * reached no upstream (no `upstream_host` on an outbound entry) names no destination and is
 * skipped; so is one Istio refused (response_code_details `rbac_access_denied...`), which is cut
 * already.
 */
import { JsonRecord, ObservedFlow, ObservedFlowError, ParsedRecord, portOf, RecordFormat, shown } from "./observedFlow";

/** `10.0.0.1:9080` or `[fd00::1]:9080` as address and port. */
function socketAddress(value: unknown): { address: string; port: number } | undefined {
    const match = typeof value === "string" ? /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):([0-9]+)$/.exec(value) : null;
    const port = match ? portOf(match[3]) : undefined;
    return match && port !== undefined ? { address: match[1] ?? match[2], port } : undefined;
}

const absent = (value: unknown) => value === undefined || value === null || value === "-" || value === "";

function addressField(record: JsonRecord, field: string, at: string, what: string): { address: string; port: number } {
    const value = socketAddress(record[field]);
    if (value === undefined) {
        throw new ObservedFlowError(`${at}: ${field}: must be ${what} as ADDRESS:PORT, ${shown(record[field])}; Istio's default JSON access log has it: keep it in a custom accessLogFormat`);
    }
    return value;
}

function parse(record: JsonRecord, at: string): ParsedRecord {
    const cluster = record.upstream_cluster;
    if (typeof cluster !== "string") {
        throw new ObservedFlowError(`${at}: upstream_cluster: must be Envoy's cluster name (inbound|PORT||, outbound|PORT|SUBSET|HOST), ${shown(cluster)}; Istio's default JSON access log has it: keep it in a custom accessLogFormat`);
    }
    const downstream = addressField(record, "downstream_remote_address", at, "the caller's address");
    const local = addressField(record, "downstream_local_address", at, "the address the proxy accepted the connection on");
    if (typeof record.response_code_details === "string" && record.response_code_details.startsWith("rbac_access_denied")) {
        return { skip: "refused by an AuthorizationPolicy already" };
    }
    const method = absent(record.method) ? undefined : String(record.method);
    // The path as policies match it: without the query (AuthorizationPolicy `paths` match the path alone).
    const path = absent(record.path) ? undefined : String(record.path).replace(/[?#].*$/, "");
    const request = method !== undefined || path !== undefined ? { request: { ...(method ? { method } : {}), ...(path ? { path } : {}) } } : {};
    const hop = (src: string, dst: { address: string; port: number }): ObservedFlow => ({
        at, src: { kind: "address", address: src }, dst: { kind: "address", address: dst.address }, protocol: "TCP", port: dst.port, ...request,
    });
    if (cluster.startsWith("inbound|")) {
        return [hop(downstream.address, local)];
    }
    if (absent(record.upstream_host)) {
        return { skip: "no upstream host (the request reached no destination)" };
    }
    const upstream = addressField(record, "upstream_host", at, "the destination's address");
    const proxy = addressField(record, "upstream_local_address", at, "the proxy's own address");
    return local.address === proxy.address ? [hop(downstream.address, local), hop(proxy.address, upstream)] : [hop(proxy.address, upstream)];
}

export const envoyAccessLogFormat: RecordFormat = {
    name: "envoy",
    recognises: (record) => "upstream_cluster" in record || "downstream_remote_address" in record,
    parse,
};
