import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

/**
 * The ztmesh zero-trust pack. Run it with `pulumi preview --policy-pack policypack`
 * (add `--policy-pack-config policypack/sample-config.json` to configure it).
 */
new PolicyPack("ztmesh-zero-trust", {
    description: "Refuses any stack that breaks zero trust: allow-all network policy, plain-text mesh traffic, identity-less authorization, public exposure outside the approved gateway, unpinned charts, and broken references.",
    policies,
});
