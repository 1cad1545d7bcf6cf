/** What the analysis reports: peers and the traffic allowed between them. */
import { Interval } from "./intervals";
import type { Address } from "./ipRanges";
import { ConnectionSet } from "./ports";
import { Workload } from "./workloads";

/** A peer as the analyzer names it: `namespace/name[Kind]`, `a.b.c.d-e.f.g.h[External]` or `x::y-x::z[External]`. */
export type Endpoint =
    | { readonly kind: "workload"; readonly name: string; readonly workload: Workload }
    | { readonly kind: "external"; readonly name: string; readonly range: Interval<Address> };

/** Traffic from `src` to `dst` that policies allow (never empty: denied pairs are absent). */
export interface Connection {
    readonly src: Endpoint;
    readonly dst: Endpoint;
    readonly allowed: ConnectionSet;
}
