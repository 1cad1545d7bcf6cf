import { Policies } from "@pulumi/policy";
import { ambientRules } from "./rules/ambient";
import { clusterNetworkPolicyRules } from "./rules/clusterNetworkPolicy";
import { ingressRules } from "./rules/ingress";
import { intentRules } from "./rules/intent";
import { meshIdentityRules } from "./rules/meshIdentity";
import { networkRules } from "./rules/network";
import { ownershipRules } from "./rules/ownership";
import { referenceRules } from "./rules/references";
import { rolloutRules } from "./rules/rollout";
import { stackWideRules } from "./rules/stackWide";
import { supplyChainRules } from "./rules/supplyChain";

/** Every rule of the pack, grouped by concern. */
export const policies: Policies = [
    ...networkRules,
    ...meshIdentityRules,
    ...ingressRules,
    ...supplyChainRules,
    ...stackWideRules,
    ...clusterNetworkPolicyRules,
    ...referenceRules,
    ...intentRules,
    ...ambientRules,
    ...ownershipRules,
    ...rolloutRules,
];
