import * as pulumi from "@pulumi/pulumi";

/** One thing wrong with an argument: the field (a path from the arguments, e.g. `callers[0].ports`), what is wrong, and the fix. */
export interface Problem {
    field: string;
    problem: string;
    fix: string;
}

/**
 * Collects what is wrong with a component's arguments, so one preview reports every mistake
 * at once instead of the first. Each problem names the field (as a path from the arguments),
 * what is wrong, and the fix.
 */
export class Problems {
    private readonly found: Problem[] = [];

    add(field: string, problem: string, fix: string): void {
        this.found.push({ field, problem, fix });
    }

    /**
     * Throws every problem, if any, as one `RunError` (printed without a stack trace), for
     * arguments so wrong that no resource can be registered to report them against.
     */
    throwUnregistered(subject: string): void {
        if (this.found.length > 0) {
            throw new pulumi.RunError(formatProblems(subject, this.list));
        }
    }

    /** Each problem as one line, `<field>: <problem>; <fix>`. */
    get list(): readonly string[] {
        return this.found.map(({ field, problem, fix }) => `${field}: ${problem}; ${fix}`);
    }

    /** Each problem with its field apart, for callers that name the field their own way (the stack's config keys). */
    get entries(): readonly Problem[] {
        return this.found;
    }

    /**
     * Throws one `ResourceError` naming `subject` (e.g. `MeshService "reviews"`) and every
     * problem, one per line. Pulumi prints it against the resource at preview.
     */
    throwIfAny(subject: string, resource: pulumi.Resource): void {
        if (this.found.length > 0) {
            throw new pulumi.ResourceError(formatProblems(subject, this.list), resource);
        }
    }
}

export function formatProblems(subject: string, messages: readonly string[]): string {
    return `${subject} has invalid arguments:\n  - ${messages.join("\n  - ")}`;
}

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Whether `value` is a DNS-1123 label of at most 63 characters. */
export function isDns1123Label(value: string): boolean {
    return typeof value === "string" && dns1123Label.test(value) && value.length <= 63;
}

/**
 * Checks a name Kubernetes uses as a DNS-1123 label (namespaces, Services, ports): lower-case
 * alphanumerics and '-', starting and ending alphanumeric, at most `maxLength` characters.
 * Examples: `reviews`, `reviews-v2`; not `Reviews`, `reviews_v2`, `-reviews`.
 */
export function checkDns1123Label(problems: Problems, field: string, value: string, maxLength = 63): void {
    if (typeof value !== "string") {
        problems.add(field, `${JSON.stringify(value) ?? "nothing"} is not a DNS-1123 label`, `use at most ${maxLength} lower-case letters, digits and '-', starting and ending with a letter or digit`);
    } else if (!dns1123Label.test(value) || value.length > maxLength) {
        const suggestion = value.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, maxLength);
        const hint = suggestion && suggestion !== value ? ` (e.g. "${suggestion}")` : "";
        problems.add(
            field,
            `${JSON.stringify(value)} is not a DNS-1123 label`,
            `use at most ${maxLength} lower-case letters, digits and '-', starting and ending with a letter or digit${hint}`,
        );
    }
}

/**
 * Checks a name Kubernetes uses as a DNS-1123 subdomain (Secrets, ServiceAccounts, most object
 * names): dot-separated DNS labels, at most 253 characters. A path such as `../x` or an empty
 * name is refused here rather than by the API server after other objects were created.
 */
export function checkDns1123Subdomain(problems: Problems, field: string, value: string): void {
    if (typeof value !== "string" || !dns1123Subdomain.test(value) || value.length > 253) {
        problems.add(
            field,
            `${JSON.stringify(value) ?? "nothing"} is not a DNS-1123 subdomain`,
            "use at most 253 lower-case letters, digits, '-' and '.', starting and ending with a letter or digit (e.g. \"bookinfo-tls\")",
        );
    }
}

/** Whether `url` is plain HTTP to this machine (a local mirror), the only plain HTTP ztmesh fetches from. */
function isLoopbackHttp(url: URL): boolean {
    return url.protocol === "http:" && (url.hostname === "localhost" || url.hostname === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(url.hostname));
}

/**
 * Checks where ztmesh downloads something from (a chart repository, a manifest, the Gateway API
 * CRDs): an `https://` URL (or `oci://` where `schemes` allows it), or, with `localPath`, a
 * file or folder path. Plain HTTP is refused except to this machine: what is fetched is
 * installed into the cluster, and a man in the middle could change it.
 */
