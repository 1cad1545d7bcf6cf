/**
 * Calico Tier objects, and the tiers Calico creates itself. Tiers run in `order` (lower
 * first; a tier without order after every ordered one; ties by name), each deciding what its
 * policies' rules leave undecided by its `defaultAction`: Deny drops it, Pass hands it to the
 * next tier. Calico creates `kube-admin` (order 1,000, Pass), `default` (1,000,000, Deny) and
 * `kube-baseline` (10,000,000, Pass); the API refuses other orders or actions for them, and a
 * policy in a tier that does not exist.
 * (docs.tigera.io/calico/latest/reference/resources/tier; libcalico-go DefaultTierOrder,
 * KubeAdminTierOrder, KubeBaselineTierOrder.)
 */
import { KubeObject } from "../manifests";
import { Tier } from "./model";
import { isCalicoKind } from "./objects";

export const defaultTierName = "default";

const builtIn: readonly Tier[] = [
    { name: "kube-admin", order: 1_000, defaultAction: "Pass" },
    { name: defaultTierName, order: 1_000_000, defaultAction: "Deny" },
    { name: "kube-baseline", order: 10_000_000, defaultAction: "Pass" },
];

export function isTier(object: KubeObject): boolean {
    return isCalicoKind(object, "Tier");
}

/** Every tier by name: the built-in ones, and those in `objects`. */
export function tiersOf(objects: readonly KubeObject[]): Map<string, Tier> {
    const tiers = new Map(builtIn.map((tier) => [tier.name, tier]));
    for (const object of objects.filter(isTier)) {
        const tier = parseTier(object);
        const fixed = builtIn.find((candidate) => candidate.name === tier.name);
        if (fixed && (fixed.order !== tier.order || fixed.defaultAction !== tier.defaultAction)) {
            throw new Error(`Tier ${tier.name}: spec: Calico fixes the built-in tier ${tier.name} at order ${fixed.order}, defaultAction ${fixed.defaultAction}`);
        }
        tiers.set(tier.name, tier);
    }
    return tiers;
}

function parseTier(object: KubeObject): Tier {
    const name = object.metadata?.name;
    if (typeof name !== "string" || name === "") {
        throw new Error("Tier (unnamed): metadata.name is missing");
    }
    const spec = (object.spec ?? {}) as { order?: unknown; defaultAction?: unknown };
    if (spec.order !== undefined && spec.order !== null && typeof spec.order !== "number") {
        throw new Error(`Tier ${name}: spec.order ${JSON.stringify(spec.order)} is not a number`);
    }
    const defaultAction = spec.defaultAction ?? "Deny";
    if (defaultAction !== "Deny" && defaultAction !== "Pass") {
        throw new Error(`Tier ${name}: spec.defaultAction ${JSON.stringify(defaultAction)} is not Deny or Pass`);
    }
    return { name, order: typeof spec.order === "number" ? spec.order : Infinity, defaultAction };
}
