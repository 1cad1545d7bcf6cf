import * as assert from "assert";
import { CalicoPolicyApi } from "../../components";
import { parseEnvironment } from "../../stacks/config";
import { meshPlan } from "../../stacks/plan";
import { deployMesh } from "../../stacks/program";
import { RecordedResource, ResourceLog, construct, installMocks } from "../../stacks/offline";
import { CrdSchemas } from "../harness/crdSchemas";
import { editedConfig, stackConfig } from "../harness/stackConfig";
import { platformUnderMocks, teamUnderMocks } from "../harness/teamStacks";

/** What the tests compare of a registered Kubernetes object: its Pulumi name and the object. */
interface Registered {
    resourceName: string;
    object: Record<string, any>;
}

function kubernetesObjects(log: ResourceLog): Registered[] {
    return log.resources
        .filter((r) => r.custom && r.inputs.kind)
        .map((r) => ({ resourceName: r.name, object: JSON.parse(JSON.stringify(r.inputs)) }))
        .sort((a, b) => key(a).localeCompare(key(b)));
}

const key = ({ resourceName, object }: Registered) => `${object.kind} ${object.metadata?.namespace ?? ""}/${object.metadata?.name} ${resourceName}`;

/**
 * What audit mode must make of an object of the enforcing stack, written from the rules of
 * docs/stack-config.md ("Audit mode") rather than from the code: every NetworkPolicy of an app
 * namespace staged, the cluster default-deny staged, every AuthorizationPolicy dry-run under
 * `<name>-dry-run`, mesh mTLS PERMISSIVE; everything else (allows, routes, workloads, the
 * gateway's own namespace) unchanged.
 */
function auditForm({ resourceName, object }: Registered, api: CalicoPolicyApi, appNamespaces: readonly string[]): Registered {
    const { kind, metadata, spec } = object;
    if (kind === "NetworkPolicy" && appNamespaces.includes(metadata.namespace)) {
        return { resourceName, object: { apiVersion: api, kind: "StagedKubernetesNetworkPolicy", metadata, spec: { ...spec, stagedAction: "Set" } } };
    }
    if (kind === "GlobalNetworkPolicy" && metadata.name.endsWith("ztmesh-default-deny")) {
        return { resourceName, object: { ...object, kind: "StagedGlobalNetworkPolicy", spec: { ...spec, stagedAction: "Set" } } };
    }
    if (kind === "AuthorizationPolicy") {
        return {
            resourceName: `${resourceName}-dry-run`,
            object: { ...object, metadata: { ...metadata, name: `${metadata.name}-dry-run`, annotations: { ...metadata.annotations, "istio.io/dry-run": "true" } } },
        };
    }
    if (kind === "PeerAuthentication") {
        return { resourceName, object: { ...object, spec: { mtls: { mode: "PERMISSIVE" } } } };
    }
    return { resourceName, object };
}

async function stackLog(config: Record<string, string>, stack: string): Promise<ResourceLog> {
    const log = await construct(() => deployMesh(parseEnvironment(config), stack));
    // The log is shared between constructs: keep this one's resources.
    const copy = new ResourceLog();
    copy.resources.push(...log.resources);
    return copy;
}

const withMode = (stack: string, mode: string, edit: (config: Record<string, string>) => void = () => undefined): Record<string, string> => {
    const config: Record<string, string> = { ...stackConfig(stack), "ztmesh:enforcement": mode };
    edit(config);
    return config;
};

