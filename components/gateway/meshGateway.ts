import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { WorkloadIdentity } from "../identity";
import { IngressMode } from "../istio/istio";
import { platformEgressRules } from "../networkPolicyRules";
import { Problems, checkDns1123Label, checkDns1123Subdomain, checkHostname, checkSourceLocation, checkUnique } from "../problems";
import { gatewayApiCrdsUrl, versions } from "../versions";
import { controlPlaneNamespaces, istioPorts } from "../../common/wellKnown";
import { gatewayApiCrds } from "./gatewayApiCrds";
import { SelfSignedCertificate } from "./selfSignedCertificate";

/**
 * TLS for one HTTPS listener. Exactly one of:
 * - `selfSigned: true` — a certificate made in the program (dev only; stored as a Pulumi secret);
 * - `secretName` — an existing `kubernetes.io/tls` Secret, e.g. issued by cert-manager.
 */
export interface ListenerTls {
    selfSigned?: boolean;
    secretName?: string;
    /** Namespace of `secretName`. Default: the gateway's namespace. Another namespace gets a ReferenceGrant. */
    secretNamespace?: string;
}

/** One public hostname, served over HTTPS only. */
export interface GatewayListener {
    /** e.g. `bookinfo.example.com` or `*.example.com`. */
    hostname: string;
    /** Required: ztmesh serves no public hostname in plain HTTP. */
    tls?: ListenerTls;
}

export interface MeshGatewayArgs {
    /** Name of the Gateway object (and, in gateway-api mode, of its Deployment `<name>-istio`). Default: `mesh-gateway`. */
    gatewayName?: string;
    /** Namespace of the gateway. Default: `istio-ingress`. */
    namespace?: string;
    /** Create the namespace. Set false when it exists (e.g. Istio's classic ingress made it). Default: true. */
    createNamespace?: boolean;
    /** `gateway-api` (default): a Gateway API `Gateway` of class `istio`. `classic`: an Istio `Gateway` on the `gateway` chart's pods. */
    mode?: IngressMode;
    /**
     * Gateway API CRDs. `install` defaults to true in gateway-api mode; `source` is a URL or a
     * local file (air-gapped clusters). Default source: the standard channel of `versions.gatewayApi`.
     * `manifest`: the content of `source`, already read; its objects then become typed
     * resources, which also render without a cluster (see `gatewayApiCrds.ts`).
     */
    crds?: { install?: boolean; source?: string; manifest?: string };
    /** One HTTPS listener per hostname; at least one. */
    listeners: GatewayListener[];
    /** Type of the Service istiod creates for the gateway. Default: `LoadBalancer`. */
    serviceType?: "LoadBalancer" | "NodePort" | "ClusterIP";
}

/** How a route names the listener of one hostname. */
export interface GatewayParentRef {
    group: "gateway.networking.k8s.io";
    kind: "Gateway";
    name: string;
    namespace: string;
    sectionName: string;
}

/** What a MeshService needs of the gateway that exposes it (implemented by `MeshGateway`). */
export interface GatewayAttachment {
    readonly gatewayName: string;
    readonly namespace: string;
    readonly mode: IngressMode;
    readonly hostnames: string[];
    readonly identity: WorkloadIdentity;
    readonly routeNamespaceLabels: Record<string, string>;
    readonly classicGatewayRef: string;
    parentRefFor(hostname: string): GatewayParentRef | undefined;
}

