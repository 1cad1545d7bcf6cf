/**
 * Why layer 3/4 allows or blocks a pair, in words: for the source's egress and the
 * destination's ingress, the policy objects whose rules decided the traffic.
 */
import type { DirectionExplanation, PairExplanation } from "./evaluate";

export function formatExplanation(explanation: PairExplanation, src: string, dst: string): string {
    return [
        describe(explanation.egress, `egress of ${src}`),
        ...(explanation.ingress ? [describe(explanation.ingress, `ingress of ${dst}`)] : []),
    ].join("; ");
}

function describe(direction: DirectionExplanation, what: string): string {
    if (direction.selectedBy.length === 0) {
        return `${what}: no policy selects it, so everything is allowed`;
    }
    const parts = [
        ...(direction.allowedBy.length > 0 ? [`allowed by ${direction.allowedBy.join(", ")}`] : []),
        ...(direction.deniedBy.length > 0 ? [`denied by ${direction.deniedBy.join(", ")}`] : []),
        ...(direction.endOfTier ? [`denied where no rule of ${direction.selectedBy.join(", ")} matches`] : []),
    ];
    return `${what}: ${parts.join(", ")}`;
}
