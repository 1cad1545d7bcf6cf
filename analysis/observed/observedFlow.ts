/**
 * Observed flows: traffic that really ran, read from logs, so that the enforcement impact
 * (enforcement/impact.ts) can say which of it enforcing an audit rollout would cut. One record
 * a line (JSON Lines), in any of three formats, told apart by their keys:
 *
 *   - ztmesh's own (ztmeshFlows.ts): `{"src": "bookinfo/productpage-v1", "dst": ..., "port": 9080}`;
 *   - Calico's flow records as its flow aggregator, Goldmane, emits them, or as Whisker serves
 *     them (calicoFlows.ts);
 *   - Envoy's access log as Istio writes it with `accessLogEncoding: JSON` (envoyAccessLog.ts).
 *
 * A record that is not what its format says is an error naming the file, the line, the field
 * and the fix (exit code 2): a flow silently dropped could hide traffic that enforcement cuts.
 * What logs normally hold besides flows is skipped and counted in one warning per file and
 * reason: in an istio-proxy container's log, istio-agent's own lines (not JSON); records of
 * endpoints that are no workload (hosts, network sets, unnamed networks); and the last line of
 * a log still being written (no newline yet, cut off).
 */
import type { PeerQuery, RequestQuery } from "../eval/evaluate";
import { readInputFile } from "../files/inputFiles";
import type { Protocol } from "../netpol/ports";

/** A flow as observed; its peers are mapped to the analyzer's workloads by peers.ts. */
export interface ObservedFlow {
    /** Where it was read: `file:line`. */
    readonly at: string;
    readonly src: ObservedPeer;
    readonly dst: ObservedPeer;
    readonly protocol: Protocol;
    readonly port: number;
    /** The HTTP request, where the log shows one (Envoy's access log, ztmesh's format). */
    readonly request?: RequestQuery;
    /** What Calico recorded of the flow's verdicts, enforced and pending (staged), when it is a Calico flow record. */
    readonly calico?: string;
}

/**
 * A peer as a log names it: an address, a workload or pod (`namespace/name[Kind]`), or Calico's
 * aggregated name of a set of pods, their GenerateName followed by `*`.
 */
export type ObservedPeer = PeerQuery | { readonly kind: "aggregate"; readonly namespace: string; readonly name: string };

/** A record that is no flow of its format: the message names the file, line, field and fix. */
export class ObservedFlowError extends Error {}

/** What a format's parser makes of one record: its flows (an access log entry may show two hops), or why the record is skipped (counted, not an error). */
export type ParsedRecord = readonly ObservedFlow[] | { readonly skip: string };

export type JsonRecord = Record<string, unknown>;

export interface RecordFormat {
    readonly name: string;
    /** Whether `record` is of this format (by its keys). */
    readonly recognises: (record: JsonRecord) => boolean;
    readonly parse: (record: JsonRecord, at: string) => ParsedRecord;
}

/** The observed flows in `paths`, in the order read; skipped records are counted in `warn`, one line per file and reason. */
export function readObservedFlows(paths: readonly string[], formats: readonly RecordFormat[], warn: (message: string) => void, maxFileBytes?: number): ObservedFlow[] {
    return paths.flatMap((file) => {
        const skipped = new Map<string, number>();
        const skip = (reason: string) => skipped.set(reason, (skipped.get(reason) ?? 0) + 1);
        const flows = recordsOf(readInputFile({ file, source: file }, maxFileBytes), file, formats, skip);
        skipped.forEach((count, reason) => warn(`${file}: ${count} record${count === 1 ? "" : "s"} skipped: ${reason}`));
        if (flows.length === 0) {
            warn(`${file}: no observed flows`);
        }
        return flows;
    });
}

function recordsOf(text: string, file: string, formats: readonly RecordFormat[], skip: (reason: string) => void): ObservedFlow[] {
    const lines = text.split("\n");
    const flows: ObservedFlow[] = [];
    lines.forEach((raw, index) => {
        const line = raw.trim();
        const at = `${file}:${index + 1}`;
        if (line === "") {
            return;
        }
        if (!line.startsWith("{")) {
            skip("not JSON (in an istio-proxy container's log, istio-agent's own lines)");
            return;
        }
        let record: unknown;
        try {
            record = JSON.parse(line);
        } catch (error) {
            if (index === lines.length - 1) {
                skip("the last line is cut off (no newline: the log was still being written)");
                return;
            }
            throw new ObservedFlowError(`${at}: not a JSON object (${(error as Error).message}); write one flow record a line (JSON Lines)`);
        }
        const format = formats.find((candidate) => candidate.recognises(record as JsonRecord));
        if (format === undefined) {
            throw new ObservedFlowError(`${at}: not a flow record of a format ztmesh reads; give ztmesh's {"src", "dst", "port"}, a Calico flow (Goldmane's {"Key": {...}} or Whisker's {"source_name", "dest_name", ...}) or an Envoy access log entry in Istio's JSON format (with "downstream_remote_address" and "upstream_cluster")`);
        }
        const parsed = format.parse(record as JsonRecord, at);
        if ("skip" in parsed) {
            skip(parsed.skip);
        } else {
            flows.push(...parsed);
        }
    });
    return flows;
}

/** A field's value for a message. */
export function shown(value: unknown): string {
    return value === undefined ? "missing" : `found ${JSON.stringify(value)}`;
}

/** A port number 1-65535 given as a number or a decimal string, or undefined. */
export function portOf(value: unknown): number | undefined {
    const number = typeof value === "number" ? value : typeof value === "string" && /^[0-9]+$/.test(value) ? Number(value) : NaN;
    return Number.isInteger(number) && number >= 1 && number <= 65535 ? number : undefined;
}
