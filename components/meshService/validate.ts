import { checkPodSelector, checkTrustDomain, checkWorkloadIdentity } from "../identity";
import {
    Problems, checkDns1123Label, checkHostname, checkNotEmptyList, checkPortNumber, checkUnique, checkWholeNumber, entryField, int32Max,
} from "../problems";
import { checkEnforcement } from "../enforcement";
import { checkAmbientArgs } from "./ambient";
import { MeshServiceArgs } from "./args";
import { isHttpPort, selectPorts } from "./endpoint";
import {
    checkAbsolutePath, checkGatewayApiDuration, checkHeaderName, checkHeaderValue, checkIstioDuration, checkRegularExpression,
    checkRetryOn, checkRewriteHostname,
} from "./httpSyntax";
import { HttpMatch, portProtocols, ServicePort, TrafficPolicy } from "./types";
import { versionWeights, weightProblem } from "./weights";
import { checkEnvName, checkImage, checkResources } from "./workloadSyntax";

const httpMethods = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"];
const loadBalancers = ["ROUND_ROBIN", "LEAST_REQUEST", "RANDOM"];
const pathMatchTypes = ["Exact", "PathPrefix", "RegularExpression"];
const headerMatchTypes = ["Exact", "RegularExpression"];
const ianaServiceName = /^(?=.*[a-z])[a-z0-9]([a-z0-9]|-(?!-))*[a-z0-9]$|^[a-z]$/;

function checkPortNames(problems: Problems, field: string, names: readonly string[] | undefined, ports: readonly ServicePort[], owner: string): void {
    (names ?? []).forEach((portName, index) => {
        if (!ports.some((port) => port.name === portName)) {
            problems.add(`${field}[${index}]`, `${owner} has no port "${portName}"`, `use one of ${ports.map((p) => `"${p.name}"`).join(", ")}`);
        }
    });
}

/**
 * Checks HTTP matches. `feedsAuthorization`: the matches also become the gateway's
 * AuthorizationPolicy paths (public routes), where '*' would be a wildcard.
 */
