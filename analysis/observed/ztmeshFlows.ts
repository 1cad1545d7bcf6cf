/**
 * ztmesh's own observed-flow format (docs/reach.md, "Observed flows"): one JSON object a line,
 *
 *   {"src": "bookinfo/productpage-v1", "dst": "10.244.0.17", "port": 9080, "protocol": "TCP", "method": "GET", "path": "/ratings/0"}
 *
 * `src` and `dst` name a workload or pod as `namespace/name` or `namespace/name[Kind]`, or give
 * an address (a pod's, which stands for its workload, or one outside the cluster); `port` is the
 * destination port; `protocol` TCP (the default), UDP or SCTP; `method` and `path` the HTTP
 * request, if one is known. Every other key is refused, so that a misspelt one is not ignored.
 */
import { parseAddress } from "../netpol/ipRanges";
import { Protocol } from "../netpol/ports";
import { JsonRecord, ObservedFlowError, ObservedPeer, ParsedRecord, portOf, RecordFormat, shown } from "./observedFlow";

const keys = ["src", "dst", "port", "protocol", "method", "path"];
const protocols: readonly Protocol[] = ["TCP", "UDP", "SCTP"];

function peerOf(value: unknown, field: string, at: string): ObservedPeer {
    if (typeof value === "string" && parseAddress(value) !== undefined) {
        return { kind: "address", address: value };
    }
    const match = typeof value === "string" ? /^([^/[\]\s]+)\/([^/[\]\s]+)(?:\[([A-Za-z]+)\])?$/.exec(value) : null;
    if (match === null) {
        throw new ObservedFlowError(`${at}: ${field}: must be "namespace/name", "namespace/name[Kind]" or an IP address, ${shown(value)}`);
    }
    return { kind: "name", namespace: match[1], name: match[2], ...(match[3] ? { workloadKind: match[3] } : {}) };
}

function parse(record: JsonRecord, at: string): ParsedRecord {
    const unknown = Object.keys(record).find((key) => !keys.includes(key));
    if (unknown !== undefined) {
        throw new ObservedFlowError(`${at}: ${unknown}: unknown key; a ztmesh flow has ${keys.join(", ")}`);
    }
    const port = portOf(record.port);
    if (port === undefined || typeof record.port !== "number") {
        throw new ObservedFlowError(`${at}: port: must be the destination port, a number from 1 to 65535, ${shown(record.port)}`);
    }
    const protocol = String(record.protocol ?? "TCP").toUpperCase() as Protocol;
    if (!protocols.includes(protocol)) {
        throw new ObservedFlowError(`${at}: protocol: must be TCP, UDP or SCTP, ${shown(record.protocol)}`);
    }
    for (const field of ["method", "path"] as const) {
        if (record[field] !== undefined && (typeof record[field] !== "string" || record[field] === "")) {
            throw new ObservedFlowError(`${at}: ${field}: must be a non-empty string (the HTTP request's ${field}) or left out, ${shown(record[field])}`);
        }
    }
    if (typeof record.path === "string" && !record.path.startsWith("/")) {
        throw new ObservedFlowError(`${at}: path: an HTTP path begins with /, ${shown(record.path)}`);
    }
    const request = record.method !== undefined || record.path !== undefined
        ? { ...(record.method !== undefined ? { method: String(record.method) } : {}), ...(record.path !== undefined ? { path: String(record.path) } : {}) }
        : undefined;
    return [{ at, src: peerOf(record.src, "src", at), dst: peerOf(record.dst, "dst", at), protocol, port, ...(request ? { request } : {}) }];
}

export const ztmeshFlowFormat: RecordFormat = {
    name: "ztmesh",
    recognises: (record) => "src" in record || "dst" in record,
    parse,
};
