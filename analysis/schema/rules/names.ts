/**
 * Object names and namespaces as the API server checks them (apimachinery
 * pkg/api/validation ValidateObjectMeta with each kind's name function): most kinds take a
 * DNS-1123 subdomain (NameIsDNSSubdomain, also what custom resources get, apiextensions
 * customResourceValidator), Namespace a DNS-1123 label (ValidateNamespaceName), Service a
 * DNS-1123 label (ValidateServiceName under RelaxedServiceNameValidation, on by default since
 * v1.36), RBAC kinds a path segment (ValidateRBACName: no "/" or "%", not "." or "..", so
 * ClusterRole system:aggregate-to-admin). A generateName is checked as a prefix: a trailing
 * "-" is allowed (maskTrailingDash). Names are printed in every flow line, so one with a
 * newline or an escape sequence would forge output; the API server would never store it.
 */
import { isClusterScoped } from "../servedKinds";
import { firstProblem, Mapping, Problem } from "./problems";

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

interface NameRule {
    readonly pattern: RegExp;
    readonly maxLength: number;
    readonly words: string;
}

const subdomainRule: NameRule = { pattern: dnsSubdomain, maxLength: 253, words: "a DNS-1123 subdomain: at most 253 lower case letters, digits, \"-\" and \".\", starting and ending with a letter or digit" };
const labelRule: NameRule = { pattern: dnsLabel, maxLength: 63, words: "a DNS-1123 label: at most 63 lower case letters, digits and \"-\", starting and ending with a letter or digit" };

const pathSegmentRule: NameRule = { pattern: /^(?!\.\.?$)[^/%]+$/, maxLength: Infinity, words: 'a path segment: no "/" or "%", and not "." or ".."' };

/** The core kinds whose names are DNS labels; every other kind's name is a DNS subdomain, but for RBAC's. */
const labelNamedKinds = new Set(["Namespace", "Service"]);

function nameRule(object: Mapping): NameRule {
    const apiVersion = String(object.apiVersion ?? "");
    if (apiVersion.startsWith("rbac.authorization.k8s.io/")) {
        return pathSegmentRule;
    }
    return labelNamedKinds.has(String(object.kind)) && !apiVersion.includes("/") ? labelRule : subdomainRule;
}

/** CronJob names leave 11 characters for the Jobs' suffix (batch validation ValidateCronJob). */
const cronJobNameLength = 52;

/**
 * What the API server would not accept in a name only because of its upper case letters or
 * underscores: np-guard's and NCA's own test inputs (test/conformance) name policies so, and
 * such a name can forge nothing (it is still letters, digits, "-", "_" and "."), so it is
 * evaluated as written, with a warning (nameWarning) instead of a refusal.
 */
const leniently = (name: string) => name.toLowerCase().replace(/_/g, "-");

function fits(name: string, rule: NameRule, prefix: boolean): boolean {
    // maskTrailingDash: a generateName prefix may end in "-", as the generated suffix follows it.
    const checked = prefix && name.length > 1 && name.endsWith("-") ? `${name.slice(0, -1)}a` : name;
    return checked.length <= rule.maxLength && rule.pattern.test(checked);
}

function nameProblem(value: unknown, rule: NameRule, at: string, prefix: boolean): Problem {
    if (value === undefined) {
        return undefined;
    }
    const name = String(value);
    if (name === "" && !prefix) {
        return `${at}: must not be empty`;
    }
    return fits(leniently(name), rule, prefix) ? undefined : `${at}: ${JSON.stringify(name)} is not a valid name; it must be ${rule.words}`;
}

/** The name fields of an object with the rule each follows. */
function nameFields(object: Mapping): Array<{ value: unknown; rule: NameRule; at: string; prefix: boolean }> {
    const metadata: Mapping = object.metadata ?? {};
    const rule = nameRule(object);
    return [
        { value: metadata.name, rule, at: "metadata.name", prefix: false },
        { value: metadata.generateName, rule, at: "metadata.generateName", prefix: true },
        // An empty namespace is the request's namespace (default); the API server clears a cluster-scoped object's namespace.
        ...(metadata.namespace === "" || isClusterScoped(object) ? [] : [{ value: metadata.namespace, rule: labelRule, at: "metadata.namespace", prefix: false }]),
    ];
}

/** The first problem of an object's name, generateName and namespace, as the API server would find it (but for case and "_", see nameWarning). */
export function objectNameProblem(object: Mapping): Problem {
    return firstProblem(
        ...nameFields(object).map(({ value, rule, at, prefix }) => () => nameProblem(value, rule, at, prefix)),
        () => (object.kind === "CronJob" && String(object.metadata?.name ?? "").length > cronJobNameLength
            ? `metadata.name: must be no more than ${cronJobNameLength} characters for a CronJob (its Jobs' names add a suffix)` : undefined),
    );
}

/** For a name accepted only because case and "_" are forgiven: what the API server would say, as "field: problem". */
export function nameWarning(object: Mapping): Problem {
    const field = nameFields(object).find(({ value, rule, prefix }) => value !== undefined && value !== "" && !fits(String(value), rule, prefix));
    return field === undefined ? undefined
        : `${field.at}: ${JSON.stringify(field.value)} has upper case letters or "_", which the API server refuses (it must be ${field.rule.words}); evaluated as written`;
}
