/**
 * Checks istiod's validating webhook makes (istio/istio pkg/config/validation and
 * pkg/config/security) that the CRD schemas do not, for the Istio kinds the engine evaluates.
 * Null fields arrive here already removed (a null field is an unset one, as Istio's protobuf
 * JSON decoding reads it), as do empty lists for `from` and `to`, which that decoding also
 * reads as unset.
 */
import { dryRunAnnotation } from "../../istio/dryRun";
import { addressOrCidrProblem } from "./cidr";
import { labelsProblem } from "./kubernetes";
import { eachProblem, firstProblem, isPortNumber, Mapping, Problem } from "./problems";

const sourceFields = ["principals", "notPrincipals", "requestPrincipals", "notRequestPrincipals", "namespaces", "notNamespaces",
    "ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks", "serviceAccounts", "notServiceAccounts", "trustDomains", "notTrustDomains"];
const operationFields = ["hosts", "notHosts", "ports", "notPorts", "methods", "notMethods", "paths", "notPaths"];
/** Source fields the CUSTOM action does not support: its external authorizer is asked before the peer identity is known to it. */
const identityFields = ["namespaces", "notNamespaces", "serviceAccounts", "notServiceAccounts", "trustDomains", "notTrustDomains",
    "principals", "notPrincipals", "requestPrincipals", "notRequestPrincipals"];

/** Source fields with checks of their own (CheckServiceAccount, CheckTrustDomainValues), empty values included. */
const checkedApart = ["serviceAccounts", "notServiceAccounts", "trustDomains", "notTrustDomains"];

const isSet = (value: unknown) => Array.isArray(value) && value.length > 0;

/** Every string list of `fields` must hold no empty string (security.CheckEmptyValues). */
function emptyValueProblem(mapping: Mapping, fields: readonly string[], at: string): Problem {
    const field = fields.find((name) => (mapping[name] ?? []).some((value: unknown) => value === ""));
    return field === undefined ? undefined : `${at}.${field}: empty value not allowed`;
}

/**
 * security.ValidatePorts: a decimal number up to 65535. Istio accepts 0, which no connection
 * uses: such a port matches nothing (istio/istio pkg/config/security/security.go).
 */
function portsProblem(ports: unknown[] | undefined, at: string): Problem {
    return eachProblem(ports, at, (port, portAt) => (typeof port === "string" && /^\d+$/.test(port) && Number(port) <= 65535
        ? undefined : `${portAt}: ${JSON.stringify(port)} is not a port number 0-65535`));
}

function ipsProblem(values: unknown[] | undefined, at: string): Problem {
    return eachProblem(values, at, addressOrCidrProblem);
}

/** security.CheckServiceAccount: at most 16, each `name` or `namespace/name`, no wildcard, at most 320 characters. */
function serviceAccountsProblem(values: string[] | undefined, at: string): Problem {
    if ((values ?? []).length > 16) {
        return `${at}: at most 16 service accounts, found ${values!.length}; split the rule`;
    }
    return eachProblem(values, at, (value, valueAt) => {
        const parts = value.split("/");
        if (value === "") return `${valueAt}: empty value not allowed`;
        if (value.includes("*")) return `${valueAt}: ${JSON.stringify(value)}: wildcards are not allowed in service accounts; name each one`;
        if (value.length > 320) return `${valueAt}: longer than 320 characters`;
        return parts.length <= 2 && parts.every((part) => part !== "") ? undefined
            : `${valueAt}: ${JSON.stringify(value)} must be serviceAccount or namespace/serviceAccount`;
    });
}

/** security.CheckWildcardValues: at most one `*`, at the start or the end (exact, prefix*, *suffix or `*`). */
function wildcardValuesProblem(values: string[] | undefined, at: string): Problem {
    return eachProblem(values, at, (value, valueAt) => {
        const stars = value.split("*").length - 1;
        if (value === "") return `${valueAt}: empty value not allowed`;
        if (stars > 1) return `${valueAt}: ${JSON.stringify(value)} has more than one wildcard; Istio allows one, at the start or the end`;
        return stars === 1 && value !== "*" && !value.startsWith("*") && !value.endsWith("*")
            ? `${valueAt}: ${JSON.stringify(value)} has a wildcard inside; Istio allows one only at the start or the end` : undefined;
    });
}

/** security.CheckTrustDomainValues: wildcard values without `/`. */
function trustDomainsProblem(values: string[] | undefined, at: string): Problem {
    return wildcardValuesProblem(values, at)
        ?? eachProblem(values, at, (value, valueAt) => (value.includes("/") ? `${valueAt}: ${JSON.stringify(value)}: a trust domain has no "/"` : undefined));
}

