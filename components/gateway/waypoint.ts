import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CalicoPolicyApi } from "../calico/policyApi";
import { EnforcementMode, checkEnforcement, podNetworkPolicy } from "../enforcement";
import { WorkloadIdentity } from "../identity";
import { platformEgressRules } from "../networkPolicyRules";
import { Problems, checkDns1123Label } from "../problems";
import { ambient, istioPorts, revisionLabel } from "../../common/wellKnown";

export interface WaypointArgs {
    /** Namespace the waypoint serves and runs in. */
    namespace: string;
    /** Name of the Gateway (and of the Deployment and ServiceAccount istiod makes for it). Default: `waypoint`. */
    name?: string;
    /** Control-plane revision that deploys the waypoint. Default: the default revision. */
    revision?: string;
    /**
     * The mode of the services behind the waypoint. Its NetworkPolicy isolates its pods, so in
     * an audited scope it is staged too: enforcing, it would refuse every caller whose allow
     * (the services' staged waypoint policies) is staged. Default: `enforce`.
     */
    enforcement?: EnforcementMode;
    /** The Calico API group staged NetworkPolicies are written to. Required in audit mode. */
    calicoPolicyApi?: CalicoPolicyApi;
    /**
     * The enforcing allows the waypoint's NetworkPolicy must not take effect before: the
     * `waypointNetworkPolicy` of the services behind it (see ZeroTrustBaseline's). Default: none.
     */
    enforcingAllows?: pulumi.Input<pulumi.Resource[]>;
}

/** What a MeshService needs of the waypoint that enforces its Layer 7 policy (implemented by `Waypoint`). */
export interface WaypointAttachment {
    readonly name: string;
    readonly namespace: string;
    /** The waypoint's pods and mesh identity: the destination's ztunnel sees this principal, not the caller's. */
    readonly identity: WorkloadIdentity;
}

export function validateWaypointArgs(args: WaypointArgs): Problems {
    const problems = new Problems();
    checkDns1123Label(problems, "namespace", args.namespace);
    checkEnforcement(problems, "enforcement", args.enforcement, { calicoPolicyApi: args.calicoPolicyApi, field: "calicoPolicyApi" });
    if (args.name !== undefined) {
        checkDns1123Label(problems, "name", args.name);
    }
    return problems;
}

/** The pods and ServiceAccount istiod gives a waypoint: both carry the Gateway's name, without suffix. */
export function waypointIdentity(name: string, namespace: string): WorkloadIdentity {
    return { name, namespace, serviceAccount: name, podLabels: { [ambient.gatewayNameLabel]: name } };
}

/**
 * An ambient waypoint: a Gateway API `Gateway` of class `istio-waypoint` (listener `mesh`,
 * HBONE on 15008) that istiod turns into an Envoy Deployment. It takes `service` traffic: the
 * Services labelled `istio.io/use-waypoint: <name>` reach their pods through it, and it enforces
 * the AuthorizationPolicies and HTTPRoutes attached to those Services. Its pods sit in the
 * namespace's default-deny like any other: this component lets them reach DNS and istiod, and
 * each MeshService behind the waypoint adds its callers and its pods.
 */
export class Waypoint extends pulumi.ComponentResource implements WaypointAttachment {
    public readonly name: string;
    public readonly namespace: string;
    public readonly identity: WorkloadIdentity;
    public readonly gateway: k8s.apiextensions.CustomResource;
    /** The waypoint pods' own NetworkPolicy (staged in audit mode). */
    public readonly networkPolicy: pulumi.CustomResource;

    constructor(name: string, args: WaypointArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ztmesh:index:Waypoint", name, {}, opts);
        validateWaypointArgs(args).throwIfAny(`Waypoint "${name}"`, this);
        this.name = args.name ?? "waypoint";
        this.namespace = args.namespace;
        this.identity = waypointIdentity(this.name, this.namespace);

        this.gateway = new k8s.apiextensions.CustomResource(`${name}-gateway`, {
            apiVersion: "gateway.networking.k8s.io/v1",
            kind: "Gateway",
            metadata: {
                name: this.name,
                namespace: this.namespace,
                labels: { [ambient.waypointForLabel]: "service", ...(args.revision ? { [revisionLabel]: args.revision } : {}) },
            },
            spec: {
                gatewayClassName: ambient.waypointClassName,
                listeners: [{ name: "mesh", port: istioPorts.hbone, protocol: "HBONE" }],
            },
        }, { parent: this });
        const mode = args.enforcement ?? "enforce";
        this.networkPolicy = podNetworkPolicy(`${name}-networkpolicy`, { name: this.name, namespace: this.namespace }, {
            podSelector: { matchLabels: { ...this.identity.podLabels } },
            policyTypes: ["Ingress", "Egress"],
            egress: platformEgressRules(),
        }, { mode, calicoPolicyApi: args.calicoPolicyApi }, {
            parent: this,
            ...(mode === "enforce" && args.enforcingAllows ? { dependsOn: args.enforcingAllows } : {}),
        });
        this.registerOutputs({ name: this.name, namespace: this.namespace });
    }
}
