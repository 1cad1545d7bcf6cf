/**
 * The destination groups a source group might reach: a superset, found through index keys
 * (peerKeys.ts) instead of trying every group, so that a row costs what the source's own
 * rules and the rules admitting it can reach, not the size of the cluster. Traffic needs an
 * Allow (or Pass) on both sides: among the source's egress rules, if it is isolated for
 * egress, and among the destination's ingress rules, if it is isolated for ingress.
 */
import type { Group } from "./model";
import { TierPolicy, TierRule } from "./model";
import { identityKeys, KeyIndex } from "./peerKeys";

const admitting = (rule: TierRule) => rule.action === "Allow" || rule.action === "Pass";

export class CandidateDestinations {
    private readonly keys = new Map<Group, string[]>();
    /** Groups by their keys, to find those an egress rule may allow. */
    private readonly groups: KeyIndex<Group>;
    /** Groups by the keys their admitting ingress rules ask of a source. */
    private readonly admitting: KeyIndex<Group>;

    constructor(groups: readonly Group[]) {
        groups.forEach((group) => this.keys.set(group, identityKeys(group.identity)));
        this.groups = new KeyIndex(groups, (group) => this.keys.get(group));
        this.admitting = new KeyIndex(groups, admittedKeys);
    }

    /** The groups that `source` might reach, or "all"; every other group is denied to it. */
    of(source: Group): ReadonlySet<Group> | "all" {
        const admittedBy = this.admitting.lookup(this.keys.get(source) ?? identityKeys(source.identity));
        const allowedTo = this.egressAllows(source);
        return new Set(allowedTo === "all" ? admittedBy : admittedBy.filter((group) => allowedTo.has(group)));
    }

    private egressAllows(source: Group): ReadonlySet<Group> | "all" {
        if (source.egress === undefined) {
            return "all";
        }
        const found = new Set<Group>();
        for (const rule of rulesOf(source.egress, "egress").filter(admitting)) {
            if (rule.destinationKeys === undefined) {
                return "all";
            }
            this.groups.lookup(rule.destinationKeys).forEach((group) => found.add(group));
        }
        return found;
    }
}

/** The keys a source needs for the group's ingress to admit it; undefined: any source may be admitted. */
function admittedKeys(group: Group): readonly string[] | undefined {
    if (group.ingress === undefined) {
        return undefined;
    }
    const rules = rulesOf(group.ingress, "ingress").filter(admitting);
    return rules.some((rule) => rule.sourceKeys === undefined) ? undefined : rules.flatMap((rule) => rule.sourceKeys!);
}

function rulesOf(policies: readonly TierPolicy[], direction: "ingress" | "egress"): TierRule[] {
    return policies.flatMap((policy) => policy[direction] ?? []);
}
