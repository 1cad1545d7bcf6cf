import { KubeObject } from "../../analysis/manifests";
import { parseEnvironment } from "../../stacks/config";
import { stackObjects } from "../../stacks/offline";
import { stackConfig } from "../harness/stackConfig";

/** The Kubernetes objects of the dev stack, registered offline. */
export const devObjects = (): Promise<KubeObject[]> => stackObjects(parseEnvironment(stackConfig("dev")), "dev");

/** Lets productpage reach ratings at both layers: a flow nobody declared (and nothing more than declared for anyone else). */
export const undeclaredFlow: KubeObject[] = [
    {
        apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "allow-same-namespace", namespace: "bookinfo" },
        spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [{ from: [{ podSelector: { matchLabels: { app: "productpage" } } }] }], egress: [{ to: [{ podSelector: { matchLabels: { app: "ratings" } } }] }] },
    },
    {
        apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: "ratings-from-productpage", namespace: "bookinfo" },
        spec: { selector: { matchLabels: { app: "ratings" } }, rules: [{ from: [{ source: { principals: ["cluster.local/ns/bookinfo/sa/bookinfo-productpage"] } }] }] },
    },
];

/** A Calico Deny ordered before everything: the declared reviews → ratings flows are blocked. */
export const blockedFlow: KubeObject[] = [{
    apiVersion: "crd.projectcalico.org/v1", kind: "GlobalNetworkPolicy", metadata: { name: "default.deny-reviews-egress" },
    spec: { tier: "default", order: 10, selector: "app == \"reviews\"", types: ["Egress"], egress: [{ action: "Deny", destination: { selector: "app == \"ratings\"" } }] },
}];

/** GET to ratings denied but under /ratings/<b>: the flow stays, but with a part of the declared GETs only. */
export const narrowedFlow: KubeObject[] = [
    {
        apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: "ratings-deny-get", namespace: "bookinfo" },
        spec: { selector: { matchLabels: { app: "ratings" } }, action: "DENY", rules: [{ to: [{ operation: { methods: ["GET"], notPaths: ["/ratings/<b>*"] } }] }] },
    },
];