export function validateMeshGatewayArgs(args: MeshGatewayArgs): Problems {
    const problems = new Problems();
    if (args.gatewayName !== undefined) {
        checkDns1123Label(problems, "gatewayName", args.gatewayName);
    }
    if (args.namespace !== undefined) {
        checkDns1123Label(problems, "namespace", args.namespace);
    }
    if (!args.listeners || args.listeners.length === 0) {
        problems.add("listeners", "no listener is declared", "add one { hostname, tls } per public hostname");
    }
    (args.listeners ?? []).forEach((listener, index) => {
        const field = `listeners[${index}]`;
        checkHostname(problems, `${field}.hostname`, listener.hostname);
        const tls = listener.tls;
        if (!tls || (!tls.selfSigned && !tls.secretName)) {
            problems.add(
                `${field}.tls`,
                `public hostname "${listener.hostname}" has no TLS`,
                "every public hostname is HTTPS: set tls.selfSigned: true (dev) or tls.secretName to a kubernetes.io/tls Secret",
            );
        } else if (tls.selfSigned && tls.secretName) {
            problems.add(`${field}.tls`, "both selfSigned and secretName are set", "choose one: selfSigned for dev, secretName for a real certificate");
        }
        if (tls?.secretName !== undefined) {
            checkDns1123Subdomain(problems, `${field}.tls.secretName`, tls.secretName);
        }
        if (tls?.secretNamespace !== undefined) {
            checkSecretNamespace(problems, `${field}.tls.secretNamespace`, tls, args);
        }
    });
    checkUnique(problems, "listeners", "hostname", (args.listeners ?? []).map((l) => l.hostname), "declare each hostname once");
    if (args.crds?.source !== undefined) {
        checkSourceLocation(problems, "crds.source", args.crds.source, { localPath: true });
    }
    return problems;
}

/**
 * A certificate Secret in another namespace than the gateway's: that namespace gets a
 * ReferenceGrant letting the Gateway read the Secret. Never in a control-plane namespace
 * (kube-system holds the cluster's own credentials; a grant there is a door into it), and not
 * at all in classic mode, where an Istio Gateway reads Secrets of its own namespace only.
 */
function checkSecretNamespace(problems: Problems, field: string, tls: ListenerTls, args: MeshGatewayArgs): void {
    const namespace = tls.secretNamespace!;
    checkDns1123Label(problems, field, namespace);
    const gatewayNamespace = args.namespace ?? defaultGatewayNamespace;
    if (tls.selfSigned) {
        problems.add(field, "is set for a self-signed certificate, which ztmesh keeps in the gateway's namespace", "drop secretNamespace, or use secretName for a certificate of your own");
    } else if ((controlPlaneNamespaces as readonly string[]).includes(namespace) || ["kube-public", "kube-node-lease"].includes(namespace)) {
        problems.add(field, `"${namespace}" is a control-plane namespace; ztmesh would put a ReferenceGrant there`, `keep the certificate in the gateway's namespace ("${gatewayNamespace}") or a namespace of its own`);
    } else if (args.mode === "classic" && namespace !== gatewayNamespace) {
        problems.add(field, `a classic Istio Gateway reads certificates from its own namespace ("${gatewayNamespace}") only`, `move the Secret to "${gatewayNamespace}", or use ingressMode gateway-api`);
    }
}

/** The listener (section) name for a hostname: `https-` and the hostname in DNS-label form. */
export function listenerName(hostname: string): string {
    return `https-${hostname.replace(/^\*\./, "wildcard.").replace(/\./g, "-")}`.slice(0, 63).replace(/-+$/, "");
}

/** Whether a listener hostname (possibly `*.`) serves a route hostname. */
export function hostnameMatches(listener: string, hostname: string): boolean {
    if (listener.startsWith("*.")) {
        const suffix = listener.slice(1);
        return hostname.endsWith(suffix) && hostname.length > suffix.length;
    }
    return listener === hostname;
}

/** The gateway's namespace unless `namespace` says otherwise. */
const defaultGatewayNamespace = "istio-ingress";

/** The route to the HTTPS listener of `hostname` on `gateway`, if one serves it. */
function parentRefFor(gateway: Pick<GatewayAttachment, "gatewayName" | "namespace" | "hostnames">, hostname: string): GatewayParentRef | undefined {
    const listener = gateway.hostnames.find((h) => hostnameMatches(h, hostname));
    if (listener === undefined) {
        return undefined;
    }
    return { group: "gateway.networking.k8s.io", kind: "Gateway", name: gateway.gatewayName, namespace: gateway.namespace, sectionName: listenerName(listener) };
}

