import * as ipaddr from "ipaddr.js";
import { z } from "zod";
import { Problems, checkSourceLocation, clusterPolicyModes, enforcementModes } from "../components";

/**
 * The environment as `Pulumi.<stack>.yaml` declares it, under the `ztmesh:` namespace. Every
 * object is strict: a key that is not listed here is an error, never silently ignored.
 */

const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, {
    error: "must be a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit",
}).max(63);

const labels = z.record(z.string(), z.string());

/** A string that must say something: an empty value would silently mean "not set". */
const nonEmpty = z.string().min(1, { error: "is empty; give a value or leave the key out" });

/** Where something is downloaded from, checked as the components check it (`checkSourceLocation`). */
function sourceLocation(options: { localPath: boolean; schemes?: readonly string[] }) {
    return z.string().superRefine((value, context) => {
        const problems = new Problems();
        checkSourceLocation(problems, "", value, options);
        for (const { problem, fix } of problems.entries) {
            context.addIssue({ code: "custom", message: `${problem}; ${fix}` });
        }
    });
}

const chartRepository = sourceLocation({ localPath: false, schemes: ["https:", "oci:"] });

/** An address range written as Kubernetes and Calico take it: a CIDR from its first address. */
const cidr = z.string().superRefine((value, context) => {
    if (!ipaddr.isValidCIDR(value)) {
        context.addIssue({ code: "custom", message: `"${value}" is not a CIDR; write a range with its mask, e.g. "10.0.0.1/32"` });
        return;
    }
    const network = (value.includes(":") ? ipaddr.IPv6 : ipaddr.IPv4).networkAddressFromCIDR(value).toString();
    if (network !== ipaddr.parseCIDR(value)[0].toString()) {
        context.addIssue({ code: "custom", message: `"${value}" has host bits set; write the range from its first address: "${network}/${value.split("/")[1]}"` });
    }
});

const identity = z.strictObject({
    namespace: dnsLabel,
    serviceAccount: z.string(),
    podLabels: labels,
});

const chartSource = z.strictObject({
    repository: chartRepository.optional(),
    version: z.string().optional(),
    path: nonEmpty.optional(),
});

const httpMatch = z.strictObject({
    path: z.strictObject({ type: z.enum(["Exact", "PathPrefix", "RegularExpression"]), value: z.string() }).optional(),
    headers: z.array(z.strictObject({ name: z.string(), value: z.string(), type: z.enum(["Exact", "RegularExpression"]).optional() })).optional(),
    method: z.string().optional(),
});

const weights = z.record(z.string(), z.number());

/** `enforce` or `audit`; anything else is an error, never read as either mode. */
const enforcement = z.enum(enforcementModes, {
    error: (issue) => `${JSON.stringify(issue.input)} is not an enforcement mode; use "enforce" (the default) or "audit"`,
});

