/**
 * The words the report's page and its console summary share, so that both count the same
 * things under the same names: workloads (not "endpoints"), allowed flows, Services with
 * declared callers, differences, and the status of a pair.
 */
import { escapeControl } from "../text/escape";
import { CellStatus, ReportModel } from "./model";

export const statusLabels: Record<CellStatus, string> = {
    undeclared: "allowed, not declared",
    blocked: "declared, blocked",
    narrowed: "declared, narrowed at L7",
    declared: "allowed as declared",
    unchecked: "allowed, no declared intent",
};

/** `1 workload`, `6 workloads`. */
export function counted(count: number, singular: string, plural = `${singular}s`): string {
    return `${count} ${count === 1 ? singular : plural}`;
}

/** The endpoints of the model as counted words: workloads, and address ranges outside the cluster when there are any. */
export function endpointWords(model: Pick<ReportModel, "endpoints">): string {
    const ranges = model.endpoints.filter((endpoint) => endpoint.namespace === "").length;
    const workloads = counted(model.endpoints.length - ranges, "workload");
    return ranges === 0 ? workloads : `${workloads} and ${counted(ranges, "address range")} outside the cluster`;
}

/** One sentence: where the objects came from and what the report found. */
export function summarySentence(model: ReportModel): string {
    const flows = model.cells.filter((cell) => cell.connections !== undefined).length;
    return `${model.source}: ${endpointWords(model)}, ${counted(flows, "allowed flow")}, `
        + `${counted(model.declaredServices, "Service")} with declared callers, `
        + `${counted(model.differences.length, "difference")} from the declared intent.`;
}

export const limitsHeading = "What this report cannot know";

export const noIntent = "No Service declares its callers (annotation ztmesh.io/declared-callers, written by MeshService), so there is no intent to compare.";

/**
 * The report as console text: the summary, each difference with what decided it, and the
 * limits of the offline evaluation, in the words of the page.
 */
export function consoleSummary(model: ReportModel): string {
    const differences = model.differences.flatMap((d) => [`  ${statusLabels[d.status]}: ${d.text}`, ...(d.because ? [`    ${d.because}`] : [])]);
    const limits = model.limits.map((limit) => `  - ${limit}`);
    const nothingToCompare = model.declaredServices === 0 ? [`  ${noIntent}`] : [];
    // Each line escaped: the differences name objects, and this goes to a terminal.
    return [summarySentence(model), ...nothingToCompare, ...differences, `${limitsHeading}:`, ...limits].map(escapeControl).join("\n") + "\n";
}