function checkMatches(problems: Problems, field: string, matches: readonly HttpMatch[] | undefined, feedsAuthorization: boolean): void {
    checkNotEmptyList(problems, field, matches, "leave matches out to match every request, or give at least one match");
    (matches ?? []).forEach((match, index) => {
        const at = `${field}[${index}]`;
        const path = match.path;
        if (path && !pathMatchTypes.includes(path.type)) {
            // Istio's VirtualService would get `uri: {}`, which matches every path.
            problems.add(`${at}.path.type`, `${JSON.stringify(path.type)} is not a path match type`, `use one of ${pathMatchTypes.join(", ")}`);
        } else if (path?.type === "RegularExpression") {
            checkRegularExpression(problems, `${at}.path.value`, path.value);
        } else if (path) {
            checkAbsolutePath(problems, `${at}.path.value`, path.value, feedsAuthorization);
        }
        if (match.method !== undefined && !httpMethods.includes(match.method)) {
            problems.add(`${at}.method`, `"${match.method}" is not an HTTP method`, `use one of ${httpMethods.join(", ")}`);
        }
        checkNotEmptyList(problems, `${at}.headers`, match.headers, "leave headers out, or give at least one header to match");
        const headers = match.headers ?? [];
        headers.forEach((header, headerIndex) => {
            checkHeaderName(problems, `${at}.headers[${headerIndex}].name`, header.name);
            if (header.type !== undefined && !headerMatchTypes.includes(header.type)) {
                problems.add(`${at}.headers[${headerIndex}].type`, `${JSON.stringify(header.type)} is not a header match type`, `use one of ${headerMatchTypes.join(", ")}`);
            } else if (header.type === "RegularExpression") {
                checkRegularExpression(problems, `${at}.headers[${headerIndex}].value`, header.value);
            } else {
                checkHeaderValue(problems, `${at}.headers[${headerIndex}].value`, header.value);
            }
        });
        // Header names are case-insensitive: Istio keeps one match per name and Gateway API
        // ignores later ones, so a second condition on the same header would be lost.
        checkUnique(problems, `${at}.headers`, "name", headers.map((h) => String(h.name).toLowerCase()), "match each header once (names are case-insensitive)");
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

function checkTrafficPolicy(problems: Problems, traffic: TrafficPolicy, versionNames: readonly string[], gatewayApiRoutes: boolean): void {
    const loadBalancer = traffic.loadBalancer;
    if (typeof loadBalancer === "object" && loadBalancer !== null) {
        checkHeaderName(problems, "traffic.loadBalancer.consistentHashHeader", loadBalancer.consistentHashHeader);
    } else if (loadBalancer !== undefined && !loadBalancers.includes(loadBalancer)) {
        problems.add("traffic.loadBalancer", `"${loadBalancer}" is not a load balancer`, `use one of ${loadBalancers.join(", ")}, or { consistentHashHeader }`);
    }
    const pool = traffic.connectionPool ?? {};
    for (const key of ["maxConnections", "http1MaxPendingRequests", "http2MaxRequests", "maxRequestsPerConnection"] as const) {
        if (pool[key] !== undefined) {
            checkWholeNumber(problems, `traffic.connectionPool.${key}`, pool[key]!, 0, int32Max, "a connection pool size");
        }
    }
    if (pool.connectTimeout !== undefined) {
        checkIstioDuration(problems, "traffic.connectionPool.connectTimeout", pool.connectTimeout);
    }
    const outlier = traffic.outlierDetection ?? {};
    if (outlier.consecutive5xxErrors !== undefined) {
        checkWholeNumber(problems, "traffic.outlierDetection.consecutive5xxErrors", outlier.consecutive5xxErrors, 0, 4_294_967_295, "an error count");
    }
    if (outlier.maxEjectionPercent !== undefined) {
        checkWholeNumber(problems, "traffic.outlierDetection.maxEjectionPercent", outlier.maxEjectionPercent, 0, 100, "a percentage");
    }
    for (const key of ["interval", "baseEjectionTime"] as const) {
        if (outlier[key] !== undefined) {
            checkIstioDuration(problems, `traffic.outlierDetection.${key}`, outlier[key]!);
        }
    }

    checkNotEmptyList(problems, "traffic.routes", traffic.routes, "leave routes out for one route over every request, or declare at least one");
    (traffic.routes ?? []).forEach((route, index) => {
        const field = `traffic.routes[${index}]`;
        checkMatches(problems, `${field}.matches`, route.matches, false);
        checkRouteWeights(problems, `${field}.weights`, route.weights, versionNames);
        if (route.timeout !== undefined) {
            checkIstioDuration(problems, `${field}.timeout`, route.timeout);
            if (gatewayApiRoutes) {
                checkGatewayApiDuration(problems, `${field}.timeout`, route.timeout);
            }
        }
        const retries = route.retries;
        if (retries) {
            checkWholeNumber(problems, `${field}.retries.attempts`, retries.attempts, 0, int32Max, "a retry count");
            if (retries.attempts === 0 && (retries.perTryTimeout !== undefined || retries.retryOn !== undefined)) {
                problems.add(`${field}.retries`, "attempts is 0 (retries disabled) but perTryTimeout or retryOn is set", "set attempts above 0, or drop perTryTimeout and retryOn");
            }
            if (retries.perTryTimeout !== undefined) {
                checkIstioDuration(problems, `${field}.retries.perTryTimeout`, retries.perTryTimeout);
            }
            if (retries.retryOn !== undefined) {
                checkRetryOn(problems, `${field}.retries.retryOn`, retries.retryOn);
            }
        }
        const rewrite = route.rewrite;
        if (rewrite) {
            if (rewrite.uri === undefined && rewrite.authority === undefined) {
                problems.add(`${field}.rewrite`, "the rewrite sets neither uri nor authority", "set uri, authority or both, or drop the rewrite");
            }
            if (rewrite.uri !== undefined) {
                checkAbsolutePath(problems, `${field}.rewrite.uri`, rewrite.uri);
            }
            if (rewrite.authority !== undefined) {
                checkRewriteHostname(problems, `${field}.rewrite.authority`, rewrite.authority);
            }
        }
    });
}

/**
 * Everything wrong with a MeshService declaration, each problem naming the field and the fix.
 * Runs before any resource is created, so a preview shows all mistakes at once. Every value
 * that reaches a generated object is checked as the API server, istiod or Calico would check
 * it, and no value may make a generated rule admit more than declared: identities need a
 * namespace, ServiceAccount and at least one pod label; lists written out must not be empty
 * (in NetworkPolicy and AuthorizationPolicy an empty list means "any").
 */
export function validateMeshServiceArgs(name: string, args: MeshServiceArgs): Problems {
    const problems = new Problems();
    checkDns1123Label(problems, "name", name);
    if (/^[0-9]/.test(name)) {
        problems.add("name", `"${name}" starts with a digit, but it is the Service's name`, "start the name with a letter (Service names are DNS-1035 labels)");
    }
    checkDns1123Label(problems, "namespace", args.namespace);
    checkEnforcement(problems, "enforcement", args.enforcement, { calicoPolicyApi: args.calicoPolicyApi, field: "calicoPolicyApi" });
    if (args.serviceAccount !== undefined) {
        checkDns1123Label(problems, "serviceAccount", args.serviceAccount, 253);
    }
    if (args.trustDomain !== undefined) {
        checkTrustDomain(problems, "trustDomain", args.trustDomain);
    }
    if (args.revision !== undefined) {
        checkDns1123Label(problems, "revision", args.revision);
    }
    if (args.monitoring !== undefined) {
        checkWorkloadIdentity(problems, "monitoring", args.monitoring);
    }
    if (args.existingWorkload) {
        checkPodSelector(problems, "existingWorkload.podLabels", args.existingWorkload.podLabels);
    }

    const ports = args.ports ?? [];
    if (ports.length === 0) {
        problems.add("ports", "no port is declared", "declare at least one port, e.g. { name: \"http\", port: 8080 }");
    }
    ports.forEach((port, index) => {
        const field = `ports[${index}]`;
        if (typeof port.name !== "string" || !ianaServiceName.test(port.name) || port.name.length > 15) {
            problems.add(`${field}.name`, `${JSON.stringify(port.name)} is not a valid port name`, "use at most 15 lower-case letters, digits and single '-', with at least one letter (e.g. \"http\", \"grpc-api\")");
        }
        checkPortNumber(problems, `${field}.port`, port.port);
        if (port.targetPort !== undefined) {
            checkPortNumber(problems, `${field}.targetPort`, port.targetPort);
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
    // With more than one version a public or ambient service gets one Service per version, `<name>-<version>`.
    const versionServices = versions.length > 1 && (args.public !== undefined || args.dataplaneMode === "ambient");
    versions.forEach((version, index) => {
        const field = `versions[${index}]`;
        checkDns1123Label(problems, `${field}.name`, version.name);
        if (versionServices && `${name}-${version.name}`.length > 63) {
            problems.add(`${field}.name`, `the version's Service "${name}-${version.name}" would be longer than 63 characters`, "shorten the service or version name");
        }
        checkImage(problems, `${field}.image`, version.image);
        if (version.replicas !== undefined) {
            checkWholeNumber(problems, `${field}.replicas`, version.replicas, 0, int32Max, "a replica count");
        }
        for (const envName of Object.keys(version.env ?? {})) {
            checkEnvName(problems, entryField(`${field}.env`, envName), envName);
        }
        if (version.resources) {
            checkResources(problems, `${field}.resources`, version.resources);
        }
    });
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
        // A caller is one identity: "*", a malformed name or no pod label would widen the rule to anyone.
        checkWorkloadIdentity(problems, `${field}.from`, caller.from);
        checkNotEmptyList(problems, `${field}.ports`, caller.ports, "leave ports out for every serving port, or name at least one (an empty list would admit every port)");
        checkNotEmptyList(problems, `${field}.methods`, caller.methods, "leave methods out to admit any method, or name at least one");
        checkNotEmptyList(problems, `${field}.paths`, caller.paths, "leave paths out to admit any path, or give at least one");
        checkPortNames(problems, `${field}.ports`, caller.ports, ports, `service "${name}"`);
        for (const portName of caller.ports ?? []) {
            if (ports.find((p) => p.name === portName)?.metrics) {
                problems.add(`${field}.ports`, `port "${portName}" is a metrics port`, "metrics ports are reachable only by the monitoring identity; remove it from the caller");
            }
        }
        if (caller.ports === undefined && ports.length > 0 && selectPorts(ports).length === 0) {
            problems.add(`${field}.ports`, "the service has no port but metrics ports, so the rule would have no port and admit every port", "declare a serving port, or drop the caller");
        }
        (caller.methods ?? []).forEach((method, methodIndex) => {
            if (!httpMethods.includes(method)) {
                problems.add(`${field}.methods[${methodIndex}]`, `"${method}" is not an HTTP method`, `use one of ${httpMethods.join(", ")} (upper case)`);
            }
        });
        (caller.paths ?? []).forEach((path, pathIndex) => {
            if (typeof path !== "string" || (!path.startsWith("/") && !path.startsWith("*"))) {
                problems.add(`${field}.paths[${pathIndex}]`, `${JSON.stringify(path)} is not a path`, "start paths with \"/\" (or \"*\" for a suffix match)");
            } else if (/[\s\u0000-\u001F\u007F]/.test(path)) {
                problems.add(`${field}.paths[${pathIndex}]`, `${JSON.stringify(path)} contains a space or control character`, "escape it as %XX");
            }
        });
        if ((caller.methods?.length || caller.paths?.length) && selectPorts(ports, caller.ports).some((p) => !isHttpPort(p))) {
            problems.add(`${field}`, `methods/paths are set but the rule covers a tcp port`, "limit the rule's ports to HTTP ports, or drop methods and paths");
        }
    });

    const dependencyNames = (args.dependencies ?? []).map((d) => `${d.to.namespace}/${d.to.name}`);
    checkUnique(problems, "dependencies", "to", dependencyNames, "declare each dependency once, listing all its ports");
    (args.dependencies ?? []).forEach((dependency, index) => {
        const field = `dependencies[${index}]`;
        const to = dependency.to;
        checkWorkloadIdentity(problems, `${field}.to`, to);
        if (to.waypoint !== undefined) {
            checkWorkloadIdentity(problems, `${field}.to.waypoint`, to.waypoint);
        }
        (to.ports ?? []).forEach((port, portIndex) => {
            checkPortNumber(problems, `${field}.to.ports[${portIndex}].port`, port.port);
            if (port.targetPort !== undefined) {
                checkPortNumber(problems, `${field}.to.ports[${portIndex}].targetPort`, port.targetPort);
            }
        });
        checkNotEmptyList(problems, `${field}.ports`, dependency.ports, "leave ports out for every serving port of the dependency, or name at least one (an empty list would allow every port)");
        checkPortNames(problems, `${field}.ports`, dependency.ports, to.ports ?? [], `service "${to.name}"`);
        if (dependency.ports === undefined && selectPorts(to.ports ?? []).length === 0) {
            problems.add(`${field}.to.ports`, `service "${to.name}" has no serving port, so the egress rule would have no port and allow every port`, "depend on a service with a serving port, or drop the dependency");
        }
    });

    if (args.gateway) {
        checkDns1123Label(problems, "gateway.namespace", args.gateway.namespace);
        checkWorkloadIdentity(problems, "gateway.identity", args.gateway.identity);
        if (args.gateway.identity?.namespace !== args.gateway.namespace) {
            problems.add("gateway.identity.namespace", `the gateway's pods are in "${args.gateway.identity?.namespace}", not in its namespace "${args.gateway.namespace}"`, "pass the MeshGateway itself, whose identity is in its namespace");
        }
    }
    if (args.public) {
        const exposure = args.public;
        checkHostname(problems, "public.hostname", exposure.hostname);
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
        checkNotEmptyList(problems, "public.routes", exposure.routes, "leave routes out to route every path, or declare at least one");
        (exposure.routes ?? []).forEach((route, index) => {
            const field = `public.routes[${index}]`;
            checkMatches(problems, `${field}.matches`, route.matches, true);
            checkRouteWeights(problems, `${field}.weights`, route.weights, versionNames);
            const rewrite = route.rewrite;
            if (rewrite && rewrite.pathPrefix === undefined && rewrite.hostname === undefined) {
                problems.add(`${field}.rewrite`, "the rewrite sets neither pathPrefix nor hostname", "set pathPrefix, hostname or both, or drop the rewrite");
            }
            if (rewrite?.pathPrefix !== undefined) {
                checkAbsolutePath(problems, `${field}.rewrite.pathPrefix`, rewrite.pathPrefix);
                if ((route.matches ?? []).some((m) => m.path && m.path.type !== "PathPrefix")) {
                    problems.add(`${field}.rewrite.pathPrefix`, "a prefix rewrite needs PathPrefix matches", "match with type PathPrefix, or drop the rewrite");
                }
            }
            if (rewrite?.hostname !== undefined) {
                checkRewriteHostname(problems, `${field}.rewrite.hostname`, rewrite.hostname);
            }
        });
    }

    if (args.traffic) {
        // In ambient mode behind a waypoint the in-mesh routes are Gateway API HTTPRoutes.
        checkTrafficPolicy(problems, args.traffic, versionNames, args.dataplaneMode === "ambient" && args.waypoint !== undefined);
    }
    if ((args.versions?.length ?? 0) === 0 && [...(args.traffic?.routes ?? []), ...(args.public?.routes ?? [])].some((r) => r.weights)) {
        problems.add("weights", "route weights are set but the service has no versions", "weights split traffic between versions; declare versions or drop the weights");
    }
    checkAmbientArgs(problems, args);
    return problems;
}
