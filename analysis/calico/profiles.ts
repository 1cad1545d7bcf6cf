/**
 * Calico Profiles (docs.tigera.io/calico/latest/reference/resources/profile): rules applied to
 * an endpoint after the tiers, to what no tier decided (a tier's Pass, or every packet where
 * no policy applies). Each profile's rules run in order, first match deciding; what no rule of
 * a profile decides (or a Pass) goes to the endpoint's next profile, and what none decides is
 * dropped.
 *
 * A pod's profiles are `kns.<namespace>` and `ksa.<namespace>.<serviceaccount>`, which Calico
 * generates to allow everything; a host endpoint has those its `profiles` field names
 * (`projectcalico-default-allow` is built in and allows everything), and a host endpoint
 * without profiles drops what no policy allows. A Profile object given in the input replaces
 * the generated profile of the same name.
 */
import { Labels } from "../calicoSelector";
import { KubeObject } from "../manifests";
import { ConnectionSet } from "../netpol/ports";
import { EntityContext } from "./entity";
import { anyAddress, Profile, TierRule } from "./model";
import { isCalicoKind } from "./objects";
import { compileRules } from "./rules";

export const defaultAllowProfile = "projectcalico-default-allow";

export function isProfile(object: KubeObject): boolean {
    return isCalicoKind(object, "Profile");
}

const allowEverything: TierRule = {
    action: "Allow",
    index: 1,
    matchesSource: () => true,
    matchesDestination: () => true,
    sourceAddresses: anyAddress,
    destinationAddresses: anyAddress,
    labelsRead: [],
    connections: () => ConnectionSet.all,
    externalCuts: [],
};

/** A profile Calico generates, allowing everything. */
function generated(name: string): Profile {
    return { object: `Profile ${name}`, ingress: [allowEverything], egress: [allowEverything], labels: {} };
}

export class Profiles {
    private readonly byName = new Map<string, Profile>();

    constructor(objects: readonly KubeObject[], context: EntityContext) {
        for (const object of objects.filter(isProfile)) {
            const name = object.metadata?.name ?? "";
            try {
                this.byName.set(name, parseProfile(object, name, context));
            } catch (error) {
                throw new Error(`Profile ${name || "(unnamed)"}: ${(error as Error).message}`);
            }
        }
    }

    /** The profiles of a pod in `namespace` running as `serviceAccount`. */
    ofPod(namespace: string, serviceAccount: string): Profile[] {
        return [`kns.${namespace}`, `ksa.${namespace}.${serviceAccount}`].map((name) => this.byName.get(name) ?? generated(name));
    }

    /** Profiles an endpoint names; `what` says which endpoint, for the error about a missing one. */
    named(names: readonly string[], what: string): Profile[] {
        return names.map((name) => {
            const profile = this.byName.get(name);
            if (profile) {
                return profile;
            }
            if (name === defaultAllowProfile || name.startsWith("kns.") || name.startsWith("ksa.")) {
                return generated(name);
            }
            throw new Error(`${what}: profiles: no Profile ${JSON.stringify(name)} is given; add it or remove the name`);
        });
    }

    /** Every profile given, for what their rules read and the External cuts they make (the generated ones allow everything: neither). */
    all(): Profile[] {
        return [...this.byName.values()];
    }
}

function parseProfile(object: KubeObject, name: string, context: EntityContext): Profile {
    const spec = (object.spec ?? {}) as { ingress?: unknown; egress?: unknown; labelsToApply?: unknown };
    return {
        object: `Profile ${name}`,
        ingress: compileRules(spec.ingress, "ingress", context),
        egress: compileRules(spec.egress, "egress", context),
        labels: stringMap(spec.labelsToApply, "labelsToApply"),
    };
}

export function stringMap(value: unknown, field: string): Labels {
    if (value === undefined || value === null) {
        return {};
    }
    if (typeof value !== "object" || Array.isArray(value) || Object.values(value).some((item) => typeof item !== "string")) {
        throw new Error(`${field} is not a mapping of strings`);
    }
    return value as Labels;
}