describe("audit mode (ztmesh:enforcement)", () => {
    before(installMocks);
    const schemas = new CrdSchemas();

    // Sidecar on crd.projectcalico.org/v1 (the dev stack) and ambient on projectcalico.org/v3
    // (the ambient stack, its Calico API switched): together both data planes and both API groups.
    const cases: { stack: string; api: CalicoPolicyApi; edit?: (config: Record<string, string>) => void }[] = [
        { stack: "dev", api: "crd.projectcalico.org/v1" },
        {
            stack: "ambient",
            api: "projectcalico.org/v3",
            edit: (config) => { config["ztmesh:calico"] = JSON.stringify({ ...JSON.parse(config["ztmesh:calico"]), policyApi: "projectcalico.org/v3" }); },
        },
    ];
    for (const { stack, api, edit } of cases) {
        describe(`the ${stack} stack on ${api}`, () => {
            let enforced: ResourceLog;
            let audited: ResourceLog;
            before(async () => {
                enforced = await stackLog(withMode(stack, "enforce", edit), stack);
                audited = await stackLog(withMode(stack, "audit", edit), stack);
            });

            it("writes every deny in its observe-only form and changes nothing else, object by object", () => {
                const expected = kubernetesObjects(enforced).map((entry) => auditForm(entry, api, ["bookinfo"])).sort((a, b) => key(a).localeCompare(key(b)));
                assert.deepStrictEqual(kubernetesObjects(audited), expected);
                // The comparison covers what matters: the stack has each kind the rules change.
                const kinds = new Set(kubernetesObjects(audited).map(({ object }) => object.kind));
                for (const kind of ["StagedKubernetesNetworkPolicy", "StagedGlobalNetworkPolicy", "AuthorizationPolicy", "PeerAuthentication", "GlobalNetworkPolicy"]) {
                    assert.ok(kinds.has(kind), `no ${kind} in the audited stack`);
                }
            });

            it("writes staged and dry-run objects the pinned CRDs of that API group accept", () => {
                const changed = kubernetesObjects(audited).filter(({ object }) => object.kind.startsWith("Staged") || object.metadata.annotations?.["istio.io/dry-run"]);
                assert.ok(changed.length >= 10, `${changed.length} staged or dry-run objects`);
                for (const { object } of changed) {
                    assert.deepStrictEqual(schemas.problems(object as any), [], `${object.apiVersion} ${object.kind} ${object.metadata.name}`);
                }
            });

            it("never changes an object's mode in place: each changed object is a new Pulumi resource (created first, the old one deleted at the end)", () => {
                const byUrn = new Map(enforced.resources.map((r) => [r.urn, r]));
                for (const resource of audited.resources.filter((r) => r.custom && r.inputs.kind && byUrn.has(r.urn))) {
                    if (resource.inputs.kind === "PeerAuthentication") {
                        continue; // Its mode is a field: STRICT <-> PERMISSIVE in place, documented.
                    }
                    assert.deepStrictEqual(resource.inputs, byUrn.get(resource.urn)!.inputs, `${resource.urn} changes in place`);
                }
            });

            it("makes every enforcing deny wait for the allows of its scope, so a promotion creates the allows first", () => {
                const policies = (log: ResourceLog) => log.resources.filter((r) => r.custom && /(NetworkPolicy|AuthorizationPolicy)$/.test(r.type));
                const isDeny = (r: RecordedResource) => ["default-deny", "allow-nothing", "default.ztmesh-default-deny", "ztmesh-default-deny"].includes(r.inputs.metadata.name)
                    || (r.inputs.kind === "NetworkPolicy" && r.name.endsWith("-networkpolicy") && r.parent.includes("Waypoint"));
                const serviceAllows = policies(enforced).filter((r) => r.parent.includes("MeshService") && r.inputs.metadata.namespace === "bookinfo");
                const denies = policies(enforced).filter((r) => isDeny(r) && r.inputs.metadata.namespace !== "istio-ingress");
                assert.ok(denies.length >= 3 && serviceAllows.length >= 8, `${denies.length} denies, ${serviceAllows.length} allows`);
                for (const deny of denies) {
                    // A waypoint's own policy waits for the waypoint policies of the services behind it (named `<waypoint>-<service>`).
                    const allows = deny.parent.includes("Waypoint")
                        ? serviceAllows.filter((r) => r.name.endsWith("-waypoint-networkpolicy") && r.inputs.metadata.name.startsWith(`${deny.inputs.metadata.name}-`))
                        : serviceAllows;
                    for (const allow of allows) {
                        assert.ok(enforced.dependsOn(deny, allow), `${deny.name} does not wait for ${allow.name}`);
                    }
                }
                // The cluster default-deny waits for the cluster's own allows too.
                const clusterDeny = enforced.named("GlobalNetworkPolicy", "baseline-ztmesh-default-deny");
                for (const allow of enforced.ofKind("GlobalNetworkPolicy").filter((r) => r !== clusterDeny)) {
                    assert.ok(enforced.dependsOn(clusterDeny, allow), `the default-deny does not wait for ${allow.name}`);
                }
            });
        });
    }
});