/**
 * What a `MeshGateway` made of `args` offers the MeshServices it exposes, computed without
 * creating it: the stack validates its services against this before any resource exists, and
 * the component takes its own fields from it, so the two cannot differ.
 */
export function gatewayAttachment(args: MeshGatewayArgs): GatewayAttachment {
    return gatewayAttachmentOf({
        gatewayName: args.gatewayName ?? "mesh-gateway",
        namespace: args.namespace ?? defaultGatewayNamespace,
        mode: args.mode ?? "gateway-api",
        hostnames: args.listeners.map((l) => l.hostname),
    });
}

/**
 * The attachment of a gateway known by its name, namespace, mode and listener hostnames: all
 * the rest follows from these, so a stack that does not create the gateway (an application
 * stack, from its platform's handle) attaches to it as the one that does.
 */
export function gatewayAttachmentOf({ gatewayName, namespace, mode, hostnames }: Pick<GatewayAttachment, "gatewayName" | "namespace" | "mode" | "hostnames">): GatewayAttachment {
    const identity: WorkloadIdentity = mode === "classic"
        ? { name: "istio-ingressgateway", namespace, serviceAccount: "istio-ingressgateway", podLabels: { istio: "ingressgateway" } }
        : { name: gatewayName, namespace, serviceAccount: `${gatewayName}-istio`, podLabels: { "gateway.networking.k8s.io/gateway-name": gatewayName } };
    const attachment = {
        gatewayName, namespace, mode, hostnames, identity,
        routeNamespaceLabels: { "ztmesh.io/gateway-access": gatewayName },
        classicGatewayRef: `${namespace}/${gatewayName}`,
        parentRefFor: (hostname: string) => parentRefFor(attachment, hostname),
    };
    return attachment;
}

const httpRedirectPort = 80;
const httpsPort = 443;

/**
 * The public entry point: Gateway API CRDs, one `Gateway` (class `istio`, deployed by istiod)
 * with an HTTPS listener per hostname and an HTTP listener whose only route redirects to
 * HTTPS. Routes attach from namespaces labelled with `routeNamespaceLabels`. In classic mode an
 * Istio `Gateway` on the `gateway` chart's pods does the same.
 */
export class MeshGateway extends pulumi.ComponentResource implements GatewayAttachment {
    public readonly gatewayName: string;
    public readonly namespace: string;
    public readonly mode: IngressMode;
    /** The hostnames with an HTTPS listener. */
    public readonly hostnames: string[];
    /** The gateway's pods and ServiceAccount, as callers of the services it routes to. */
    public readonly identity: WorkloadIdentity;
    /** Ports the gateway's pods listen on for public traffic (HTTP redirect and HTTPS). */
    public readonly podPorts: number[];
    /** Labels a namespace needs before its routes may attach to this gateway. */
    public readonly routeNamespaceLabels: Record<string, string>;
    /** The Gateway object (Gateway API or Istio). */
    public readonly gateway: k8s.apiextensions.CustomResource;
    /** TLS Secrets ztmesh created (self-signed listeners), by hostname. */
    public readonly tlsSecrets: Record<string, k8s.core.v1.Secret> = {};

