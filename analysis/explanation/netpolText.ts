/**
 * Pair explanations (netpolPairs.ts) in netpol-analyzer's `list --explain` text: a banner, one
 * block per pair that a policy isolates (its allowed, then its denied connections, each set with
 * the Egress and Ingress verdicts and the policies and rules behind them), then a banner over the
 * pairs left to the system default. Checked byte for byte against its outputs in
 * test/conformance/netpolExplain.test.ts.
 */
import { compareNames } from "../netpol/format";
import { Interval } from "../netpol/intervals";
import { allPorts, ConnectionSet, Protocol } from "../netpol/ports";
import { escapeControl } from "../text/escape";
import { DirectionVerdict, ExplainedConnections, PairExplanation, PolicyReason } from "./netpolPairs";

const pairRule = "-".repeat(160);

/** `# title #` between two lines of `#` as long as it. */
function banner(title: string): string {
    const middle = `# ${title} #`;
    return `${"#".repeat(middle.length)}\n${middle}\n${"#".repeat(middle.length)}\n`;
}

/**
 * The explain text in parts: a block per pair of `policed` (pairs some policy isolates, in
 * source, then destination order), then, when there are any, a line per pair of `systemDefault`
 * (those left to the system default, in the same order) under their banner, then `appendix`
 * (the exposure section) if given; sections apart by an empty line. The system default's pairs
 * are a second pass over the peers rather than kept from the first: in a cluster few policies
 * isolate they are most of the square of its workloads.
 */
export function* formatExplanations(policed: Iterable<PairExplanation>, systemDefault: Iterable<Pick<PairExplanation, "src" | "dst">>, appendix?: () => string): Generator<string> {
    yield `\n${banner("Specific connections and their reasons")}`;
    for (const pair of policed) {
        yield pairBlock(pair);
    }
    let first = true;
    for (const pair of systemDefault) {
        if (first) {
            yield `\n${banner("All Connections due to the system default (Allow all)")}`;
            first = false;
        }
        yield `${escapeControl(pair.src.name)} => ${escapeControl(pair.dst.name)}\n`;
    }
    if (appendix !== undefined) {
        yield `\n${appendix()}`;
    }
}

function pairBlock(pair: PairExplanation): string {
    return `${pairRule}\n${pairText(pair)}`;
}

/** A pair's block without the rule above it: `Connections between S => D:`, then its parts; a pair no policy isolates says so. */
export function pairText(pair: PairExplanation): string {
    const src = escapeControl(pair.src.name);
    const dst = escapeControl(pair.dst.name);
    let text = `Connections between ${src} => ${dst}:\n\n`;
    if (!pair.policed) {
        return `${text}All Connections due to the system default (Allow all)\n\n`;
    }
    for (const allowed of [true, false]) {
        // In the order of their spelling, as netpol-analyzer lists them (`TCP:[1-8079,...]` before `TCP:[8080]`).
        const parts = pair.parts.filter((part) => part.allowed === allowed).map((part) => ({ part, spelled: explainedSet(part.connections) }))
            .sort((a, b) => compareNames(a.spelled, b.spelled));
        if (parts.length > 0) {
            text += `${allowed ? "Allowed" : "Denied"} connections:\n`;
            text += parts.map(({ part, spelled }) => partText(part, spelled, src, dst)).join("");
        }
    }
    return text;
}

function partText(part: ExplainedConnections, spelled: string, src: string, dst: string): string {
    const word = part.allowed ? "Allowed" : "Denied";
    return `\t${word} ${spelled} due to the following policies and rules:\n`
        + verdictText(part.egress, src, dst)
        + verdictText(part.ingress, dst, src)
        + "\n";
}

/** A direction's verdict; `own` is the side whose policies decide it, `peer` the other. */
function verdictText(verdict: DirectionVerdict, own: string, peer: string): string {
    const head = `\t\t${verdict.direction} (${verdict.allowed ? "Allowed" : "Denied"})`;
    if (verdict.systemDefault) {
        return `${head} due to the system default (Allow all)\n`;
    }
    const reasons = verdict.reasons.map((reason) => reasonText(reason, verdict.direction, own, peer));
    if (reasons.length === 1) {
        return `${head}\n\t\t\t${reasons[0]}\n`;
    }
    return `${head}\n\t\t\tNetworkPolicy list:\n${reasons.map((reason) => `\t\t\t\t- ${reason}\n`).join("")}\n`;
}

function reasonText(reason: PolicyReason, direction: string, own: string, peer: string): string {
    const policy = `NetworkPolicy '${escapeControl(reason.policy)}'`;
    switch (reason.kind) {
        case "allowed-by-rule":
            return `${policy} allows connections by ${direction} rule #${reason.rule}`;
        case "no-rules":
            return `${policy} selects ${own}, but ${peer} is not allowed by any ${direction} rule (no rules defined)`;
        case "peer-not-admitted":
            return `${policy} selects ${own}, but ${peer} is not allowed by any ${direction} rule`;
        case "ports-not-matched":
            return `${policy} selects ${own}, and ${direction} rule #${reason.rule} selects ${peer}, but ${reason.namedPorts ? "named ports of the rule have no match in the configuration of the destination peer" : "the protocols and ports do not match"}`;
    }
}

/** The explain spelling of a set: `TCP, UDP, SCTP` for everything, `TCP:[1-79,81-65535], UDP` otherwise. */
export function explainedSet(connections: ConnectionSet): string {
    const order: Protocol[] = ["TCP", "UDP", "SCTP"];
    return order.filter((protocol) => !connections.ports(protocol).isEmpty()).map((protocol) => {
        const ports = connections.ports(protocol);
        return ports.equals(allPorts) ? protocol : `${protocol}:[${ports.intervals.map(portRange).join(",")}]`;
    }).join(", ");
}

function portRange(ports: Interval): string {
    return ports.start === ports.end ? String(ports.start) : `${ports.start}-${ports.end}`;
}
