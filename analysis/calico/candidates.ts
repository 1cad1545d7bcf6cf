/**
 * The destination groups a source group might reach: a superset, found through index keys
 * (peerKeys.ts) instead of trying every group, so that a row costs what the source's own
 * rules and the rules admitting it can reach, not the size of the cluster. Traffic needs an
 * Allow (or Pass) on both sides, among the rules that can admit it in that direction: the
 * tiers' rules, and the profiles' where traffic can reach them.
 */
import type { Group } from "./model";
import { TierRule } from "./model";
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
        const rules = admittingRules(source, "egress");
        if (rules === undefined || rules.some((rule) => rule.destinationKeys === undefined)) {
            return "all";
        }
        const found = new Set<Group>();
        for (const rule of rules) {
            this.groups.lookup(rule.destinationKeys!).forEach((group) => found.add(group));
        }
        return found;
    }
}

/** The keys a source needs for the group's ingress to admit it; undefined: any source may be admitted. */
function admittedKeys(group: Group): readonly string[] | undefined {
    const rules = admittingRules(group, "ingress");
    return rules === undefined || rules.some((rule) => rule.sourceKeys === undefined) ? undefined : rules.flatMap((rule) => rule.sourceKeys!);
}

/**
 * The rules that may admit traffic in `direction`; undefined: anything may be admitted (a host
 * endpoint, whose failsafe ports are open to all, or traffic that reaches profiles allowing
 * everything without a rule to narrow it).
 */
function admittingRules(group: Group, direction: "ingress" | "egress"): TierRule[] | undefined {
    if (group.identity.host) {
        return undefined;
    }
    const slices = group[direction];
    const rules = (slices ?? []).flatMap((slice) => slice.policies.flatMap((policy) => policy[direction] ?? [])).filter(admitting);
    // Traffic reaches the profiles through a Pass rule (whose keys are already there) or, when no
    // tier applies or every one passes what it leaves, whatever it is: then the profiles' rules
    // count. A tier of default Deny lets on only what one of its rules allows or passes, so
    // where one applies the rules' keys suffice: a pod under kube-admin (default Pass) and a
    // default-tier default-deny is found by its keys, not tried against every source.
    if (slices === undefined || slices.every((slice) => slice.tier.defaultAction === "Pass")) {
        const profileRules = group.profiles.flatMap((profile) => profile[direction]).filter(admitting);
        if (profileRules.some((rule) => (direction === "egress" ? rule.destinationKeys : rule.sourceKeys) === undefined)) {
            return undefined;
        }
        rules.push(...profileRules);
    }
    return rules;
}