const service = z.strictObject({
    name: z.string(),
    namespace: z.string(),
    serviceAccount: z.string().optional(),
    ports: z.array(z.strictObject({
        name: z.string(),
        port: z.number(),
        targetPort: z.number().optional(),
        protocol: z.enum(["http", "http2", "grpc", "tcp"]).optional(),
        metrics: z.boolean().optional(),
    })),
    versions: z.array(z.strictObject({
        name: z.string(),
        image: nonEmpty,
        replicas: z.number().optional(),
        weight: z.number().optional(),
        env: z.record(z.string(), z.string()).optional(),
        resources: z.strictObject({ requests: labels.optional(), limits: labels.optional() }).optional(),
    })).optional(),
    existingWorkload: z.strictObject({ podLabels: labels }).optional(),
    /**
     * Who may call the service; `service` names another entry of `ztmesh:services`, or, as
     * `namespace/name`, a service of another team's stack (application stacks).
     */
    callers: z.array(z.strictObject({
        service: z.string(),
        ports: z.array(z.string()).optional(),
        methods: z.array(z.string()).optional(),
        paths: z.array(z.string()).optional(),
    })).optional(),
    public: z.strictObject({
        hostname: z.string(),
        port: nonEmpty.optional(),
        routes: z.array(z.strictObject({
            matches: z.array(httpMatch).optional(),
            rewrite: z.strictObject({ pathPrefix: z.string().optional(), hostname: z.string().optional() }).optional(),
            weights: weights.optional(),
        })).optional(),
    }).optional(),
    traffic: z.strictObject({
        loadBalancer: z.union([z.enum(["ROUND_ROBIN", "LEAST_REQUEST", "RANDOM"]), z.strictObject({ consistentHashHeader: z.string() })]).optional(),
        connectionPool: z.strictObject({
            maxConnections: z.number().optional(),
            connectTimeout: z.string().optional(),
            http1MaxPendingRequests: z.number().optional(),
            http2MaxRequests: z.number().optional(),
            maxRequestsPerConnection: z.number().optional(),
        }).optional(),
        outlierDetection: z.strictObject({
            consecutive5xxErrors: z.number().optional(),
            interval: z.string().optional(),
            baseEjectionTime: z.string().optional(),
            maxEjectionPercent: z.number().optional(),
        }).optional(),
        routes: z.array(z.strictObject({
            matches: z.array(httpMatch).optional(),
            weights: weights.optional(),
            timeout: z.string().optional(),
            retries: z.strictObject({ attempts: z.number(), perTryTimeout: z.string().optional(), retryOn: z.string().optional() }).optional(),
            rewrite: z.strictObject({ uri: z.string().optional(), authority: z.string().optional() }).optional(),
        })).optional(),
    }).optional(),
    /**
     * Application stacks: services of other teams' stacks this one calls, as `namespace/name`
     * with the container ports it reaches there. Calls within the stack are derived from the
     * callee's `callers` and are not listed here.
     */
    dependencies: z.array(z.strictObject({
        service: z.string(),
        ports: z.array(z.number()),
    })).optional(),
    /** The service's own mode; default its namespace's (see `ztmesh:enforcement`). */
    enforcement: enforcement.optional(),
});

