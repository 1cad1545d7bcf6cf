/** A small meshed cluster for the Istio tests. */
import { formatFlows } from "../../analysis/flowFormat";
import { parseManifests } from "../../analysis/manifests";
import { reachability } from "../../analysis/reach";

/**
 * bookinfo is meshed (namespace label), legacy is not; every bookinfo pod accepts TCP 9080
 * from anywhere at layer 4, so what differs between the cases below is Istio's doing.
 */
export const cluster = `
apiVersion: v1
kind: Namespace
metadata: {name: bookinfo, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Namespace
metadata: {name: legacy}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: productpage, namespace: bookinfo}
spec:
  template:
    metadata: {labels: {app: productpage}}
    spec: {serviceAccountName: bookinfo-productpage, containers: [{name: c, ports: [{containerPort: 9080}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews, namespace: bookinfo}
spec:
  template:
    metadata: {labels: {app: reviews}}
    spec: {serviceAccountName: bookinfo-reviews}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ratings, namespace: bookinfo}
spec:
  template:
    metadata: {labels: {app: ratings}}
    spec: {serviceAccountName: bookinfo-ratings}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: curl, namespace: legacy}
spec:
  template:
    metadata: {labels: {app: curl}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-port, namespace: bookinfo}
spec:
  podSelector: {}
  ingress: [{ports: [{port: 9080}]}]
`;

export const pp = "bookinfo/productpage[Deployment]";
export const reviews = "bookinfo/reviews[Deployment]";
export const ratings = "bookinfo/ratings[Deployment]";
export const curl = "legacy/curl[Deployment]";
export const external = "0.0.0.0-255.255.255.255[External]";

/** The `--l7` listing, one entry per flow: its line, and the note lines that follow it. */
export function l7Flows(extra: string): string[] {
    const text = formatFlows(reachability(parseManifests(`${cluster}\n---\n${extra}`, "cluster.yaml")), { l7: true });
    return text.split(/\n(?!  note: )/).filter((entry) => entry !== "");
}

export const into = (flows: string[], dst: string) => flows.filter((line) => line.includes(` => ${dst} :`));

