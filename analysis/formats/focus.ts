/**
 * Focus filters on a connectivity list, as netpol-analyzer's `list` applies them:
 *   --focusworkload W[,W...]     only pairs with a focus workload on one side (W is `name`, in any
 *                                namespace, or `namespace/name`);
 *   --focusworkload-peer P[,P..] with --focusworkload: the other side must be one of these;
 *   --focus-direction D          with --focusworkload: only connections into (ingress) or out of
 *                                (egress) the focus workloads;
 *   --focus-conn PROTOCOL-PORT   only pairs that allow that one port, listed as pairs.
 * The options object's fields mirror the flags.
 */
import type { Connection, Endpoint } from "../netpol/connection";
import { IntervalSet } from "../netpol/intervals";
import { ConnectionSet, parseProtocol, Protocol, protocols } from "../netpol/ports";
import { Workload } from "../netpol/workloads";

export type FocusDirection = "ingress" | "egress";

export interface FocusOptions {
    /** `--focusworkload`: workloads as `name` or `namespace/name`. */
    readonly focusworkload?: readonly string[];
    /** `--focusworkload-peer`: with `focusworkload`, the peers the focus workloads' pairs must have. */
    readonly focusworkloadPeer?: readonly string[];
    /** `--focus-direction`: with `focusworkload`, connections into (`ingress`) or out of (`egress`) the focus workloads only. */
    readonly focusDirection?: string;
    /** `--focus-conn`: `PROTOCOL-PORT`, e.g. `tcp-8080`. */
    readonly focusConn?: string;
}

/** A connectivity list after the focus filters, with what the outputs draw. */
export interface FocusedList<C extends Connection> {
    readonly connections: readonly C[];
    /** The workloads a graph draws even without a connection: all, or the focus workloads and peers. */
    readonly workloads: readonly Workload[];
    /** With `focusConn`: the one connection listed (`TCP 8080`); every connection's `allowed` is it. */
    readonly focusConnection?: ConnectionSet;
    /** Focus workloads that name no workload of the input, and flags that are ignored. */
    readonly warnings: readonly string[];
}

/** Bad flag values, with the value and what is expected. */
export class FocusError extends Error {}

/** Which pairs the focus workload options keep, as a test on each pair, for a listing made pair by pair. */
export interface FocusPredicate {
    readonly keeps: (pair: Pick<Connection, "src" | "dst">) => boolean;
    /** The workloads a graph draws even without a connection: all, or the focus workloads and peers. */
    readonly workloads: readonly Workload[];
    readonly warnings: readonly string[];
}

/**
 * The pairs `--focusworkload`, `--focusworkload-peer` and `--focus-direction` keep (not
 * `--focus-conn`, which looks at what a pair allows); throws a FocusError on a malformed option.
 */
