/**
 * The enforcement impact (impact.ts) as text: the section `ztmesh reach --observed` prints after
 * the flows, and the declarations as the YAML to review for `Pulumi.<stack>.yaml`, which the
 * report shows too.
 */
import { dump } from "js-yaml";
import { escapeControl } from "../text/escape";
import type { CallersDeclaration } from "./callersDeclarations";
import type { CutFlow, EnforcementImpact } from "./impact";

export const impactHeading = "would be denied when enforced";
/** Observed flows that what is enforced now denies: the rollout in place cuts them already. */
export const deniedNowHeading = "denied already by the policies enforced now";

/** `src => dst : TCP 9080 [GET /ratings/0]`, as the flow lines name a pair's connection and requests. */
export function describeCutFlow(flow: CutFlow): string {
    const requests = flow.requests.length === 0 ? "" : ` [${flow.requests.map((request) => `${request.method ?? "*"} ${request.path ?? "*"}`).join(", ")}]`;
    return `${flow.src} => ${flow.dst} : ${flow.protocol} ${flow.port}${requests}`;
}

/**
 * The declarations as the `ztmesh:services` entries of a stack file, each with only its name,
 * namespace and the callers to add: to be merged into the entries of the same name by hand.
 */
export function callersYaml(declarations: readonly CallersDeclaration[]): string {
    return dump({ "ztmesh:services": declarations.map(({ name, namespace, callers }) => ({ name, namespace, callers })) }, { flowLevel: 5, lineWidth: -1 });
}

/** The impact section of the text output. */
export function impactText(impact: EnforcementImpact): string {
    const lines = [`${impactHeading}: ${impact.cut.length} of ${impact.observed} observed flow${impact.observed === 1 ? "" : "s"}`];
    const describe = (flow: CutFlow) => {
        lines.push(`  ${describeCutFlow(flow)}  (observed at ${flow.observedAt.join(", ")})`);
        flow.explanation.forEach((sentence) => lines.push(`    ${sentence}`));
        if (flow.observing.length > 0) lines.push(`    as enforced: ${flow.observing.join("; ")}`);
        flow.calico?.forEach((recorded) => lines.push(`    Calico recorded: ${recorded}`));
    };
    impact.cut.forEach(describe);
    if (impact.deniedNow.length > 0) {
        lines.push(`${deniedNowHeading}: ${impact.deniedNow.length} of ${impact.observed} observed flow${impact.observed === 1 ? "" : "s"}`);
        impact.deniedNow.forEach(describe);
    }
    impact.unresolved.forEach((line) => lines.push(`  not evaluated: ${line}`));
    if (impact.declarations.length > 0) {
        lines.push("", "declarations that would keep them: add these callers to the services of the same name in Pulumi.<stack>.yaml after review (nothing is applied):",
            ...callersYaml(impact.declarations).trimEnd().split("\n").map((line) => `  ${line}`));
    }
    impact.undeclarable.forEach((line) => lines.push(`  no callers entry keeps ${line}`));
    return `\n${lines.map(escapeControl).join("\n")}\n`;
}
