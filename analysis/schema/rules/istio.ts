/**
 * Checks istiod's validating webhook makes (istio/istio pkg/config/validation and
 * pkg/config/security) that the CRD schemas do not, for the Istio kinds the engine evaluates.
 * Null fields arrive here already removed (a null field is an unset one, as Istio's protobuf
 * JSON decoding reads it), as do empty lists for `from` and `to`, which that decoding also
 * reads as unset.
 */
import { addressOrCidrProblem } from "./cidr";
import { labelsProblem } from "./kubernetes";
import { eachProblem, firstProblem, isPortNumber, Mapping, Problem } from "./problems";

const sourceFields = ["principals", "notPrincipals", "requestPrincipals", "notRequestPrincipals", "namespaces", "notNamespaces",
    "ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks", "serviceAccounts", "notServiceAccounts"];
const operationFields = ["hosts", "notHosts", "ports", "notPorts", "methods", "notMethods", "paths", "notPaths"];

const isSet = (value: unknown) => Array.isArray(value) && value.length > 0;

/** Every string list of `fields` must hold no empty string (security.CheckEmptyValues). */
function emptyValueProblem(mapping: Mapping, fields: readonly string[], at: string): Problem {
    const field = fields.find((name) => (mapping[name] ?? []).some((value: unknown) => value === ""));
    return field === undefined ? undefined : `${at}.${field}: empty value not allowed`;
}

function portsProblem(ports: unknown[] | undefined, at: string): Problem {
    return eachProblem(ports, at, (port, portAt) => (typeof port === "string" && /^\d+$/.test(port) && isPortNumber(Number(port))
        ? undefined : `${portAt}: ${JSON.stringify(port)} is not a port number 1-65535`));
}

function ipsProblem(values: unknown[] | undefined, at: string): Problem {
    return eachProblem(values, at, addressOrCidrProblem);
}

function sourceProblem(from: Mapping, at: string): Problem {
    const source: Mapping | undefined = from.source;
    if (source === undefined) {
        return `${at}.source: must not be nil (give a source, or drop this from entry)`;
    }
    if (!sourceFields.some((field) => isSet(source[field]))) {
        return `${at}.source: must not be empty (set at least one of ${sourceFields.slice(0, 6).join(", ")}, ...)`;
    }
    return firstProblem(
        () => emptyValueProblem(source, sourceFields, `${at}.source`),
        ...["ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks"].map((field) => () => ipsProblem(source[field], `${at}.source.${field}`)),
    );
}

function operationProblem(to: Mapping, at: string): Problem {
    const operation: Mapping | undefined = to.operation;
    if (operation === undefined) {
        return `${at}.operation: must not be nil (give an operation, or drop this to entry)`;
    }
    if (!operationFields.some((field) => isSet(operation[field]))) {
        return `${at}.operation: must not be empty (set at least one of ${operationFields.join(", ")})`;
    }
    return firstProblem(
        () => emptyValueProblem(operation, operationFields, `${at}.operation`),
        () => portsProblem(operation.ports, `${at}.operation.ports`),
        () => portsProblem(operation.notPorts, `${at}.operation.notPorts`),
    );
}

/** The condition keys Istio knows (security.ValidateAttribute); values are checked where their form is fixed. */
function conditionProblem(condition: Mapping, at: string): Problem {
    const key = String(condition.key ?? "");
    if (key === "") {
        return `${at}.key: must not be empty`;
    }
    if (!isSet(condition.values) && !isSet(condition.notValues)) {
        return `${at}: at least one of values or notValues must be set for key ${key}`;
    }
    const values = (check: (values: unknown[] | undefined, at: string) => Problem) => firstProblem(
        () => check(condition.values, `${at}.values`),
        () => check(condition.notValues, `${at}.notValues`),
    );
    if (["source.ip", "remote.ip", "destination.ip"].includes(key)) {
        return values(ipsProblem);
    }
    if (key === "destination.port") {
        return values(portsProblem);
    }
    const known = ["source.namespace", "source.principal", "source.serviceAccount", "request.auth.principal", "request.auth.audiences",
        "request.auth.presenter", "connection.sni"];
    const knownPrefix = /^(request\.headers\[[^\]]+\]|request\.auth\.claims\[.+\]|experimental\.envoy\.filters\..+)$/;
    return known.includes(key) || knownPrefix.test(key) ? undefined : `${at}.key: unknown attribute ${JSON.stringify(key)}`;
}

function authorizationPolicyProblem(spec: Mapping): Problem {
    const action = spec.action ?? "ALLOW";
    return firstProblem(
        () => (spec.selector !== undefined && (spec.targetRef !== undefined || isSet(spec.targetRefs))
            ? "spec: selector and targetRef(s) are mutually exclusive; use one" : undefined),
        () => labelsProblem(spec.selector?.matchLabels, "spec.selector.matchLabels"),
        () => (action === "CUSTOM" && spec.provider === undefined ? "spec.provider: must be set for the CUSTOM action" : undefined),
        () => (action !== "CUSTOM" && spec.provider !== undefined ? `spec.provider: may only be used with the CUSTOM action, not ${action}` : undefined),
        () => eachProblem<Mapping>(spec.rules, "spec.rules", (rule, at) => firstProblem(
            () => eachProblem<Mapping>(rule.from, `${at}.from`, sourceProblem),
            () => eachProblem<Mapping>(rule.to, `${at}.to`, operationProblem),
            () => eachProblem<Mapping>(rule.when, `${at}.when`, conditionProblem),
        )),
    );
}