/** A path segment of a path template, outside `{*}` and `{**}`: an RFC 3986 pchar run (security.validLiteral). */
const pathLiteral = /^[a-zA-Z0-9\-._~%!$&'()+,;:@=]+$/;

/**
 * security.CheckValidPathTemplate: a path with `{*}` (one segment) or `{**}` (the rest) is a
 * template; `{**}` comes last, no other segment holds `{` or `}`, and in a template every
 * other segment is a plain pchar literal.
 */
function pathTemplatesProblem(paths: string[] | undefined, at: string): Problem {
    return eachProblem(paths, at, (path, pathAt) => {
        const template = path.includes("{*}") || path.includes("{**}");
        let sawMatchAny = false;
        for (const segment of path.replace(/^\/+|\/+$/g, "").split("/")) {
            if ((segment === "{*}" || segment === "{**}") && sawMatchAny) {
                return `${pathAt}: ${JSON.stringify(path)}: {**} must be the last segment of a path template`;
            }
            if (segment === "{*}" || segment === "{**}") {
                sawMatchAny = segment === "{**}";
                continue;
            }
            if (/[{}]/.test(segment)) {
                return `${pathAt}: ${JSON.stringify(path)}: "{" and "}" may only make up a whole {*} or {**} segment`;
            }
            if (template && !pathLiteral.test(segment)) {
                return `${pathAt}: ${JSON.stringify(path)}: segment ${JSON.stringify(segment)} of a path template may hold only letters, digits and -._~%!$&'()+,;:@=`;
            }
        }
        return undefined;
    });
}

function sourceProblem(from: Mapping, at: string, action: string): Problem {
    const source: Mapping | undefined = from.source;
    if (source === undefined) {
        return `${at}.source: must not be nil (give a source, or drop this from entry)`;
    }
    if (!sourceFields.some((field) => isSet(source[field]))) {
        return `${at}.source: must not be empty (set at least one of ${sourceFields.slice(0, 6).join(", ")}, ...)`;
    }
    // serviceAccounts beside namespaces or principals: the CRD's CEL rule refuses it.
    return firstProblem(
        () => emptyValueProblem(source, sourceFields.filter((field) => !checkedApart.includes(field)), `${at}.source`),
        () => serviceAccountsProblem(source.serviceAccounts, `${at}.source.serviceAccounts`),
        () => serviceAccountsProblem(source.notServiceAccounts, `${at}.source.notServiceAccounts`),
        () => trustDomainsProblem(source.trustDomains, `${at}.source.trustDomains`),
        () => trustDomainsProblem(source.notTrustDomains, `${at}.source.notTrustDomains`),
        ...["ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks"].map((field) => () => ipsProblem(source[field], `${at}.source.${field}`)),
        () => {
            const field = action === "CUSTOM" ? identityFields.find((name) => isSet(source[name])) : undefined;
            return field === undefined ? undefined : `${at}.source.${field}: not supported with the CUSTOM action; match on ipBlocks or remoteIpBlocks, or let the external authorizer check identities`;
        },
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
        () => pathTemplatesProblem(operation.paths, `${at}.operation.paths`),
        () => pathTemplatesProblem(operation.notPaths, `${at}.operation.notPaths`),
    );
}

/** Condition keys of the policy's own target, which istiod refuses with the field that replaced them (security.ValidateAttribute). */
const replacedKeys: Array<[RegExp, string]> = [
    [/^destination\.namespace$/, "is replaced by the policy's metadata.namespace"],
    [/^destination\.labels/, "is replaced by spec.selector"],
    [/^destination\.(name|user)$/, "was supported only in v1alpha1; use spec.selector"],
];
/** `when` keys the CUSTOM action does not support (the external authorizer is asked before the peer identity is known to it). */
const identityKeys = /^(source\.(namespace|serviceAccount|trustDomain|principal)$|request\.auth\.)/;

/** The condition keys Istio knows (security.ValidateAttribute); values are checked where their form is fixed. */
function conditionProblem(condition: Mapping, at: string, action: string): Problem {
    const key = String(condition.key ?? "");
    if (key === "") {
        return `${at}.key: must not be empty`;
    }
    if (!isSet(condition.values) && !isSet(condition.notValues)) {
        return `${at}: at least one of values or notValues must be set for key ${key}`;
    }
    const values = (check: (values: any[] | undefined, at: string) => Problem) => firstProblem(
        () => check(condition.values, `${at}.values`),
        () => check(condition.notValues, `${at}.notValues`),
    );
    const known = ["source.namespace", "source.principal", "request.auth.principal", "request.auth.audiences", "request.auth.presenter", "connection.sni"];
    // A map key `a[b]` (validateMapKey): a name before the bracket and something in it.
    const mapKey = /^(request\.headers|request\.auth\.claims|experimental\.envoy\.filters\.).*\[.+\]$/;
    const replaced = replacedKeys.find(([pattern]) => pattern.test(key));
    return firstProblem(
        () => (replaced ? `${at}.key: ${key} ${replaced[1]}` : undefined),
        () => (known.includes(key) || mapKey.test(key) || ["source.ip", "remote.ip", "destination.ip", "destination.port", "source.serviceAccount", "source.trustDomain"].includes(key)
            ? undefined : `${at}.key: unknown attribute ${JSON.stringify(key)}`),
        () => values((list, listAt) => eachProblem(list, listAt, (value, valueAt) => (value === "" ? `${valueAt}: empty value not allowed` : undefined))),
        () => (["source.ip", "remote.ip", "destination.ip"].includes(key) ? values(ipsProblem)
            : key === "destination.port" ? values(portsProblem)
                : key === "source.serviceAccount" ? values(serviceAccountsProblem)
                    : key === "source.trustDomain" ? values(wildcardValuesProblem) : undefined),
        () => (action === "CUSTOM" && identityKeys.test(key) ? `${at}.key: ${key} is not supported with the CUSTOM action` : undefined),
    );
}

/** targetRef kinds an AuthorizationPolicy may name (validatePolicyTargetReference; version not checked). */
const targetKinds = ["/Service", "networking.istio.io/ServiceEntry", "gateway.networking.k8s.io/Gateway", "gateway.networking.k8s.io/GatewayClass"];

function targetRefProblem(ref: Mapping, at: string): Problem {
    const kind = `${ref.group ?? ""}/${ref.kind}`;
    return targetKinds.includes(kind) ? undefined
        : `${at}: must name a Service (group ""), a networking.istio.io ServiceEntry, or a gateway.networking.k8s.io Gateway or GatewayClass, found ${JSON.stringify(ref.group ?? "")}/${ref.kind}`;
}

/**
 * istiod's ValidateAuthorizationPolicy (istio/istio 1.30.3 pkg/config/validation/validation.go),
 * check by check; what the CRD's schema and CEL rules already refuse (a selector beside
 * targetRefs, wildcards in selector labels, a targetRef's namespace, serviceAccounts beside
 * namespaces or principals, more than 16 service accounts) is left to them.
 */
function authorizationPolicyProblem(spec: Mapping): Problem {
    const action = spec.action ?? "ALLOW";
    return firstProblem(
        () => (spec.selector !== undefined && (spec.targetRef !== undefined || isSet(spec.targetRefs))
            ? "spec: selector and targetRef(s) are mutually exclusive; use one" : undefined),
        () => labelsProblem(spec.selector?.matchLabels, "spec.selector.matchLabels"),
        () => (spec.targetRef === undefined ? undefined : targetRefProblem(spec.targetRef, "spec.targetRef")),
        () => eachProblem<Mapping>(spec.targetRefs, "spec.targetRefs", targetRefProblem),
        // Istio reads an empty list as unset: `rules: []` is no rules.
        () => ((action === "DENY" || action === "CUSTOM") && !isSet(spec.rules)
            ? `spec.rules: a ${action} policy without rules never applies, so istiod refuses it; add an empty rule (rules: [{}]) to apply it to every request` : undefined),
        () => (action === "CUSTOM" && !spec.provider?.name ? "spec.provider.name: must be set for the CUSTOM action (an extension provider of the mesh config)" : undefined),
        () => (action !== "CUSTOM" && spec.provider !== undefined ? `spec.provider: may only be used with the CUSTOM action, not ${action}` : undefined),
        () => eachProblem<Mapping>(spec.rules, "spec.rules", (rule, at) => firstProblem(
            () => eachProblem<Mapping>(rule.from, `${at}.from`, (from, fromAt) => sourceProblem(from, fromAt, action)),
            () => eachProblem<Mapping>(rule.to, `${at}.to`, operationProblem),
            () => eachProblem<Mapping>(rule.when, `${at}.when`, (condition, conditionAt) => conditionProblem(condition, conditionAt, action)),
        )),
    );
}

/**
 * validateMetadata, which istiod runs before every Istio kind's own checks: the dry-run
 * annotation only on an ALLOW or DENY AuthorizationPolicy, as a boolean (Go's ParseBool), and
 * none of the annotations istiod keeps to itself.
 */
function istioMetadataProblem(object: Mapping): Problem {
    const annotations: Mapping = object.metadata?.annotations ?? {};
    const dryRun = annotations[dryRunAnnotation];
    const internal = ["internal.istio.io/webhook-always-reject", "internal.istio.io/parent-namespace", "internal.istio.io/parents"].find((key) => key in annotations);
    if (internal !== undefined) {
        return `metadata.annotations[${JSON.stringify(internal)}]: is istiod's own annotation, which istiod refuses on objects users write; remove it`;
    }
    if (dryRun === undefined) {
        return undefined;
    }
    const at = `metadata.annotations[${JSON.stringify(dryRunAnnotation)}]`;
    if (object.kind !== "AuthorizationPolicy") {
        return `${at}: only an AuthorizationPolicy may be a dry run; remove the annotation`;
    }
    const action = object.spec?.action ?? "ALLOW";
    if (action !== "ALLOW" && action !== "DENY") {
        return `${at}: only ALLOW and DENY policies may be a dry run, found action ${action}`;
    }
    return ["1", "t", "T", "true", "TRUE", "True", "0", "f", "F", "false", "FALSE", "False"].includes(String(dryRun)) ? undefined
        : `${at}: must be "true" or "false", found ${JSON.stringify(dryRun)}`;
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
    return istioMetadataProblem(object) ?? istioSpecProblem(object);
}

function istioSpecProblem(object: Mapping): Problem {
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