    constructor(name: string, args: MeshGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ztmesh:index:MeshGateway", name, {}, opts);
        validateMeshGatewayArgs(args).throwIfAny(`MeshGateway "${name}"`, this);

        const attachment = gatewayAttachment(args);
        this.gatewayName = attachment.gatewayName;
        this.namespace = attachment.namespace;
        this.mode = attachment.mode;
        this.hostnames = attachment.hostnames;
        this.routeNamespaceLabels = attachment.routeNamespaceLabels;
        this.identity = attachment.identity;
        // Classic gateway pods run unprivileged and listen on 8080/8443 behind Service ports 80/443.
        this.podPorts = this.mode === "classic" ? [8080, 8443] : [httpRedirectPort, httpsPort];

        const dependsOn: pulumi.Resource[] = [];
        if (args.createNamespace ?? true) {
            dependsOn.push(new k8s.core.v1.Namespace(`${name}-namespace`, {
                metadata: { name: this.namespace, labels: this.routeNamespaceLabels },
            }, { parent: this }));
        }
        if (args.crds?.install ?? this.mode === "gateway-api") {
            dependsOn.push(...gatewayApiCrds(name, { source: args.crds?.source ?? gatewayApiCrdsUrl(versions.gatewayApi), manifest: args.crds?.manifest }, this));
        }

        const secretRefs = args.listeners.map((listener) => this.tlsSecretFor(name, listener, dependsOn));
        this.gateway = this.mode === "classic"
            ? this.classicGateway(name, args, secretRefs, dependsOn)
            : this.gatewayApiGateway(name, args, secretRefs, dependsOn);
        this.publicIngressPolicy(name, dependsOn);

        this.registerOutputs({ gatewayName: this.gatewayName, namespace: this.namespace, hostnames: this.hostnames });
    }

    /** The parentRef a route uses to attach to the HTTPS listener of `hostname`, if there is one. */
    parentRefFor(hostname: string): GatewayParentRef | undefined {
        return parentRefFor(this, hostname);
    }

    /** `<namespace>/<name>` of the classic Istio Gateway, as a VirtualService's `gateways` names it. */
    get classicGatewayRef(): string {
        return `${this.namespace}/${this.gatewayName}`;
    }

    private tlsSecretFor(name: string, listener: GatewayListener, dependsOn: pulumi.Resource[]): { name: string; namespace: string } {
        const tls = listener.tls!;
        if (!tls.selfSigned) {
            const namespace = tls.secretNamespace ?? this.namespace;
            if (namespace !== this.namespace && this.mode === "gateway-api") {
                // A Gateway may read a Secret in another namespace only where that namespace grants it.
                new k8s.apiextensions.CustomResource(`${name}-${listenerName(listener.hostname)}-grant`, {
                    apiVersion: "gateway.networking.k8s.io/v1beta1",
                    kind: "ReferenceGrant",
                    metadata: { name: `${this.gatewayName}-${listenerName(listener.hostname)}`.slice(0, 63), namespace },
                    spec: {
                        from: [{ group: "gateway.networking.k8s.io", kind: "Gateway", namespace: this.namespace }],
                        to: [{ group: "", kind: "Secret", name: tls.secretName }],
                    },
                }, { parent: this, dependsOn });
            }
            return { name: tls.secretName!, namespace };
        }
        const secretName = `${this.gatewayName}-${listenerName(listener.hostname)}`.slice(0, 253);
        const certificate = new SelfSignedCertificate(`${name}-${listenerName(listener.hostname)}-cert`, {
            hostnames: [listener.hostname],
        }, { parent: this });
        const secret = new k8s.core.v1.Secret(`${name}-${listenerName(listener.hostname)}-tls`, {
            metadata: { name: secretName, namespace: this.namespace },
            type: "kubernetes.io/tls",
            stringData: {
                "tls.crt": certificate.certificatePem,
                "tls.key": pulumi.secret(certificate.privateKeyPem),
            },
        }, { parent: this, dependsOn });
        this.tlsSecrets[listener.hostname] = secret;
        dependsOn.push(secret);
        return { name: secretName, namespace: this.namespace };
    }

