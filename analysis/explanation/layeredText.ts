/**
 * Layered pair explanations (layeredPairs.ts) in the block structure of netpol-analyzer's explain
 * text, one line per enforcement point naming its layer:
 *
 *   ----------------...
 *   Connections between bookinfo/reviews-v1[Deployment] => bookinfo/ratings-v1[Deployment]:
 *
 *   Allowed connections: TCP 9080
 *   	Layer 3/4: egress of bookinfo/reviews-v1[Deployment]: ...
 *   	Layer 3/4: ingress of bookinfo/ratings-v1[Deployment]: TCP 9080 allowed by ...
 *   	Layer 7: sidecar of bookinfo/ratings-v1[Deployment]: ALLOW by AuthorizationPolicy ...
 *
 * A pair allowed nothing reads `Denied connections: All Connections`.
 */
import { escapeControl } from "../text/escape";
import { formatConnectionSet } from "../netpol/format";
import { LayeredPairExplanation } from "./layeredPairs";

const pairRule = "-".repeat(160);

/** The text in parts, a pair at a time; `appendix` (the exposure section) after an empty line, as in netpolText.ts. */
export function* formatLayeredExplanations(pairs: Iterable<LayeredPairExplanation>, appendix?: () => string): Generator<string> {
    const title = "# Specific connections and their reasons, layer by layer #";
    const banner = "#".repeat(title.length);
    yield `\n${banner}\n${title}\n${banner}\n`;
    for (const pair of pairs) {
        yield pairBlock(pair);
    }
    if (appendix !== undefined) {
        yield `\n${appendix()}`;
    }
}

function pairBlock(pair: LayeredPairExplanation): string {
    return `${pairRule}\n${layeredPairText(pair)}`;
}

/** A pair's block without the rule above it: `Connections between S => D:`, the verdict, a line per enforcement point. */
export function layeredPairText(pair: LayeredPairExplanation): string {
    const verdict = pair.allowed.isEmpty() ? "Denied connections: All Connections" : `Allowed connections: ${formatConnectionSet(pair.allowed)}`;
    const lines = [...pair.layer4.map((sentence) => `\tLayer 3/4: ${sentence}`), ...(pair.layer7 === undefined ? [] : [`\tLayer 7: ${pair.layer7}`])];
    return `Connections between ${escapeControl(pair.src.name)} => ${escapeControl(pair.dst.name)}:\n\n${verdict}\n${lines.join("\n")}\n\n`;
}
