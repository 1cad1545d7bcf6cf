/**
 * ClusterNetworkPolicy checks beyond its CRD's schema and CEL rules (which schemas.ts and
 * cel/ apply), for what would otherwise mean different things to different readers:
 *
 *   - `networks` is a set (`x-kubernetes-list-type: set`): the API server refuses a CIDR given
 *     twice ("Duplicate value"), which a JSON Schema without `uniqueItems` does not;
 *   - label selectors: the CRD types them as plain strings, so the API server takes any
 *     operator and value, but Calico v3.32's conversion drops a term whose operator it does not
 *     know (widening the selector; libcalico-go k8sSelectorToCalico) and writes values into its
 *     own selector syntax, where a value a label cannot have may break it; such a selector is
 *     refused as a NetworkPolicy's would be (metav1validation.ValidateLabelSelector);
 *   - `destinationNamedPort`: a container port's name, so its form (IANA_SVC_NAME); Calico
 *     reads an empty name as no port given, that is every port of every protocol.
 */
import { labelSelectorProblem, portNameProblem } from "./kubernetes";
import { eachProblem, firstProblem, Mapping, Problem } from "./problems";

const unchecked = "the CRD leaves label selectors unchecked, so the API server takes it, but network plugins read it differently; write it as for a NetworkPolicy";

function selectorProblem(selector: Mapping | undefined, at: string): Problem {
    const problem = labelSelectorProblem(selector, at);
    return problem === undefined ? undefined : `${problem} (${unchecked})`;
}

/** A subject or a `namespaces`/`pods` peer. */
function selectionProblem(selection: Mapping | undefined, at: string): Problem {
    return firstProblem(
        () => selectorProblem(selection?.namespaces, `${at}.namespaces`),
        () => selectorProblem(selection?.pods?.namespaceSelector, `${at}.pods.namespaceSelector`),
        () => selectorProblem(selection?.pods?.podSelector, `${at}.pods.podSelector`),
    );
}

function networksProblem(networks: readonly string[] | undefined, at: string): Problem {
    const repeated = (networks ?? []).findIndex((cidr, index) => networks!.indexOf(cidr) < index);
    return repeated < 0 ? undefined : `${at}[${repeated}]: Duplicate value: ${JSON.stringify(networks![repeated])} (networks is a set; give each CIDR once)`;
}

function protocolProblem(protocol: Mapping, at: string): Problem {
    const name = protocol.destinationNamedPort;
    if (name === undefined) {
        return undefined;
    }
    const problem = portNameProblem(String(name));
    return problem === undefined ? undefined : `${at}.destinationNamedPort: ${problem}${name === "" ? "; Calico reads an empty name as every port of every protocol" : ""}`;
}

/** The first problem of a ClusterNetworkPolicy that its schema and CEL rules accept. */
export function clusterNetworkPolicyProblem(object: Mapping): Problem {
    const spec: Mapping | undefined = object.spec;
    const rules = (direction: "ingress" | "egress", peers: "from" | "to") => () => eachProblem<Mapping>(spec?.[direction], `spec.${direction}`, (rule, at) => firstProblem(
        () => eachProblem<Mapping>(rule[peers], `${at}.${peers}`, (peer, peerAt) => firstProblem(
            () => selectionProblem(peer, peerAt),
            () => networksProblem(peer.networks, `${peerAt}.networks`),
        )),
        () => eachProblem<Mapping>(rule.protocols, `${at}.protocols`, protocolProblem),
    ));
    return firstProblem(() => selectionProblem(spec?.subject, "spec.subject"), rules("ingress", "from"), rules("egress", "to"));
}