    private gatewayApiGateway(name: string, args: MeshGatewayArgs, secrets: { name: string; namespace: string }[], dependsOn: pulumi.Resource[]) {
        const routeNamespaces = { from: "Selector", selector: { matchLabels: this.routeNamespaceLabels } };
        const gateway = new k8s.apiextensions.CustomResource(`${name}-gateway`, {
            apiVersion: "gateway.networking.k8s.io/v1",
            kind: "Gateway",
            metadata: {
                name: this.gatewayName,
                namespace: this.namespace,
                ...(args.serviceType && args.serviceType !== "LoadBalancer"
                    ? { annotations: { "networking.istio.io/service-type": args.serviceType } }
                    : {}),
            },
            spec: {
                gatewayClassName: "istio",
                listeners: [
                    // Plain HTTP exists only for the redirect below, so only this namespace may attach.
                    { name: "http", protocol: "HTTP", port: httpRedirectPort, allowedRoutes: { namespaces: { from: "Same" } } },
                    ...args.listeners.map((listener, index) => ({
                        name: listenerName(listener.hostname),
                        hostname: listener.hostname,
                        protocol: "HTTPS",
                        port: httpsPort,
                        tls: {
                            mode: "Terminate",
                            certificateRefs: [{
                                group: "",
                                kind: "Secret",
                                name: secrets[index].name,
                                ...(secrets[index].namespace !== this.namespace ? { namespace: secrets[index].namespace } : {}),
                            }],
                        },
                        allowedRoutes: { namespaces: routeNamespaces, kinds: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute" }] },
                    })),
                ],
            },
        }, { parent: this, dependsOn });
        new k8s.apiextensions.CustomResource(`${name}-https-redirect`, {
            apiVersion: "gateway.networking.k8s.io/v1",
            kind: "HTTPRoute",
            metadata: { name: `${this.gatewayName}-https-redirect`, namespace: this.namespace },
            spec: {
                parentRefs: [{ name: this.gatewayName, sectionName: "http" }],
                rules: [{ filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] }],
            },
        }, { parent: this, dependsOn: [gateway] });
        return gateway;
    }

    private classicGateway(name: string, args: MeshGatewayArgs, secrets: { name: string; namespace: string }[], dependsOn: pulumi.Resource[]) {
        return new k8s.apiextensions.CustomResource(`${name}-gateway`, {
            apiVersion: "networking.istio.io/v1",
            kind: "Gateway",
            metadata: { name: this.gatewayName, namespace: this.namespace },
            spec: {
                selector: this.identity.podLabels,
                servers: [
                    { port: { number: httpRedirectPort, name: "http", protocol: "HTTP" }, hosts: this.hostnames, tls: { httpsRedirect: true } },
                    ...args.listeners.map((listener, index) => ({
                        port: { number: httpsPort, name: listenerName(listener.hostname), protocol: "HTTPS" },
                        hosts: [listener.hostname],
                        tls: { mode: "SIMPLE", credentialName: secrets[index].name },
                    })),
                ],
            },
        }, { parent: this, dependsOn });
    }

    /**
     * The gateway namespace is default-deny at Layer 3/4 like every app namespace. It gets no
     * Istio allow-nothing policy: the gateway proxy enforces AuthorizationPolicies of its own
     * namespace, and allow-nothing would refuse every public request at the edge.
     *
     * The gateway's own NetworkPolicy: the one place where traffic from anywhere is admitted,
     * on the public ports and the health port load balancers probe. Egress to each backend is
     * added by the MeshService that exposes it.
     */
    private publicIngressPolicy(name: string, dependsOn: pulumi.Resource[]): void {
        new k8s.networking.v1.NetworkPolicy(`${name}-default-deny`, {
            metadata: { name: "default-deny", namespace: this.namespace },
            spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
        }, { parent: this, dependsOn });
        new k8s.networking.v1.NetworkPolicy(`${name}-public-ingress`, {
            metadata: { name: `${this.gatewayName}-public-ingress`, namespace: this.namespace },
            spec: {
                podSelector: { matchLabels: this.identity.podLabels },
                policyTypes: ["Ingress", "Egress"],
                ingress: [{ ports: [...this.podPorts, istioPorts.health].map((port) => ({ protocol: "TCP", port })) }],
                egress: platformEgressRules(),
            },
        }, { parent: this, dependsOn });
    }
}

