import * as pulumi from "@pulumi/pulumi";

/**
 * Collects what is wrong with a component's arguments, so one preview reports every mistake
 * at once instead of the first. Each problem names the field (as a path from the arguments),
 * what is wrong, and the fix.
 */
export class Problems {
    private readonly messages: string[] = [];

    add(field: string, problem: string, fix: string): void {
        this.messages.push(`${field}: ${problem}; ${fix}`);
    }

    get list(): readonly string[] {
        return this.messages;
    }

    /**
     * Throws one `ResourceError` naming `subject` (e.g. `MeshService "reviews"`) and every
     * problem, one per line. Pulumi prints it against the resource at preview.
     */
    throwIfAny(subject: string, resource: pulumi.Resource): void {
        if (this.messages.length > 0) {
            throw new pulumi.ResourceError(formatProblems(subject, this.messages), resource);
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