function peerAuthenticationProblem(spec: Mapping): Problem {
    return firstProblem(
        () => labelsProblem(spec.selector?.matchLabels, "spec.selector.matchLabels"),
        () => (spec.portLevelMtls !== undefined && Object.keys(spec.portLevelMtls).length > 0 && Object.keys(spec.selector?.matchLabels ?? {}).length === 0
            ? "spec.portLevelMtls: requires a selector (port-level mTLS applies to one workload's ports)" : undefined),
        () => Object.keys(spec.portLevelMtls ?? {}).map((port) => (isPortNumber(Number(port)) && /^\d+$/.test(port) ? undefined
            : `spec.portLevelMtls[${JSON.stringify(port)}]: not a port number 1-65535`)).find((problem) => problem !== undefined),
    );
}

/** A Sidecar egress host is `namespace/dnsName` (namespace `*`, `.` or `~` allowed; the name may start with `*`). */
function sidecarProblem(spec: Mapping): Problem {
    return eachProblem<Mapping>(spec.egress, "spec.egress", (listener, at) => firstProblem(
        () => (isSet(listener.hosts) ? undefined : `${at}.hosts: must list at least one namespace/dnsName`),
        () => eachProblem<string>(listener.hosts, `${at}.hosts`, (host, hostAt) => {
            const parts = host.split("/");
            return parts.length === 2 && parts[0] !== "" && /^(\*|\*?[A-Za-z0-9.-]*|~)$/.test(parts[1]) && parts[1] !== ""
                ? undefined : `${hostAt}: ${JSON.stringify(host)} must be namespace/dnsName, e.g. ./*, istio-system/*, */api.example.com`;
        }),
    ));
}

/** A DNS-1123 label as Istio spells it (pkg/config/validation/agent: letters of either case). */
const istioLabel = /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
/** The first label of a wildcard host: `*`, or a label after `*` or `*-` (IsWildcardDNS1123Label). */
const wildcardLabel = /^(\*|(\*|\*-)?[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)$/;

/**
 * ValidateWildcardDomain: at most 255 characters; a wildcard only in the first label; the
 * other labels DNS-1123 labels of at most 63 characters (a trailing "." allowed).
 */
function wildcardDomainProblem(host: unknown, at: string): Problem {
    const text = String(host);
    const [first, ...rest] = text.split(".");
    const labels = rest.length > 0 && rest[rest.length - 1] === "" ? rest.slice(0, -1) : rest;
    const valid = text.length > 0 && text.length <= 255 && first.length <= 63 && wildcardLabel.test(first)
        && labels.every((label) => label.length <= 63 && istioLabel.test(label));
    return valid ? undefined : `${at}: ${JSON.stringify(host)} is not a valid host: a DNS name whose first label alone may hold a wildcard (*.example.com)`;
}

/** ValidateServiceEntry: hosts, and port numbers 1-65535 defined once each. */
function serviceEntryProblem(spec: Mapping): Problem {
    const numbers = new Set<unknown>();
    return firstProblem(
        () => eachProblem<unknown>(spec.hosts, "spec.hosts", wildcardDomainProblem),
        () => eachProblem<Mapping>(spec.ports, "spec.ports", (port, at) => firstProblem(
            () => (port.number === undefined ? `${at}.number: required` : portNumberProblem(port.number, `${at}.number`)),
            () => portNumberProblem(port.targetPort, `${at}.targetPort`),
            () => (numbers.has(port.number) ? `${at}.number: port ${port.number} is already defined` : void numbers.add(port.number)),
        )),
    );
}

/** A port number field of an Istio object (ValidatePort: 1-65535; the CRDs allow any uint32). */
function portNumberProblem(number: unknown, at: string): Problem {
    return number === undefined || isPortNumber(number) ? undefined : `${at}: must be a port number 1-65535, found ${JSON.stringify(number)}`;
}

/** ValidateGateway: each server's port number. */
function gatewayProblem(spec: Mapping): Problem {
    return eachProblem<Mapping>(spec.servers, "spec.servers", (server, at) => portNumberProblem(server.port?.number, `${at}.port.number`));
}

/** istiod's own checks of an Istio object (after its schema passed). */
export function istioProblem(object: Mapping): Problem {
    const spec: Mapping = object.spec ?? {};
    switch (object.kind) {
        case "AuthorizationPolicy": return authorizationPolicyProblem(spec);
        case "PeerAuthentication": return peerAuthenticationProblem(spec);
        case "Sidecar": return firstProblem(
            () => sidecarProblem(spec),
            () => eachProblem<Mapping>(spec.ingress, "spec.ingress", (listener, at) => portNumberProblem(listener.port?.number, `${at}.port.number`)),
            () => eachProblem<Mapping>(spec.egress, "spec.egress", (listener, at) => portNumberProblem(listener.port?.number, `${at}.port.number`)),
        );
        case "Gateway": return gatewayProblem(spec);
        case "ServiceEntry": return serviceEntryProblem(spec);
        default: return undefined;
    }
}