export function focusPredicate(workloads: readonly Workload[], options: FocusOptions = {}): FocusPredicate {
    const focus = options.focusworkload ?? [];
    const peers = options.focusworkloadPeer ?? [];
    const direction = parseFocusDirection(options.focusDirection);
    const warnings: string[] = [];
    if (focus.length === 0 && direction !== undefined) {
        warnings.push("focus-direction may be used only with focusworkload, will be ignored");
    }
    if (focus.length === 0 && peers.length > 0) {
        warnings.push("focusworkload-peer may be used only with focusworkload, will be ignored");
    }
    const isFocus = (workload: Workload) => focus.length === 0 || focus.some((name) => namesWorkload(name, workload));
    const isFocusPeer = (workload: Workload) => focus.length === 0 || peers.length === 0 || peers.some((name) => namesWorkload(name, workload));
    const drawn = workloads.filter((workload) => isFocus(workload) || (peers.length > 0 && isFocusPeer(workload)));
    const missing = (names: readonly string[]) => names.filter((name) => !workloads.some((workload) => namesWorkload(name, workload)));
    const missingFocus = missing(focus);
    const missingPeers = focus.length > 0 ? missing(peers) : [];
    warnings.push(...[...missingFocus, ...missingPeers].map((name) => `Workload ${name} does not exist in the input resources.`));
    if ((focus.length > 0 && missingFocus.length === focus.length) || (peers.length > 0 && missingPeers.length === peers.length && focus.length > 0)) {
        warnings.push("no focus workload (or focus workload peer) exists in the input: the list is empty");
        return { keeps: () => false, workloads: drawn, warnings };
    }
    const focused = (endpoint: Endpoint) => endpoint.kind === "workload" && isFocus(endpoint.workload);
    const focusedPeer = (endpoint: Endpoint) => peers.length === 0 || (endpoint.kind === "workload" && isFocusPeer(endpoint.workload));
    const keeps = (pair: Pick<Connection, "src" | "dst">) => {
        if (focus.length > 0 && direction === "ingress" && !focused(pair.dst)) {
            return false;
        }
        if (focus.length > 0 && direction === "egress" && !focused(pair.src)) {
            return false;
        }
        return focus.length === 0 || (focused(pair.src) && focusedPeer(pair.dst)) || (focused(pair.dst) && focusedPeer(pair.src));
    };
    return { keeps, workloads: drawn, warnings };
}

/** The connections and workloads the focus options keep; throws a FocusError on a malformed option. */
export function focusList<C extends Connection>(connections: readonly C[], workloads: readonly Workload[], options: FocusOptions = {}): FocusedList<C> {
    const focusConnection = options.focusConn === undefined ? undefined : parseFocusConn(options.focusConn);
    const { keeps, workloads: drawn, warnings } = focusPredicate(workloads, options);
    const kept = connections.filter((connection) => keeps(connection) && (focusConnection === undefined || contains(connection.allowed, focusConnection)));
    return {
        connections: focusConnection === undefined ? kept : kept.map((connection) => ({ ...connection, allowed: focusConnection })),
        workloads: drawn,
        focusConnection,
        warnings,
    };
}

/** Whether `name` (`name` or `namespace/name`) names the workload. */
export function namesWorkload(name: string, workload: Workload): boolean {
    return workload.name === name || `${workload.namespace}/${workload.name}` === name;
}

/** `--focus-direction`'s value; undefined when not given. Throws a FocusError on another value. */
export function parseFocusDirection(value: string | undefined): FocusDirection | undefined {
    if (value === undefined || value === "") {
        return undefined;
    }
    if (value !== "ingress" && value !== "egress") {
        throw new FocusError(`invalid focus direction value: ${value}; value must be one of [ingress,egress]`);
    }
    return value;
}

/** `tcp-8080` (protocol in any case) as the connection set of that one port. */
export function parseFocusConn(text: string): ConnectionSet {
    const parts = text.split("-");
    if (parts.length !== 2) {
        throw new FocusError(`invalid focus connection: ${text}; must be <protocol-port> format, e.g. tcp-8080`);
    }
    const protocol = protocols.find((known) => known === parts[0].toUpperCase());
    if (protocol === undefined) {
        throw new FocusError(`invalid focus connection: ${text}; unknown protocol: ${parts[0]} (expected one of ${protocols.join(", ")})`);
    }
    const port = /^\d+$/.test(parts[1]) ? Number(parts[1]) : NaN;
    if (!(port >= 1 && port <= 65535)) {
        throw new FocusError(`invalid focus connection: ${text}; invalid port number: ${parts[1]} (1-65535)`);
    }
    return ConnectionSet.of(parseProtocol(protocol as Protocol), IntervalSet.range(port, port));
}

/** Whether every port of `part` is in `allowed`. */
function contains(allowed: ConnectionSet, part: ConnectionSet): boolean {
    return protocols.every((protocol) => part.ports(protocol).subtract(allowed.ports(protocol)).isEmpty());
}
