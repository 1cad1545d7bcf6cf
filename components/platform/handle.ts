import { z } from "zod";

/**
 * The platform handle: what a platform stack exports (as the stack output `ztmeshPlatform`)
 * for application stacks and the policy pack. Plain JSON, versioned: a reader refuses a
 * version it does not know rather than guess at fields that may have changed meaning.
 *
 * This module imports no Pulumi package, so the policy pack can read a handle too.
 */

/** The stack output a platform stack exports its handle as. */
export const platformOutputName = "ztmeshPlatform";

/**
 * The type of the component an application program registers to hold its platform's handle
 * (`MeshPlatform.fromStack`): the policy pack reads the handle from its outputs.
 */
export const platformReferenceType = "ztmesh:index:PlatformReference";

/** The handle version this ztmesh writes and reads. Raise it when a field changes meaning or goes away. */
export const platformHandleVersion = 1;

/** The label ztmesh puts on a team's namespaces (platform) and on every object of a team's stack. */
export const teamLabel = "ztmesh.io/team";

const labels = z.record(z.string(), z.string());

const identity = z.strictObject({
    name: z.string(),
    namespace: z.string(),
    serviceAccount: z.string(),
    podLabels: labels,
});

const handleSchema = z.strictObject({
    version: z.literal(platformHandleVersion),
    /** The mesh every application joins. */
    mesh: z.strictObject({
        trustDomain: z.string(),
        revision: z.string().optional(),
        dataplaneMode: z.enum(["sidecar", "ambient"]),
        ingressMode: z.enum(["gateway-api", "classic"]),
    }),
    /** The public gateway, if the platform has one: where routes attach, and who it is as a caller. */
    gateway: z.strictObject({
        name: z.string(),
        namespace: z.string(),
        mode: z.enum(["gateway-api", "classic"]),
        identity,
        /** One per listener: the Gateway API parentRef an HTTPRoute for that hostname names. */
        listeners: z.array(z.strictObject({
            hostname: z.string(),
            parentRef: z.strictObject({ group: z.string(), kind: z.string(), name: z.string(), namespace: z.string(), sectionName: z.string() }),
        })),
    }).optional(),
    /** The Prometheus identity, if monitoring is on. */
    monitoring: identity.optional(),
    /** Every application namespace, the team that owns it, and whether it may attach routes to the gateway. */
    namespaces: z.array(z.strictObject({ name: z.string(), team: z.string(), gatewayRoutes: z.boolean() })),
    /**
     * How the platform denies by default: which objects carry the cluster guardrails (Calico
     * policy or ClusterNetworkPolicy, see ZeroTrustBaseline), the Calico API of its cluster-wide
     * policy, and the namespaces it leaves out.
     */
    defaultDeny: z.strictObject({
        clusterPolicy: z.enum(["calico", "clusterNetworkPolicy"]),
        calicoPolicyApi: z.enum(["projectcalico.org/v3", "crd.projectcalico.org/v1"]),
        controlPlaneNamespaces: z.array(z.string()),
    }),
    /**
     * The platform's own policy objects as it applies them (namespaces, default-deny and
     * cluster policies, mesh-wide mTLS, the Gateway): the policy pack evaluates an
     * application stack together with them, so its verdicts do not depend on the split.
     */
    policyObjects: z.array(z.looseObject({ apiVersion: z.string(), kind: z.string(), metadata: z.looseObject({ name: z.string() }) })),
});

export type PlatformHandle = z.infer<typeof handleSchema>;

/** A handle that cannot be read; the message names where it came from, what is wrong and the fix. */
export class PlatformHandleError extends Error {}

/**
 * Reads a platform handle (`value`, from `source`, e.g. `stack acme/ztmesh/platform`), or
 * throws a PlatformHandleError naming the field. An unknown version is refused first: its
 * fields cannot be trusted to mean what this version's do.
 */
export function parsePlatformHandle(value: unknown, source: string): PlatformHandle {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw new PlatformHandleError(`${source}: the platform handle ${platformOutputName} is missing or not an object; point at a stack with ztmesh:role: platform that has run pulumi up`);
    }
    const version = (value as { version?: unknown }).version;
    if (version !== platformHandleVersion) {
        throw new PlatformHandleError(
            `${source}: platform handle version ${JSON.stringify(version)} is not supported (this ztmesh reads version ${platformHandleVersion}); ` +
            "run the platform stack and this stack with the same ztmesh release",
        );
    }
    const result = handleSchema.safeParse(value);
    if (!result.success) {
        const problems = result.error.issues.map((issue) => `${platformOutputName}${issue.path.map((s) => (typeof s === "number" ? `[${s}]` : `.${String(s)}`)).join("")}: ${issue.message}`);
        throw new PlatformHandleError(`${source}: the platform handle cannot be read:\n  - ${problems.join("\n  - ")}`);
    }
    return result.data;
}
