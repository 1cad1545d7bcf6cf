/**
 * One Calico rule (docs.tigera.io/calico/latest/reference/resources/networkpolicy#rule) compiled
 * into the tier model, for policies and profiles alike. What each field does here:
 *
 *   - `action`, `protocol`/`notProtocol`, `destination.ports`/`notPorts`, `source`/`destination`
 *     selectors and nets: evaluated (entity.ts, rulePorts.ts).
 *   - `icmp`/`notICMP`: checked (type 0-254, code 0-255, code only with a type, only with
 *     protocol ICMP or ICMPv6). Such a rule covers no TCP, UDP or SCTP traffic, the protocols
 *     the analysis reports, so it decides none of it.
 *   - `ipVersion: 4` or `6`: the rule matches only packets of that family: towards or from an
 *     External range, the range's family; between endpoints, IPv6 where an endpoint's known
 *     addresses are all IPv6, IPv4 otherwise (evaluate.ts).
 *   - `source.ports`/`notPorts`: a client's source port is ephemeral, unknown ahead of time, so
 *     a flow is reported only where every source port would be admitted, with a note
 *     naming the rule (evaluate.ts).
 *   - `http`: carried to the flow as a note (evaluate.ts); Calico enforces it only in the
 *     application layer, never at layer 3/4.
 */
import { compileEntity, EntityContext, EntityRule } from "./entity";
import { HttpMatch, TierRule } from "./model";
import { compileConnections, ruleCoversEverySourcePort, RuleProtocol } from "./rulePorts";

export interface CalicoRule {
    action?: unknown;
    protocol?: unknown;
    notProtocol?: unknown;
    ipVersion?: unknown;
    icmp?: unknown;
    notICMP?: unknown;
    source?: EntityRule;
    destination?: EntityRule;
    http?: unknown;
    metadata?: unknown;
}

const actions = new Set(["Allow", "Deny", "Pass", "Log"]);

/** The rules of one direction; errors name the rule (`ingress rule 2: ...`). */
export function compileRules(list: unknown, direction: "ingress" | "egress", context: EntityContext): TierRule[] {
    if (list === undefined || list === null) {
        return [];
    }
    if (!Array.isArray(list)) {
        throw new Error(`${direction} is not a list of rules`);
    }
    return list.map((rule: CalicoRule, index) => {
        try {
            return compileRule(rule, index + 1, direction === "ingress" ? "source" : "destination", context);
        } catch (error) {
            throw new Error(`${direction} rule ${index + 1}: ${(error as Error).message}`);
        }
    });
}

function compileRule(rule: CalicoRule, index: number, peerSide: "source" | "destination", context: EntityContext): TierRule {
    if (typeof rule !== "object" || rule === null) {
        throw new Error("is not a mapping");
    }
    if (typeof rule.action !== "string" || !actions.has(rule.action)) {
        throw new Error(`action ${JSON.stringify(rule.action)} is not one of Allow, Deny, Pass, Log`);
    }
    if (rule.ipVersion !== undefined && rule.ipVersion !== null && rule.ipVersion !== 4 && rule.ipVersion !== 6) {
        throw new Error(`ipVersion ${JSON.stringify(rule.ipVersion)} is not 4 or 6`);
    }
    checkIcmp(rule);
    const source = compileEntity(rule.source ?? {}, context);
    const destination = compileEntity(rule.destination ?? {}, context);
    const protocol: RuleProtocol = { protocol: rule.protocol, notProtocol: rule.notProtocol };
    return {
        action: rule.action as TierRule["action"],
        index,
        matchesSource: source.matches,
        matchesDestination: destination.matches,
        sourceAddresses: source.addresses,
        destinationAddresses: destination.addresses,
        ...(source.podKeys ? { sourceKeys: source.podKeys } : {}),
        ...(destination.podKeys ? { destinationKeys: destination.podKeys } : {}),
        labelsRead: [...source.labelsRead, ...destination.labelsRead],
        connections: compileConnections(protocol, rule.destination?.ports, rule.destination?.notPorts),
        externalCuts: peerSide === "source" ? source.nets : destination.nets,
        ...(rule.ipVersion === 4 || rule.ipVersion === 6 ? { ipVersion: rule.ipVersion } : {}),
        ...(ruleCoversEverySourcePort(protocol, rule.source?.ports, rule.source?.notPorts) ? {} : { someSourcePorts: true }),
        ...(rule.http === undefined || rule.http === null ? {} : { http: httpMatch(rule.http) }),
    };
}

function checkIcmp(rule: CalicoRule): void {
    for (const field of ["icmp", "notICMP"] as const) {
        const value = rule[field] as { type?: unknown; code?: unknown } | undefined | null;
        if (value === undefined || value === null) {
            continue;
        }
        const protocol = String(rule.protocol ?? "").toUpperCase();
        if (protocol !== "ICMP" && protocol !== "ICMPV6" && protocol !== "1" && protocol !== "58") {
            throw new Error(`${field} needs protocol ICMP or ICMPv6 (protocol is ${JSON.stringify(rule.protocol ?? null)})`);
        }
        const inRange = (number: unknown, max: number) => number === undefined || (Number.isInteger(number) && (number as number) >= 0 && (number as number) <= max);
        if (typeof value !== "object" || !inRange(value.type, 254) || !inRange(value.code, 255)) {
            throw new Error(`${field} ${JSON.stringify(value)}: type must be 0-254 and code 0-255`);
        }
        if (value.code !== undefined && value.type === undefined) {
            throw new Error(`${field}: an ICMP code needs an ICMP type`);
        }
    }
}

/** `http: {methods, paths: [{exact} | {prefix}]}` as the note's terms: paths `/x` exact, `/x*` prefix. */
function httpMatch(value: unknown): HttpMatch {
    const http = value as { methods?: unknown; paths?: unknown };
    if (typeof http !== "object") {
        throw new Error("http is not a mapping");
    }
    const methods = http.methods === undefined || http.methods === null ? [] : http.methods;
    if (!Array.isArray(methods) || methods.some((method) => typeof method !== "string" || method === "")) {
        throw new Error("http.methods is not a list of method names");
    }
    const paths = http.paths === undefined || http.paths === null ? [] : http.paths;
    if (!Array.isArray(paths)) {
        throw new Error("http.paths is not a list");
    }
    return {
        methods: methods as string[],
        paths: paths.map((path: { exact?: unknown; prefix?: unknown }, index) => {
            const exact = typeof path?.exact === "string" && path.exact !== "";
            const prefix = typeof path?.prefix === "string" && path.prefix !== "";
            if (exact === prefix) {
                throw new Error(`http.paths[${index}] must have exactly one of exact or prefix`);
            }
            return exact ? path.exact as string : `${path.prefix as string}*`;
        }),
    };
}
