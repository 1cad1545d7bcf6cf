/** An observed flow as the enforcement impact (impact.ts) and its declarations (callersDeclarations.ts) name it. */
import type { RequestQuery } from "../eval/evaluate";
import type { Protocol } from "../netpol/ports";

/** An HTTP request as observed; an omitted method or path was not logged. */
export type ObservedRequest = RequestQuery;

/** An observed flow as the analyzer names it: a pair of peers on one port, with the requests observed on it. */
export interface ImpactFlow {
    /** `namespace/name[Kind]`, or the External range of an address outside the cluster. */
    readonly src: string;
    readonly dst: string;
    readonly protocol: Protocol;
    readonly port: number;
    /** The requests cut; none where the flow was observed at layer 3/4 only (Calico's records). */
    readonly requests: readonly ObservedRequest[];
}
