/**
 * The syntax of what a version's Deployment carries (images, env names, resource names and
 * quantities), checked as the API server checks a container. Hand-written: the Kubernetes
 * quantity grammar and its name rules are a few lines, and the libraries that parse quantities
 * come with a whole Kubernetes client.
 */
import * as pulumi from "@pulumi/pulumi";
import { Problems, checkLabelKey, entryField } from "../problems";

/** Checks an image reference when it is a plain string (an Output is checked by the API server). */
export function checkImage(problems: Problems, field: string, image: pulumi.Input<string>): void {
    if (typeof image === "string" && (image.length === 0 || /\s/.test(image))) {
        problems.add(field, `${JSON.stringify(image)} is not an image reference`, "give the image as registry/repository:tag or @digest, without spaces");
    } else if (image === undefined || image === null) {
        problems.add(field, "no image is given", "give the image as registry/repository:tag or @digest");
    }
}

/** Environment variable names as the API server accepts them by default. */
const envName = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

export function checkEnvName(problems: Problems, field: string, name: string): void {
    if (!envName.test(name)) {
        problems.add(field, `${JSON.stringify(name)} is not an environment variable name`, "use letters, digits, '_', '-' and '.', not starting with a digit (e.g. \"LOG_LEVEL\")");
    }
}

const quantity = /^\+?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[mkMGTPE]|[eE][+-]?\d+)?$/;
const quantitySuffixes: Record<string, number> = {
    "": 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
    Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** The value of a non-negative Kubernetes quantity (`500m`, `1.5Gi`, `2e3`), or undefined when it is not one. */
function quantityValue(value: string): number | undefined {
    const match = typeof value === "string" ? quantity.exec(value) : null;
    if (!match) {
        return undefined;
    }
    const suffix = match[3] ?? "";
    const scale = /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : quantitySuffixes[suffix];
    return Number(match[1]) * scale;
}

const standardResources = ["cpu", "memory", "ephemeral-storage"];

/** Whether a resource name is one a container may request, and whether it is an extended (whole-unit, not overcommitted) one. */
function resourceKind(name: string): "standard" | "extended" | undefined {
    if (standardResources.includes(name) || (name.startsWith("hugepages-") && quantityValue(name.slice("hugepages-".length)) !== undefined)) {
        return "standard";
    }
    const probe = new Problems();
    checkLabelKey(probe, "", name);
    const prefix = name.includes("/") ? name.slice(0, name.lastIndexOf("/")) : "";
    return probe.list.length === 0 && prefix !== "" && !/(^|\.)kubernetes\.io$/.test(prefix) ? "extended" : undefined;
}

/**
 * Checks a container's `resources`: names (`cpu`, `memory`, `ephemeral-storage`, `hugepages-<size>`,
 * or a domain-prefixed extended resource such as `nvidia.com/gpu`), quantities, requests not
 * above limits, and extended resources in whole units with requests equal to limits.
 */
export function checkResources(problems: Problems, field: string, resources: { requests?: Record<string, string>; limits?: Record<string, string> }): void {
    const values: Record<"requests" | "limits", Record<string, number>> = { requests: {}, limits: {} };
    for (const part of ["requests", "limits"] as const) {
        const entries = resources[part] ?? {};
        for (const name of Object.keys(entries)) {
            const at = entryField(`${field}.${part}`, name);
            const kind = resourceKind(name);
            const amount = quantityValue(entries[name]);
            if (!kind) {
                problems.add(at, `${JSON.stringify(name)} is not a resource name`, "use cpu, memory, ephemeral-storage, hugepages-<size>, or an extended resource with its domain (e.g. \"nvidia.com/gpu\")");
            }
            if (amount === undefined) {
                problems.add(at, `${JSON.stringify(entries[name])} is not a quantity`, "write a non-negative quantity such as \"500m\", \"2\", \"256Mi\" or \"1Gi\"");
            } else if (kind === "extended" && !Number.isInteger(amount)) {
                problems.add(at, `${JSON.stringify(entries[name])} is not a whole number`, "request extended resources in whole units");
            } else {
                values[part][name] = amount;
            }
        }
    }
    for (const [name, request] of Object.entries(values.requests)) {
        const limit = values.limits[name];
        if (limit !== undefined && request > limit) {
            problems.add(entryField(`${field}.requests`, name), `the request ${resources.requests![name]} is above the limit ${resources.limits![name]}`, "request at most the limit");
        } else if (resourceKind(name) === "extended" && limit !== request) {
            problems.add(entryField(`${field}.limits`, name), "an extended resource needs a limit equal to its request", `set limits["${name}"] to ${resources.requests![name]}`);
        }
    }
}