export function checkSourceLocation(problems: Problems, field: string, value: string, options: { localPath: boolean; schemes?: readonly string[] }): void {
    const schemes = options.schemes ?? ["https:"];
    const fix = `use ${schemes.map((scheme) => `an ${scheme}// URL`).join(" or ")}${options.localPath ? " or a local path" : ""}`;
    if (value.trim() === "") {
        problems.add(field, "is empty", fix);
        return;
    }
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
        if (!options.localPath) {
            problems.add(field, `"${value}" is not a URL`, fix);
        }
        return;
    }
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        problems.add(field, `"${value}" is not a valid URL`, fix);
        return;
    }
    if (!schemes.includes(url.protocol) && !isLoopbackHttp(url)) {
        problems.add(field, `"${url.protocol}//" is not a scheme ztmesh fetches from${url.protocol === "http:" ? " (plain HTTP can be tampered with on the way)" : ""}`, fix);
    }
}

const hostnamePattern = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Checks a public hostname as Gateway API accepts it: a DNS-1123 subdomain, optionally `*.`-prefixed. */
export function checkHostname(problems: Problems, field: string, value: string): void {
    if (!hostnamePattern.test(value) || value.length > 253) {
        problems.add(field, `"${value}" is not a valid hostname`, "use a lower-case DNS name such as \"bookinfo.example.com\" or \"*.example.com\"");
    }
}

/** Reports values that occur more than once in `values`, naming both positions. */
export function checkUnique(problems: Problems, listField: string, key: string, values: readonly string[], fix: string): void {
    const firstIndex = new Map<string, number>();
    values.forEach((value, index) => {
        const first = firstIndex.get(value);
        if (first === undefined) {
            firstIndex.set(value, index);
        } else {
            problems.add(`${listField}[${index}].${key}`, `"${value}" is already used by ${listField}[${first}]`, fix);
        }
    });
}


const labelName = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/**
 * Checks a label key as the API server does (a qualified name): an optional DNS-1123 subdomain
 * prefix and '/', then a name of at most 63 letters, digits, '-', '_' and '.', starting and
 * ending with a letter or digit. This also keeps keys that are not plain data (`__proto__`,
 * which JavaScript objects may silently drop) and selector syntax out of generated selectors.
 */
export function checkLabelKey(problems: Problems, field: string, key: string): void {
    const slash = key.lastIndexOf("/");
    const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
    const name = key.slice(slash + 1);
    const prefixValid = prefix === undefined || (dns1123Subdomain.test(prefix) && prefix.length <= 253);
    if (!prefixValid || !labelName.test(name) || name.length > 63) {
        problems.add(field, `${JSON.stringify(key)} is not a label key`, "use an optional DNS prefix and '/', then at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit (e.g. \"app\", \"app.kubernetes.io/name\")");
    }
}

/** Checks a label value as the API server does: empty, or at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit. */
export function checkLabelValue(problems: Problems, field: string, value: string): void {
    if (typeof value !== "string" || !labelValue.test(value) || value.length > 63) {
        problems.add(field, `${JSON.stringify(value)} is not a label value`, "use at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit");
    }
}

/** The field path of one entry of a map, e.g. `podLabels["app.kubernetes.io/name"]`: keys may hold dots. */
export function entryField(field: string, key: string): string {
    return `${field}[${JSON.stringify(key)}]`;
}

/**
 * Checks a label map: every own key (`Object.keys` lists `__proto__` too when it is an own
 * entry, as JSON.parse makes it) and every value. Emptiness is the caller's rule.
 */
export function checkLabels(problems: Problems, field: string, labels: Record<string, string>): void {
    if (typeof labels !== "object" || labels === null || Array.isArray(labels)) {
        problems.add(field, `${JSON.stringify(labels)} is not a map of labels`, "write labels as a map of key to value, e.g. { app: \"reviews\" }");
        return;
    }
    for (const key of Object.keys(labels)) {
        checkLabelKey(problems, entryField(field, key), key);
        checkLabelValue(problems, entryField(field, key), labels[key]);
    }
}

/** Checks a whole number in `[min, max]`, e.g. a replica count or a connection limit. */
export function checkWholeNumber(problems: Problems, field: string, value: number, min: number, max: number, what: string): void {
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
        problems.add(field, `${JSON.stringify(value)} is not ${what}`, `use a whole number from ${min} to ${max}`);
    }
}

/** The largest value of a Kubernetes or Istio `int32` field. */
export const int32Max = 2_147_483_647;

/** Checks a port number: a whole number from 1 to 65535. */
export function checkPortNumber(problems: Problems, field: string, value: number): void {
    checkWholeNumber(problems, field, value, 1, 65535, "a port number");
}

/**
 * Checks that a list a user wrote out is not empty. In the objects ztmesh generates an empty
 * list means "any" (NetworkPolicy `ports: []` admits every port), so an empty list must never
 * reach them: leaving the field out says "the default" explicitly.
 */
export function checkNotEmptyList(problems: Problems, field: string, list: readonly unknown[] | undefined, fix: string): void {
    if (list !== undefined && list.length === 0) {
        problems.add(field, "the list is empty", fix);
    }
}
