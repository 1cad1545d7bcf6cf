import { Problems, checkDns1123Label, checkUnique } from "../problems";
import { MeshServiceArgs } from "./args";
import { isHttpPort, selectPorts } from "./endpoint";
import { HttpMatch, portProtocols, ServicePort } from "./types";
import { versionWeights, weightProblem } from "./weights";

const httpMethods = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"];
const ianaServiceName = /^(?=.*[a-z])[a-z0-9]([a-z0-9]|-(?!-))*[a-z0-9]$|^[a-z]$/;

function checkPortNames(problems: Problems, field: string, names: readonly string[] | undefined, ports: readonly ServicePort[], owner: string): void {
    (names ?? []).forEach((portName, index) => {
        if (!ports.some((port) => port.name === portName)) {
            problems.add(`${field}[${index}]`, `${owner} has no port "${portName}"`, `use one of ${ports.map((p) => `"${p.name}"`).join(", ")}`);
        }
    });
}

function checkMatches(problems: Problems, field: string, matches: readonly HttpMatch[] | undefined): void {
    (matches ?? []).forEach((match, index) => {
        const path = match.path;
        if (path && path.type !== "RegularExpression" && !path.value.startsWith("/")) {
            problems.add(`${field}[${index}].path.value`, `"${path.value}" does not start with "/"`, `write an absolute path such as "/${path.value}"`);
        }
        if (match.method !== undefined && !httpMethods.includes(match.method)) {
            problems.add(`${field}[${index}].method`, `"${match.method}" is not an HTTP method`, `use one of ${httpMethods.join(", ")}`);
        }
    });
}

function checkRouteWeights(problems: Problems, field: string, weights: Record<string, number> | undefined, versionNames: readonly string[]): void {
    if (weights === undefined) {
        return;
    }
    for (const version of Object.keys(weights)) {
        if (!versionNames.includes(version)) {
            problems.add(`${field}.${version}`, `there is no version "${version}"`, `weigh the declared versions: ${versionNames.join(", ")}`);
        }
    }
    const problem = weightProblem(weights);
    if (problem) {
        problems.add(field, problem, "give each version a share from 0 to 100, adding up to 100, with at least one above 0");
    }
}

/**
 * Everything wrong with a MeshService declaration, each problem naming the field and the fix.
 * Runs before any resource is created, so a preview shows all mistakes at once.
 */