describe("audit mode configuration", () => {
    before(installMocks);

    /** The message of the ConfigError `build` throws; fails when it throws none. */
    function configError(build: () => unknown): string {
        try {
            build();
        } catch (error) {
            return error instanceof Error ? error.message : String(error);
        }
        throw new Error("expected the configuration to be rejected");
    }
    const parse = (config: Record<string, string>) => () => parseEnvironment(config);

    it("Pulumi.audit.yaml is the dev stack with ztmesh:enforcement: audit and nothing else, so the comparison above is the audit stack's", () => {
        assert.deepStrictEqual(stackConfig("audit"), withMode("dev", "audit"));
        assert.strictEqual(meshPlan(parseEnvironment(stackConfig("audit")), "audit").istio.enforcement, "audit");
    });

    it("refuses a mode that is neither enforce nor audit, at every level, naming the key and the fix", () => {
        assert.match(configError(parse(withMode("dev", "Audit"))), /ztmesh:enforcement: "Audit" is not an enforcement mode; use "enforce" \(the default\) or "audit"/);
        assert.match(configError(parse(editedConfig("dev", "ztmesh:services", (services) => {
            services[1].enforcement = "dry-run";
            return services;
        }))), /ztmesh:services\[1\]\.enforcement: "dry-run" is not an enforcement mode/);
        assert.match(configError(parse(editedConfig("dev", "ztmesh:baseline", () => ({ namespaceEnforcement: { bookinfo: "off" } })))),
            /ztmesh:baseline\.namespaceEnforcement\.bookinfo: "off" is not an enforcement mode/);
    });

    it("refuses a namespace override for a namespace the stack does not have: the intended one would stay in the stack's mode", () => {
        assert.match(configError(parse(editedConfig("dev", "ztmesh:baseline", () => ({ namespaceEnforcement: { bookinf: "audit" } })))),
            /ztmesh:baseline\.namespaceEnforcement\.bookinf: "bookinf" is not an app namespace of this stack; name one of bookinfo, or remove the entry/);
    });

    it("refuses an audited service in an enforced namespace, whose default-deny would refuse the callers its staged policy admits", () => {
        assert.match(configError(parse(editedConfig("dev", "ztmesh:services", (services) => {
            services[1].enforcement = "audit";
            return services;
        }))), /ztmesh:services\[1\]\.enforcement: the service is audited but namespace "bookinfo" is enforced.*ztmesh:baseline\.namespaceEnforcement\.bookinfo: audit/);
    });

    it("enforces one service of an audited namespace alone: its own policies enforce, the namespace's and the others' observe", () => {
        const config = withMode("dev", "audit");
        config["ztmesh:services"] = JSON.stringify(JSON.parse(config["ztmesh:services"]).map((svc: { name: string }) => (svc.name === "ratings" ? { ...svc, enforcement: "enforce" } : svc)));
        const plan = meshPlan(parseEnvironment(config), "dev");
        assert.deepStrictEqual(Object.fromEntries(Object.entries(plan.services).map(([name, args]) => [name, args.enforcement])),
            { productpage: "audit", details: "audit", reviews: "audit", ratings: "enforce" });
        assert.strictEqual(plan.baseline.enforcement, "audit");
    });

    it("in ambient mode, enforces a service alone only behind a waypoint of its own: a shared waypoint has one mode", () => {
        const ambient = (service: string) => {
            const config = withMode("ambient", "audit");
            config["ztmesh:services"] = JSON.stringify(JSON.parse(config["ztmesh:services"]).map((svc: { name: string }) => (svc.name === service ? { ...svc, enforcement: "enforce" } : svc)));
            return config;
        };
        // details is behind the namespace's waypoint; reviews has its own (ztmesh:istio.dedicatedWaypoints).
        assert.match(configError(parse(ambient("details"))), /ztmesh:services\[1\]\.enforcement: the service shares the waypoint of namespace "bookinfo", which is audited.*ztmesh:istio\.dedicatedWaypoints/);
        const plan = meshPlan(parseEnvironment(ambient("reviews")), "ambient");
        assert.strictEqual(plan.waypoints["bookinfo/reviews-waypoint"].args.enforcement, "enforce");
        assert.strictEqual(plan.waypoints["bookinfo/waypoint"].args.enforcement, "audit");
    });

    it("refuses audit mode in an ambient mesh whose istiod hands dry-run policies to ztunnel (before 1.26), naming what is audited", () => {
        const config = withMode("ambient", "audit");
        config["ztmesh:istio"] = JSON.stringify({ ...JSON.parse(config["ztmesh:istio"]), version: "1.25.2" });
        assert.match(configError(parse(config)),
            /ztmesh:istio\.version: Istio 1\.25\.2 hands dry-run AuthorizationPolicies to ztunnel, which enforces them, so auditing service productpage, .*, namespace bookinfo would refuse their callers; use Istio 1\.26 or later \(default 1\.30\.3\), or enforce/);
        config["ztmesh:istio"] = JSON.stringify({ ...JSON.parse(config["ztmesh:istio"]), version: "1.26.0" });
        assert.strictEqual(parseEnvironment(config).enforcement, "audit");
    });

    it("audits a platform's namespaces and a team's services, the team's staged policy in its platform's Calico API", async () => {
        const audit = (config: Record<string, any>) => { config["ztmesh:enforcement"] = "audit"; };
        const { handle, log } = await platformUnderMocks("platform", audit);
        assert.ok(log.ofKind("StagedKubernetesNetworkPolicy").length > 0 && log.ofKind("StagedGlobalNetworkPolicy").length === 1);
        const objects = (await teamUnderMocks("team-reviews", handle, audit)).filter((r) => r.custom && r.inputs.kind).map((r) => r.inputs);
        const policies = objects.filter((object) => /NetworkPolicy|AuthorizationPolicy/.test(object.kind) && object.metadata.namespace !== "istio-ingress");
        assert.ok(policies.length >= 6, `${policies.length} policies`);
        for (const policy of policies) {
            assert.ok(policy.kind === "StagedKubernetesNetworkPolicy" ? policy.apiVersion === handle.defaultDeny.calicoPolicyApi : policy.metadata.annotations?.["istio.io/dry-run"] === "true",
                `${policy.kind} ${policy.metadata.namespace}/${policy.metadata.name} observes`);
        }
    });

    it("refuses audit mode with ClusterNetworkPolicy guardrails, which have no staged form", () => {
        const config = withMode("dev", "audit");
        config["ztmesh:baseline"] = JSON.stringify({ clusterPolicy: "clusterNetworkPolicy" });
        assert.match(configError(() => deployMesh(parseEnvironment(config), "dev")),
            /ztmesh:enforcement: audit mode is not available with clusterPolicy "clusterNetworkPolicy": a ClusterNetworkPolicy cannot be staged.*use clusterPolicy "calico"/);
    });
});
