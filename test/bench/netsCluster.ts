import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { KubeObject } from "../../analysis/manifests";

/**
 * Clusters where many Calico policies select every endpoint and each names its own address:
 * `policies` GlobalNetworkPolicies with `selector: all()` and a rule whose `nets` is a distinct
 * /32, over two pods. Every policy cuts External, so the ranges grow with the policies, and
 * every range meets every policy selecting the pods: the shape that showed whether a range is
 * evaluated against the policies its address can match or against all of them.
 *
 * `shape` varies it: `egress` (Allow to each address), `ingress` (Allow from each), `notNets`
 * (Deny everything but each address, then Allow), `mixed` (Deny and Allow, ingress and egress,
 * nets and notNets, over three tiers, some Pass), `networkSets` (each address in a
 * GlobalNetworkSet of its own, which the policy's rule selects by label), `ipBlocks`
 * (Kubernetes NetworkPolicies with an ipBlock and an except each, on the NetworkPolicy
 * engine's path).
 */
export type NetsShape = "egress" | "ingress" | "notNets" | "mixed" | "networkSets" | "ipBlocks";

export const netsShapes: readonly NetsShape[] = ["egress", "ingress", "notNets", "mixed", "networkSets", "ipBlocks"];

/** The `i`-th distinct address, 10.x.y.z. */
function address(i: number): string {
    return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

export function netsCluster(policies: number, shape: NetsShape = "egress"): KubeObject[] {
    const objects: KubeObject[] = [
        { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } },
        ...["web", "api"].map((app): KubeObject => ({
            apiVersion: "apps/v1", kind: "Deployment", metadata: { name: app, namespace: "shop" },
            spec: { selector: { matchLabels: { app } }, template: { metadata: { labels: { app } }, spec: { containers: [{ name: "c", image: "x:1", ports: [{ containerPort: 8080 }] }] } } },
        })),
    ];
    if (shape === "mixed") {
        objects.push(
            { apiVersion: "projectcalico.org/v3", kind: "Tier", metadata: { name: "security" }, spec: { order: 100 } },
            { apiVersion: "projectcalico.org/v3", kind: "Tier", metadata: { name: "platform" }, spec: { order: 200, defaultAction: "Pass" } },
        );
    }
    for (let i = 0; i < policies; i++) {
        objects.push(shape === "ipBlocks" ? ipBlockPolicy(i) : calicoPolicy(i, shape));
        if (shape === "networkSets") {
            objects.push({ apiVersion: "projectcalico.org/v3", kind: "GlobalNetworkSet", metadata: { name: `set-${i}`, labels: { destination: `d-${i}` } }, spec: { nets: [`${address(i)}/32`] } });
        }
    }
    return objects;
}

function calicoPolicy(i: number, shape: Exclude<NetsShape, "ipBlocks">): KubeObject {
    const net = `${address(i)}/32`;
    const allowTo = { action: "Allow", destination: { nets: [net] } };
    const allowFrom = { action: "Allow", source: { nets: [net] } };
    let spec: Record<string, unknown>;
    switch (shape) {
        case "egress":
            spec = { selector: "all()", types: ["Egress"], egress: [allowTo] };
            break;
        case "ingress":
            spec = { selector: "all()", types: ["Ingress"], ingress: [allowFrom] };
            break;
        case "networkSets":
            spec = { selector: "all()", types: ["Egress"], egress: [{ action: "Allow", destination: { selector: `destination == "d-${i}"` } }] };
            break;
        case "notNets":
            spec = { selector: "all()", types: ["Egress"], egress: [{ action: "Deny", protocol: "UDP", destination: { notNets: [net] } }, { ...allowTo, protocol: "TCP" }] };
            break;
        case "mixed": {
            const tier = ["security", "platform", "default"][i % 3];
            const action = ["Allow", "Deny", "Pass", "Allow"][i % 4];
            const wide = `${address(i & ~15)}/28`;
            spec = {
                tier, order: i, selector: i % 5 === 0 ? "app == \"web\"" : "all()", types: ["Ingress", "Egress"],
                egress: [{ action, protocol: "TCP", destination: { nets: [net], ports: [8080 + (i % 3)] } }, ...(i % 7 === 0 ? [{ action: "Deny", destination: { notNets: [wide] } }] : [])],
                ingress: [{ action: i % 2 ? "Allow" : "Deny", source: { nets: [i % 11 === 0 ? `fd00::${(i % 65536).toString(16)}/128` : net] } }],
            };
            return { apiVersion: "projectcalico.org/v3", kind: "GlobalNetworkPolicy", metadata: { name: `${tier}.nets-${i}` }, spec };
        }
    }
    return { apiVersion: "projectcalico.org/v3", kind: "GlobalNetworkPolicy", metadata: { name: `nets-${i}` }, spec };
}

function ipBlockPolicy(i: number): KubeObject {
    return {
        apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: `nets-${i}`, namespace: "shop" },
        spec: {
            podSelector: {}, policyTypes: ["Ingress", "Egress"],
            egress: [{ to: [{ ipBlock: { cidr: `${address(i * 4)}/30`, except: [`${address(i * 4 + 1)}/32`] } }] }],
            ingress: [{ from: [{ ipBlock: { cidr: `${address(i * 4)}/30` } }], ports: [{ port: 8080 }] }],
        },
    };
}

/** Writes `netsCluster(policies, shape)` to `folder`, one multi-document YAML file. */
export function writeNetsCluster(policies: number, shape: NetsShape, folder: string): void {
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, "cluster.yaml"), netsCluster(policies, shape).map((object) => YAML.stringify(object)).join("---\n"));
}

if (require.main === module) {
    const [count, shape, folder] = process.argv.slice(2);
    writeNetsCluster(Number(count), shape as NetsShape, folder);
}