export function validateMeshServiceArgs(name: string, args: MeshServiceArgs): Problems {
    const problems = new Problems();
    checkDns1123Label(problems, "name", name);
    checkDns1123Label(problems, "namespace", args.namespace);
    if (args.serviceAccount !== undefined) {
        checkDns1123Label(problems, "serviceAccount", args.serviceAccount, 253);
    }

    const ports = args.ports ?? [];
    if (ports.length === 0) {
        problems.add("ports", "no port is declared", "declare at least one port, e.g. { name: \"http\", port: 8080 }");
    }
    ports.forEach((port, index) => {
        const field = `ports[${index}]`;
        if (!ianaServiceName.test(port.name) || port.name.length > 15) {
            problems.add(`${field}.name`, `"${port.name}" is not a valid port name`, "use at most 15 lower-case letters, digits and single '-', with at least one letter (e.g. \"http\", \"grpc-api\")");
        }
        for (const key of ["port", "targetPort"] as const) {
            const value = port[key];
            if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > 65535)) {
                problems.add(`${field}.${key}`, `${value} is not a port number`, "use a whole number from 1 to 65535");
            }
        }
        if (port.protocol !== undefined && !portProtocols.includes(port.protocol)) {
            problems.add(`${field}.protocol`, `"${port.protocol}" is not a protocol`, `use one of ${portProtocols.join(", ")}`);
        }
        if (port.metrics && !args.monitoring) {
            problems.add(`${field}.metrics`, `port "${port.name}" is a metrics port but no monitoring identity is set`, "set monitoring to the Prometheus identity, or drop metrics: true");
        }
    });
    checkUnique(problems, "ports", "name", ports.map((p) => p.name), "give each port a unique name: Services, Istio and policies refer to ports by name");
    checkUnique(problems, "ports", "port", ports.map((p) => String(p.port)), "give each port a unique number");

    const versions = args.versions ?? [];
    if (args.existingWorkload && args.versions) {
        problems.add("versions", "both versions and existingWorkload are set", "declare versions for workloads ztmesh deploys, or existingWorkload for one deployed elsewhere, not both");
    } else if (!args.existingWorkload && versions.length === 0) {
        problems.add("versions", "no version is declared", "declare at least one version { name: \"v1\", image }, or existingWorkload");
    }
    versions.forEach((version, index) => checkDns1123Label(problems, `versions[${index}].name`, version.name));
    checkUnique(problems, "versions", "name", versions.map((v) => v.name), "give each version a unique name");
    const versionNames = versions.map((v) => v.name);
    if (versions.length > 0) {
        const problem = weightProblem(versionWeights(versions));
        if (problem) {
            problems.add("versions[*].weight", problem, "give each version a share from 0 to 100, adding up to 100, with at least one above 0");
        }
    }

    (args.callers ?? []).forEach((caller, index) => {
        const field = `callers[${index}]`;
        // A caller is one identity: "*" or a malformed name would widen the principal to anyone.
        checkDns1123Label(problems, `${field}.from.namespace`, caller.from.namespace);
        checkDns1123Label(problems, `${field}.from.serviceAccount`, caller.from.serviceAccount, 253);
        checkPortNames(problems, `${field}.ports`, caller.ports, ports, `service "${name}"`);
        for (const portName of caller.ports ?? []) {
            if (ports.find((p) => p.name === portName)?.metrics) {
                problems.add(`${field}.ports`, `port "${portName}" is a metrics port`, "metrics ports are reachable only by the monitoring identity; remove it from the caller");
            }
        }
        (caller.methods ?? []).forEach((method, methodIndex) => {
            if (!httpMethods.includes(method)) {
                problems.add(`${field}.methods[${methodIndex}]`, `"${method}" is not an HTTP method`, `use one of ${httpMethods.join(", ")} (upper case)`);
            }
        });
        (caller.paths ?? []).forEach((path, pathIndex) => {
            if (!path.startsWith("/") && !path.startsWith("*")) {
                problems.add(`${field}.paths[${pathIndex}]`, `"${path}" is not a path`, "start paths with \"/\" (or \"*\" for a suffix match)");
            }
        });
        if ((caller.methods?.length || caller.paths?.length) && selectPorts(ports, caller.ports).some((p) => !isHttpPort(p))) {
            problems.add(`${field}`, `methods/paths are set but the rule covers a tcp port`, "limit the rule's ports to HTTP ports, or drop methods and paths");
        }
    });

    const dependencyNames = (args.dependencies ?? []).map((d) => `${d.to.namespace}/${d.to.name}`);
    checkUnique(problems, "dependencies", "to", dependencyNames, "declare each dependency once, listing all its ports");
    (args.dependencies ?? []).forEach((dependency, index) => {
        checkPortNames(problems, `dependencies[${index}].ports`, dependency.ports, dependency.to.ports, `service "${dependency.to.name}"`);
    });

    if (args.public) {
        const exposure = args.public;
        const publicPorts = exposure.port ? ports.filter((p) => p.name === exposure.port) : ports.filter((p) => !p.metrics && isHttpPort(p));
        if (publicPorts.length === 0 || !isHttpPort(publicPorts[0]) || publicPorts[0].metrics) {
            problems.add("public.port", exposure.port ? `port "${exposure.port}" is not a serving HTTP port` : "the service has no HTTP port", "expose a declared HTTP port that is not a metrics port");
        }
        if (!args.gateway) {
            problems.add("gateway", "public is set but no gateway is given", "pass the MeshGateway that serves the hostname");
        } else if (!args.gateway.parentRefFor(exposure.hostname)) {
            problems.add(
                "public.hostname",
                `"${exposure.hostname}" has no HTTPS listener on MeshGateway "${args.gateway.gatewayName}" (listeners: ${args.gateway.hostnames.join(", ") || "none"})`,
                "public hostnames are served over TLS only: add a listener with tls for this hostname to the MeshGateway",
            );
        }
        (exposure.routes ?? []).forEach((route, index) => {
            const field = `public.routes[${index}]`;
            checkMatches(problems, `${field}.matches`, route.matches);
            checkRouteWeights(problems, `${field}.weights`, route.weights, versionNames);
            if (route.rewrite?.pathPrefix !== undefined && (route.matches ?? []).some((m) => m.path && m.path.type !== "PathPrefix")) {
                problems.add(`${field}.rewrite.pathPrefix`, "a prefix rewrite needs PathPrefix matches", "match with type PathPrefix, or drop the rewrite");
            }
        });
    }

    (args.traffic?.routes ?? []).forEach((route, index) => {
        const field = `traffic.routes[${index}]`;
        checkMatches(problems, `${field}.matches`, route.matches);
        checkRouteWeights(problems, `${field}.weights`, route.weights, versionNames);
        if (route.retries && (!Number.isInteger(route.retries.attempts) || route.retries.attempts < 0)) {
            problems.add(`${field}.retries.attempts`, `${route.retries.attempts} is not a retry count`, "use a whole number, 0 to disable retries");
        }
    });
    if ((args.versions?.length ?? 0) === 0 && [...(args.traffic?.routes ?? []), ...(args.public?.routes ?? [])].some((r) => r.weights)) {
        problems.add("weights", "route weights are set but the service has no versions", "weights split traffic between versions; declare versions or drop the weights");
    }
    return problems;
}
