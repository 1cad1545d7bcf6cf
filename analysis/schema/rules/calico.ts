/**
 * Checks Calico's validator makes (libcalico-go lib/validator/v3) that the CRD schemas do not,
 * for the policy kinds the engine evaluates: selectors parse, ports only with a protocol that
 * has ports, ICMP matches only with ICMP, nets are CIDRs, port ranges run upwards.
 */
import { parseSelector } from "../../calicoSelector";
import { addressOrCidrProblem } from "./cidr";
import { networkPolicyProblem, portNameProblem } from "./kubernetes";
import { eachProblem, firstProblem, isPortNumber, Mapping, Problem } from "./problems";

const portProtocols = new Set(["TCP", "UDP", "SCTP", "UDPLite", "6", "17", "132", "136"]);
const icmpProtocols = new Set(["ICMP", "ICMPv6", "1", "58"]);
/** The protocol names Calico knows (the v1 CRDs store them in lower case). */
const protocolNames = new Set(["tcp", "udp", "icmp", "icmpv6", "sctp", "udplite"]);

function selectorProblem(selector: unknown, at: string): Problem {
    if (typeof selector !== "string") {
        return undefined;
    }
    try {
        parseSelector(selector);
        return undefined;
    } catch (error) {
        return `${at}: invalid Calico selector ${JSON.stringify(selector)}: ${(error as Error).message}`;
    }
}

/**
 * `80`, `"80"`, `"80:90"` (first <= last) or a port name, which names a Kubernetes container
 * port and so has its form (IANA_SVC_NAME, as validator.go's port name check).
 */
function portProblem(port: unknown, at: string): Problem {
    if (typeof port === "number") {
        return isPortNumber(port) ? undefined : `${at}: ${port} is not a port number 1-65535`;
    }
    const range = /^(\d+)(?::(\d+))?$/.exec(String(port));
    if (range === null) {
        return String(port) === "" ? `${at}: empty port` : portNameProblem(String(port)) && `${at}: ${portNameProblem(String(port))}`;
    }
    const [first, last] = [Number(range[1]), Number(range[2] ?? range[1])];
    return isPortNumber(first) && isPortNumber(last) && first <= last ? undefined : `${at}: ${JSON.stringify(port)} is not a port range first:last within 1-65535`;
}

function entityProblem(entity: Mapping | undefined, at: string, protocol: string | undefined): Problem {
    if (entity === undefined) {
        return undefined;
    }
    const hasPorts = (entity.ports ?? []).length > 0 || (entity.notPorts ?? []).length > 0;
    return firstProblem(
        () => (hasPorts && (protocol === undefined || !portProtocols.has(protocol))
            ? `${at}: ports and notPorts need the rule's protocol to be TCP, UDP, SCTP or UDPLite, found ${protocol === undefined ? "no protocol" : JSON.stringify(protocol)}` : undefined),
        () => eachProblem(entity.ports, `${at}.ports`, portProblem),
        () => eachProblem(entity.notPorts, `${at}.notPorts`, portProblem),
        () => selectorProblem(entity.selector, `${at}.selector`),
        () => selectorProblem(entity.notSelector, `${at}.notSelector`),
        () => selectorProblem(entity.namespaceSelector, `${at}.namespaceSelector`),
        () => selectorProblem(entity.serviceAccounts?.selector, `${at}.serviceAccounts.selector`),
        () => eachProblem(entity.nets, `${at}.nets`, addressOrCidrProblem),
        () => eachProblem(entity.notNets, `${at}.notNets`, addressOrCidrProblem),
    );
}

/**
 * numorstring.Protocol as libcalico-go's validator.go `validateProtocol` reads it: a number
 * 1-255 (0 is refused, and the number is a uint8) or a protocol name.
 */
function protocolProblem(protocol: unknown, at: string): Problem {
    if (protocol === undefined) {
        return undefined;
    }
    if (typeof protocol === "number" || /^\d+$/.test(String(protocol))) {
        const number = Number(protocol);
        return Number.isInteger(number) && number >= 1 && number <= 255 ? undefined : `${at}: protocol number ${String(protocol)} is not within 1-255`;
    }
    return protocolNames.has(String(protocol).toLowerCase()) ? undefined
        : `${at}: ${JSON.stringify(protocol)} is not a protocol (TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite, or a number 1-255)`;
}

function ruleProblem(rule: Mapping, at: string): Problem {
    const protocol = rule.protocol === undefined ? undefined : String(rule.protocol);
    const icmp = rule.icmp !== undefined || rule.notICMP !== undefined;
    return firstProblem(
        () => protocolProblem(rule.protocol, `${at}.protocol`),
        () => protocolProblem(rule.notProtocol, `${at}.notProtocol`),
        () => (icmp && (protocol === undefined || !icmpProtocols.has(protocol))
            ? `${at}: icmp and notICMP need the rule's protocol to be ICMP or ICMPv6, found ${protocol === undefined ? "no protocol" : JSON.stringify(protocol)}` : undefined),
        () => entityProblem(rule.source, `${at}.source`, protocol),
        () => entityProblem(rule.destination, `${at}.destination`, protocol),
    );
}

function policyProblem(spec: Mapping): Problem {
    return firstProblem(
        () => selectorProblem(spec.selector, "spec.selector"),
        () => selectorProblem(spec.namespaceSelector, "spec.namespaceSelector"),
        () => selectorProblem(spec.serviceAccountSelector, "spec.serviceAccountSelector"),
        () => eachProblem(spec.ingress, "spec.ingress", ruleProblem),
        () => eachProblem(spec.egress, "spec.egress", ruleProblem),
    );
}

/**
 * A staged policy's spec: what it stages is checked as the policy it would become, except that
 * `stagedAction: Delete` stages the removal of the enforced policy of its name and so must stage
 * nothing else (libcalico-go validator.go, validateStagedNetworkPolicy and its twins: every spec
 * field but `tier`, and for a StagedKubernetesNetworkPolicy every field, zero-valued).
 */
function stagedProblem(spec: Mapping, kept: readonly string[], staged: (spec: Mapping) => Problem): Problem {
    if (spec.stagedAction !== "Delete") {
        return staged(spec);
    }
    const isZero = (value: unknown) => value === undefined || (typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 0);
    const set = Object.keys(spec).filter((field) => field !== "stagedAction" && !kept.includes(field) && !isZero(spec[field]));
    return set.length === 0 ? undefined
        : `spec.${set[0]}: a staged policy with stagedAction Delete stages the removal of the enforced policy of its name and holds no rules; remove spec.${set.join(", spec.")}${kept.length === 0 ? "" : ` (only spec.${kept.join(", spec.")} may stay)`}, or set stagedAction to Set`;
}

/** Calico's own checks of a Calico object (after its schema passed). */
export function calicoProblem(object: Mapping): Problem {
    const spec: Mapping = object.spec ?? {};
    switch (object.kind) {
        case "NetworkPolicy":
        case "GlobalNetworkPolicy":
            return policyProblem(spec);
        case "StagedNetworkPolicy":
        case "StagedGlobalNetworkPolicy":
            return stagedProblem(spec, ["tier"], policyProblem);
        case "StagedKubernetesNetworkPolicy":
            return stagedProblem(spec, [], networkPolicyProblem);
        case "NetworkSet":
        case "GlobalNetworkSet":
            return eachProblem(spec.nets, "spec.nets", addressOrCidrProblem);
        default:
            return undefined;
    }
}
