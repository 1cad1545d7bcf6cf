import { ServiceVersion } from "./types";

/**
 * The traffic share of each version. Declared weights are taken as they are; when none is
 * declared the versions split evenly, the remainder going to the first so the sum is 100.
 */
export function versionWeights(versions: readonly ServiceVersion[]): Record<string, number> {
    const declared = versions.some((version) => version.weight !== undefined);
    const even = Math.floor(100 / Math.max(versions.length, 1));
    const weights: Record<string, number> = {};
    versions.forEach((version, index) => {
        weights[version.name] = declared ? version.weight ?? 0 : even + (index === 0 ? 100 - even * versions.length : 0);
    });
    return weights;
}

/**
 * What is wrong with a weight table, or undefined. Weights are whole numbers 0–100 summing to
 * 100 (Istio rejects other sums), and at least one must be positive or no version gets traffic.
 */
export function weightProblem(weights: Record<string, number>): string | undefined {
    const values = Object.values(weights);
    if (values.some((w) => !Number.isInteger(w) || w < 0 || w > 100)) {
        return `weights ${JSON.stringify(weights)} must be whole numbers from 0 to 100`;
    }
    if (values.every((w) => w === 0)) {
        return `weights are all 0, so no version would receive traffic`;
    }
    const sum = values.reduce((a, b) => a + b, 0);
    if (sum !== 100) {
        return `weights ${JSON.stringify(weights)} add up to ${sum}, not 100`;
    }
    return undefined;
}