export const environmentSchema = z.strictObject({
    /** The target cluster. Without `context` or `kubeconfig`, manifests are rendered to `renderDirectory`. */
    cluster: z.strictObject({
        context: nonEmpty.optional(),
        renderDirectory: z.string().optional(),
        /** Deploy without waiting for workloads to become ready (a cluster without nodes yet, a GitOps bootstrap). */
        skipAwait: z.boolean().optional(),
    }).optional(),
    /** Kubeconfig contents; set with `pulumi config set --secret ztmesh:kubeconfig`. */
    kubeconfig: nonEmpty.optional(),
    /** Chart sources for mirrors and air-gapped clusters. */
    charts: z.strictObject({
        istioRepository: chartRepository.optional(),
        calicoRepository: chartRepository.optional(),
        /** A folder holding one chart folder per chart name (`base`, `istiod`, `tigera-operator`, ...). */
        localDirectory: nonEmpty.optional(),
    }).optional(),
    /** Required in `all` and `platform` stacks; an application stack takes the mesh from its platform. */
    calico: z.strictObject({
        install: z.boolean(),
        version: z.string().optional(),
        policyApi: z.enum(["projectcalico.org/v3", "crd.projectcalico.org/v1"]).optional(),
        kubernetesProvider: z.string().optional(),
        ipPools: z.array(z.strictObject({
            cidr: z.string(),
            encapsulation: z.enum(["VXLANCrossSubnet", "VXLAN", "IPIPCrossSubnet", "IPIP", "None"]).optional(),
            natOutgoing: z.boolean().optional(),
            blockSize: z.number().optional(),
        })).optional(),
        charts: z.strictObject({ crds: chartSource.optional(), operator: chartSource.optional() }).optional(),
    }).optional(),
    istio: z.strictObject({
        version: z.string().optional(),
        platform: z.string().optional(),
        revision: z.string().optional(),
        cni: z.boolean().optional(),
        /** `sidecar` (default) or `ambient` (ztunnel + waypoints); service declarations mean the same in both. */
        dataplaneMode: z.enum(["sidecar", "ambient"]).optional(),
        /** Ambient mode: services that get a waypoint of their own instead of their namespace's. */
        dedicatedWaypoints: z.array(z.string()).optional(),
        ingressMode: z.enum(["gateway-api", "classic"]).optional(),
        istiodReplicas: z.number().optional(),
        trustDomain: z.string().optional(),
        accessLogFile: z.string().optional(),
    }).optional(),
    gateway: z.strictObject({
        name: z.string().optional(),
        namespace: z.string().optional(),
        serviceType: z.enum(["LoadBalancer", "NodePort", "ClusterIP"]).optional(),
        /** URL or file of the Gateway API CRDs (air-gapped clusters). */
        crdsSource: z.string().optional(),
        listeners: z.array(z.strictObject({
            hostname: z.string(),
            tls: z.strictObject({
                selfSigned: z.boolean().optional(),
                secretName: z.string().optional(),
                secretNamespace: z.string().optional(),
            }).optional(),
        })),
    }).optional(),
    /** The Prometheus identity: scrapes sidecars and the services' metrics ports. */
    monitoring: identity.optional(),
    baseline: z.strictObject({
        /**
         * Which objects carry the cluster guardrails: `calico` (GlobalNetworkPolicies, the
         * default) or `clusterNetworkPolicy` (Kubernetes ClusterNetworkPolicies, any network plugin that implements them).
         */
        clusterPolicy: z.enum(clusterPolicyModes, {
            error: (issue) => `${JSON.stringify(issue.input)} is not a cluster policy mode; use one of ${clusterPolicyModes.map((mode) => JSON.stringify(mode)).join(", ")} (default "calico")`,
        }).optional(),
        controlPlaneNamespaces: z.array(dnsLabel).optional(),
        apiServerCidrs: z.array(cidr).optional(),
        /** App namespaces whose mode differs from `ztmesh:enforcement`, by name. */
        namespaceEnforcement: z.record(dnsLabel, enforcement).optional(),
    }).optional(),
    /** Required in `all` and `application` stacks; a platform stack declares none. */
    services: z.array(service).optional(),
    /**
     * Whether policy denies (`enforce`, the default) or only observes (`audit`: Calico staged
     * policies, Istio dry-run AuthorizationPolicies, PERMISSIVE mTLS). Namespaces
     * (`baseline.namespaceEnforcement`) and services (`services[].enforcement`) may override it.
     */
    enforcement: enforcement.optional(),
    /**
     * More Kubernetes manifests (files, globs or URLs) deployed with the stack after the
     * baseline, e.g. a team's own objects. ztmesh does not validate them; the policy pack does.
     */
    manifests: z.array(sourceLocation({ localPath: true })).optional(),
    /**
     * What the stack holds: `all` (the default) the mesh and the services; `platform` the mesh,
     * the gateway, the baseline and the teams' namespaces; `application` one team's services.
     */
    role: z.enum(["all", "platform", "application"]).optional(),
    /** Platform stacks: the application teams and the namespaces each owns. */
    teams: z.array(z.strictObject({
        name: dnsLabel,
        namespaces: z.array(dnsLabel),
        /** Whether the team's services may be public: its namespaces may attach routes to the gateway. */
        gatewayRoutes: z.boolean().optional(),
    })).optional(),
    /** Application stacks: the platform stack, as `<organization>/<project>/<stack>`. */
    platform: nonEmpty.optional(),
    /** Application stacks: the team of `ztmesh:teams` (in the platform stack) this stack deploys for. */
    team: dnsLabel.optional(),
});

type ParsedEnvironment = z.infer<typeof environmentSchema>;
export type ServiceConfig = NonNullable<ParsedEnvironment["services"]>[number];
export type StackRole = NonNullable<ParsedEnvironment["role"]>;
export type TeamConfig = NonNullable<ParsedEnvironment["teams"]>[number];
/** The environment once its role is checked (`stacks/roles.ts`): the services are a list, empty on a platform stack. */
export type Environment = Omit<ParsedEnvironment, "services"> & { services: ServiceConfig[] };
