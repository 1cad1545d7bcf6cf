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

/**
 * Checks a name Kubernetes uses as a DNS-1123 label (namespaces, Services, ports): lower-case
 * alphanumerics and '-', starting and ending alphanumeric, at most `maxLength` characters.
 * Examples: `reviews`, `reviews-v2`; not `Reviews`, `reviews_v2`, `-reviews`.
 */
export function checkDns1123Label(problems: Problems, field: string, value: string, maxLength = 63): void {
    if (!dns1123Label.test(value) || value.length > maxLength) {
        const suggestion = value.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, maxLength);
        const hint = suggestion && suggestion !== value ? ` (e.g. "${suggestion}")` : "";
        problems.add(
            field,
            `"${value}" is not a DNS-1123 label`,
            `use at most ${maxLength} lower-case letters, digits and '-', starting and ending with a letter or digit${hint}`,
        );
    }
}

const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Checks a name Kubernetes uses as a DNS-1123 subdomain (Secrets, ServiceAccounts, most object
 * names): dot-separated DNS labels, at most 253 characters. A path such as `../x` or an empty
 * name is refused here rather than by the API server after other objects were created.
 */
export function checkDns1123Subdomain(problems: Problems, field: string, value: string): void {
    if (!dns1123Subdomain.test(value) || value.length > 253) {
        problems.add(
            field,
            `"${value}" is not a DNS-1123 subdomain`,
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
