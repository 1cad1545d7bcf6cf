/**
 * The reachability report as one self-contained HTML page: what the offline evaluation cannot
 * know, the differences from the declared intent, a matrix of who may reach whom (layer 3/4 in
 * each cell, layer 7 requests under it), and a graph with its legend. No external resource is
 * loaded (the Content-Security-Policy forbids it), so the page can be archived as a CI artifact
 * or mailed, and opened offline.
 *
 * Nothing floats over the content: the details of what the reader points at appear in a panel
 * under the matrix (for a cell or a difference) or beside the graph (for an arrow or a dot),
 * each in the page's flow, so no width hides a cell.
 *
 * A cluster of more than `workloadPageLimit` workloads and address ranges gets the same page by
 * namespace (namespaces.ts) instead of the workload matrix and graph.
 */
import type { CutFlow } from "../enforcement/impact";
import { callersYaml, deniedNowHeading, describeCutFlow, impactHeading } from "../enforcement/impactText";
import { escapeHtml } from "./escape";
import { graphStatuses, graphSvg } from "./graph";
import { CellStatus, ReportCell, ReportModel } from "./model";
import { drillDownRows, namespaceMatrixSection, namespaceScript, workloadPageLimit } from "./namespaces";
import { limitsHeading, noIntent, statusLabels, summarySentence } from "./words";

/** The page's sections in order, by workload up to `workloadPageLimit` workloads and address ranges; a new view of the model is one more function here. */
const workloadSections: readonly ((model: ReportModel) => Iterable<string>)[] = [impactSection, differencesSection, publicRoutesSection, matrixSection, graphSection];

/**
 * Above it, the same by namespace, with a drill-down into a namespace pair's workloads
 * (namespaces.ts), and as many differences listed as the drill-down lists pairs, so that the
 * page stays bounded where every flow of a large cluster differs from the declared intent.
 */
const namespaceSections: readonly ((model: ReportModel) => Iterable<string>)[] = [
    impactSection, (model) => differencesSection(model, drillDownRows), publicRoutesSection, (model) => namespaceMatrixSection(model, legend("cell")),
];

export function renderPage(model: ReportModel): string {
    return Array.from(pageParts(model)).join("");
}

/**
 * The text of `renderPage` a part at a time, for a large cluster's page to be written in chunks
 * (see namespaces.ts for its size).
 */
export function* pageParts(model: ReportModel): Generator<string> {
    const title = escapeHtml(model.title);
    const byNamespace = model.endpoints.length > workloadPageLimit;
    yield `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${styles}</style>
</head>
<body>
<header>
<h1>${title}</h1>
<p id="summary">${escapeHtml(summarySentence(model))}</p>
<section id="limits"><h2>${limitsHeading}</h2><ul>${model.limits.map((limit) => `<li>${escapeHtml(limit)}</li>`).join("")}</ul></section>
</header>
<main>
`;
    for (const section of byNamespace ? namespaceSections : workloadSections) {
        yield* section(model);
        yield "\n";
    }
    yield `</main>
<script>${byNamespace ? namespaceScript : script}</script>
</body>
</html>
`;
}

/**
 * With observed flows: those enforcement would cut, each with the sentences of what would cut
 * it, and the callers declarations that would keep them, as YAML to review (nothing is applied).
 */
function impactSection(model: ReportModel): string {
    const impact = model.impact;
    if (impact === undefined) {
        return "";
    }
    const list = (cut: readonly CutFlow[]) => `<ul>${cut.map((flow) => `<li class="blocked" data-src="${escapeHtml(flow.src)}" data-dst="${escapeHtml(flow.dst)}"><span class="swatch blocked"></span>${escapeHtml(describeCutFlow(flow))}`
        + `<div class="because">${[...flow.explanation, ...(flow.observing.length > 0 ? [`as enforced: ${flow.observing.join("; ")}`] : []), ...(flow.calico ?? []).map((recorded) => `Calico recorded: ${recorded}`)].map(escapeHtml).join("<br>")}</div>`
        + `<div class="because">observed at ${escapeHtml(flow.observedAt.join(", "))}</div></li>`).join("")}</ul>`;
    const flows = (impact.cut.length === 0 ? `<p class="none">None of the ${impact.observed} observed flows would be denied when enforced.</p>` : list(impact.cut))
        + (impact.deniedNow.length === 0 ? "" : `<h3>${escapeHtml(capitalized(deniedNowHeading))}</h3>${list(impact.deniedNow)}`);
    const notes = [...impact.unresolved.map((line) => `not evaluated: ${line}`), ...impact.undeclarable.map((line) => `no callers entry keeps ${line}`)];
    const declarations = impact.declarations.length === 0 ? ""
        : `<h3>Declarations that would keep them</h3><p>Add these callers to the services of the same name in <code>Pulumi.&lt;stack&gt;.yaml</code> after review; nothing is applied.</p>`
            + `<pre>${escapeHtml(callersYaml(impact.declarations))}</pre>`;
    return `<section id="impact"><h2>${escapeHtml(capitalized(impactHeading))}</h2>${flows}${notes.length === 0 ? "" : `<ul>${notes.map((note) => `<li>${escapeHtml(note)}</li>`).join("")}</ul>`}${declarations}</section>`;
}

const capitalized = (text: string) => `${text.charAt(0).toUpperCase()}${text.slice(1)}`;

/** Routes from outside through a gateway: plain semantic markup, one list item per route. */
function publicRoutesSection(model: ReportModel): string {
    const body = model.publicRoutes.length === 0
        ? `<p class="none">No Gateway routes traffic from outside the cluster to a workload.</p>`
        : `<ul>${model.publicRoutes.map((route) => `<li class="public-route"><p>${route.urls.map((url) => `<code>${escapeHtml(url)}</code>`).join(", ")}`
            + `${route.methods ? ` (${escapeHtml(route.methods.join(", "))})` : ""} → ${escapeHtml(route.gateway)}`
            + `${route.via.length > 0 ? ` (${escapeHtml(route.via.join(", "))})` : ""} via ${escapeHtml(route.route)} → ${escapeHtml(route.backend)}</p>`
            + `${route.destinations.length === 0 ? "" : `<ul>${route.destinations.map((d) => `<li class="route-${d.status}" data-dst="${escapeHtml(d.workload)}">`
                + `${escapeHtml(d.workload)} TCP ${d.port}: <strong>${d.status}</strong> — ${escapeHtml(d.reason)}</li>`).join("")}</ul>`}</li>`).join("")}</ul>`;
    return `<section id="public-routes"><h2>Public routes</h2>${body}</section>`;
}

/** `listed`: how many differences the page lists at most (the console lists every one). */
function differencesSection(model: ReportModel, listed = Infinity): string {
    const shown = model.differences.slice(0, listed);
    const more = model.differences.length - shown.length;
    const body = model.declaredServices === 0
        ? `<p class="none">${escapeHtml(noIntent)}</p>`
        : model.differences.length === 0
            ? `<p class="none">The allowed flows are exactly the declared ones.</p>`
            : `<ul>${shown.map((d) => `<li class="${d.status}" data-src="${escapeHtml(d.src)}" data-dst="${escapeHtml(d.dst)}"><span class="swatch ${d.status}"></span>${escapeHtml(d.text)}`
                + `${d.because ? `<div class="because">${escapeHtml(d.because)}</div>` : ""}</li>`).join("")}</ul>`
                + (more > 0 ? `<p class="none" id="more-differences">${escapeHtml(`The first ${shown.length.toLocaleString("en")} of ${model.differences.length.toLocaleString("en")} differences: `
                    + "the matrix marks the namespace pairs of every one, a click lists their workload pairs, and the console lists every one.")}</p>` : "");
    return `<section id="differences"><h2>Differences from the declared intent</h2>${body}</section>`;
}

/** What each status looks like, as a matrix cell or as an arrow of the graph. */
function legend(kind: "cell" | "arrow"): string {
    const statuses = kind === "cell" ? (Object.keys(statusLabels) as CellStatus[]) : graphStatuses;
    const sample = (status: CellStatus) => kind === "cell"
        ? `<span class="sample cell ${status}"></span>`
        : `<svg class="sample arrow" viewBox="0 0 32 10" aria-hidden="true"><path class="edge ${status}" d="M1,5 H31"/></svg>`;
    return `<ul class="legend ${kind}">${statuses.map((status) => `<li>${sample(status)}${statusLabels[status]}</li>`).join("")}</ul>`;
}

function matrixSection(model: ReportModel): string {
    const cells = new Map(model.cells.map((cell) => [`${cell.src} ${cell.dst}`, cell]));
    const differences = new Map<string, string[]>();
    for (const d of model.differences) {
        const key = `${d.src} ${d.dst}`;
        differences.set(key, [...(differences.get(key) ?? []), d.text, ...(d.because ? [d.because] : [])]);
    }
    const header = model.endpoints.map((e) => `<th scope="col"><span>${escapeHtml(e.name)}</span></th>`).join("");
    const rows = model.endpoints.map((src) => `<tr><th scope="row">${escapeHtml(src.name)}</th>${model.endpoints.map((dst) => {
        const key = `${src.name} ${dst.name}`;
        const cell = cells.get(key);
        return cell ? matrixCell(cell, differences.get(key) ?? []) : "<td></td>";
    }).join("")}</tr>`).join("\n");
    return `<section id="matrix-section"><h2>Who may reach whom</h2>
<p>Rows are sources, columns destinations. A cell shows the connections L3/4 allows, and under them the requests L7 admits at a sidecar.</p>
${legend("cell")}
<div class="scroll"><table id="matrix" class="matrix"><thead><tr><th class="corner">from \\ to</th>${header}</tr></thead>
<tbody>
${rows}
</tbody></table></div>
${detailPanel("matrix-detail", "Point at a cell or a difference for its details.")}</section>`;
}

function matrixCell(cell: ReportCell, differences: readonly string[]): string {
    const details = [
        `${cell.src} → ${cell.dst}: ${statusLabels[cell.status]}`,
        `L3/4: ${cell.connections ?? "nothing allowed"}`,
        ...(cell.requests ? [`L7: ${cell.requests}`] : []),
        ...differences,
    ].join("\n");
    return `<td class="cell ${cell.status}" data-src="${escapeHtml(cell.src)}" data-dst="${escapeHtml(cell.dst)}" title="${escapeHtml(details)}" tabindex="0">`
        + `<span class="l4">${escapeHtml(cell.connections ?? "blocked")}</span>`
        + (cell.requests ? `<span class="l7">${escapeHtml(cell.requests)}</span>` : "")
        + "</td>";
}

/** Where the details of what the reader points at in a section appear; `hint` until then. */
function detailPanel(id: string, hint: string): string {
    return `<p class="detail" id="${id}" data-hint="${escapeHtml(hint)}" aria-live="polite">${escapeHtml(hint)}</p>`;
}

function graphSection(model: ReportModel): string {
    return `<section id="graph-section"><h2>Graph</h2><div class="graph-layout"><div class="graph-side">${legend("arrow")}`
        + `${detailPanel("graph-detail", "Point at an arrow or a dot for its details.")}</div>\n${graphSvg(model.endpoints, model.cells)}</div></section>`;
}

/**
 * Below 1,280 px the graph's legend and details sit above it and the graph takes the full
 * width; above, they form a column to its right that stays in view while the page scrolls.
 */
const styles = `
:root { --undeclared: #c62828; --blocked: #6a1b9a; --narrowed: #ef6c00; --declared: #2e7d32; --unchecked: #607d8b; font-family: system-ui, sans-serif; }
body { margin: 1.5rem; color: #1c1c1c; }
h1 { font-size: 1.4rem; margin: 0 0 .3rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
#limits { margin-top: 1rem; padding: .1rem 1rem; background: #f5f7fa; border-left: 4px solid #90a4ae; font-size: .85rem; max-width: 72rem; }
#limits h2 { font-size: .95rem; margin: .6rem 0 .3rem; } #limits ul { margin: .3rem 0 .6rem; padding-left: 1.2rem; } #limits li { margin: .2rem 0; }
.legend { list-style: none; padding: 0; display: flex; gap: .4rem 1.2rem; flex-wrap: wrap; font-size: .85rem; }
.legend li { display: flex; align-items: center; }
.sample { flex: none; margin-right: .4rem; }
.sample.cell { width: 1.6rem; height: .9rem; border: 1px solid #e3e3e3; box-sizing: border-box; }
.sample.arrow { width: 2rem; height: .7rem; }
.swatch { display: inline-block; width: .8rem; height: .8rem; margin-right: .35rem; vertical-align: -1px; border-radius: 2px; }
.swatch.undeclared { background: var(--undeclared); } .swatch.blocked { background: var(--blocked); } .swatch.narrowed { background: var(--narrowed); }
.swatch.declared { background: var(--declared); } .swatch.unchecked { background: var(--unchecked); }
#differences ul { padding-left: 0; list-style: none; } #differences li { margin: .3rem 0; }
#differences .because { margin-left: 1.15rem; color: #444; font-size: .85rem; }
.none { color: #555; }
.scroll { overflow: auto; max-height: 70vh; width: fit-content; max-width: 100%; border: 1px solid #ddd; }
.matrix { border-collapse: collapse; font-size: .78rem; }
.matrix th, .matrix td { border: 1px solid #e3e3e3; padding: .25rem .4rem; }
.matrix thead th { position: sticky; top: 0; background: #fafafa; vertical-align: bottom; padding-top: .8rem; }
.matrix thead th span { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; }
.matrix tbody th { position: sticky; left: 0; background: #fafafa; text-align: left; white-space: nowrap; }
#namespace-matrix td.cell { cursor: pointer; min-width: 1.6rem; text-align: right; font-weight: 600; }
.pairs { border-collapse: collapse; font-size: .8rem; } .pairs th, .pairs td { border: 1px solid #e3e3e3; padding: .2rem .5rem; text-align: left; }
.pairs tr.undeclared td.status { color: var(--undeclared); font-weight: 600; } .pairs tr.blocked td.status { color: var(--blocked); font-weight: 600; }
.pairs tr.narrowed td.status { color: var(--narrowed); font-weight: 600; }
td.cell { cursor: default; min-width: 4rem; }
td.cell .l4 { display: block; font-weight: 600; overflow-wrap: anywhere; }
/* Long request lists (a public route's paths) wrap, so that one cell cannot push the other columns out of view. */
td.cell .l7 { display: block; color: #333; max-width: 14rem; overflow-wrap: anywhere; }
td.declared, .sample.cell.declared { background: #e8f5e9; } td.unchecked, .sample.cell.unchecked { background: #eceff1; }
td.undeclared, .sample.cell.undeclared { background: #ffebee; outline: 2px solid var(--undeclared); outline-offset: -2px; }
td.blocked, .sample.cell.blocked { background: #f3e5f5; outline: 2px dashed var(--blocked); outline-offset: -2px; }
td.narrowed, .sample.cell.narrowed { background: #fff3e0; outline: 2px solid var(--narrowed); outline-offset: -2px; }
td.active { box-shadow: inset 0 0 0 3px #1565c0; }
.detail { white-space: pre-wrap; background: #f7f9fc; border: 1px solid #cfd8dc; border-radius: 4px; padding: .5rem .7rem; font-size: .8rem; margin: .6rem 0; }
#graph { display: block; width: 100%; height: auto; max-height: 90vh; }
@media (min-width: 1280px) {
  .graph-layout { display: grid; grid-template-columns: minmax(0, 1fr) 16rem; gap: 1.5rem; align-items: start; }
  .graph-side { grid-column: 2; grid-row: 1; position: sticky; top: 1rem; }
  .graph-side .legend { flex-direction: column; }
  #graph { grid-column: 1; grid-row: 1; }
}
.edge { fill: none; stroke-width: 2; opacity: .75; }
.edge.declared { stroke: var(--declared); } .edge.unchecked { stroke: var(--unchecked); } .edge.undeclared { stroke: var(--undeclared); stroke-width: 3; }
.edge.blocked { stroke: var(--blocked); stroke-dasharray: 6 4; } .edge.narrowed { stroke: var(--narrowed); stroke-dasharray: 2 3; }
#graph marker.declared path { fill: var(--declared); } #graph marker.unchecked path { fill: var(--unchecked); } #graph marker.undeclared path { fill: var(--undeclared); }
#graph marker.blocked path { fill: var(--blocked); } #graph marker.narrowed path { fill: var(--narrowed); }
#graph .edge.active { stroke-width: 5; opacity: 1; } #graph .edge.faded { opacity: .12; }
#graph .node circle { fill: #fff; stroke: #37474f; stroke-width: 2; }
#graph .node.active circle { fill: #1565c0; }
`;

/**
 * Pointing at a cell, an arrow or a difference highlights the same pair everywhere and shows
 * its details; pointing at a node highlights its arrows. Data stays in `data-*` attributes.
 */
const script = `
(function () {
    "use strict";
    var details = Array.prototype.slice.call(document.querySelectorAll(".detail"));
    var paired = Array.prototype.slice.call(document.querySelectorAll("[data-src][data-dst]"));
    var nodes = Array.prototype.slice.call(document.querySelectorAll("#graph .node"));
    // The panel of the section pointed into; the differences have none and use the matrix's.
    function say(text, from) {
        var section = from.closest("section");
        var panel = (section && section.querySelector(".detail")) || document.getElementById("matrix-detail");
        details.forEach(function (detail) { detail.textContent = detail === panel ? text : detail.dataset.hint; });
    }
    function clear() {
        paired.concat(nodes).forEach(function (el) { el.classList.remove("active", "faded"); });
    }
    function showPair(src, dst, from) {
        clear();
        var text = "";
        paired.forEach(function (el) {
            var same = el.dataset.src === src && el.dataset.dst === dst;
            el.classList.toggle("active", same);
            if (same && el.tagName === "TD") { text = el.getAttribute("title"); }
        });
        nodes.forEach(function (n) { n.classList.toggle("active", n.dataset.name === src || n.dataset.name === dst); });
        say(text || src + " \\u2192 " + dst, from);
    }
    function showNode(name, from) {
        clear();
        var count = 0;
        paired.forEach(function (el) {
            if (el.tagName.toLowerCase() !== "path") { return; }
            var touches = el.dataset.src === name || el.dataset.dst === name;
            el.classList.toggle("active", touches);
            el.classList.toggle("faded", !touches);
            if (touches) { count++; }
        });
        nodes.forEach(function (n) { n.classList.toggle("active", n.dataset.name === name); });
        say(name + ": " + count + (count === 1 ? " flow" : " flows"), from);
    }
    paired.forEach(function (el) {
        var show = function () { showPair(el.dataset.src, el.dataset.dst, el); };
        el.addEventListener("mouseenter", show);
        el.addEventListener("focus", show);
    });
    nodes.forEach(function (n) { n.addEventListener("mouseenter", function () { showNode(n.dataset.name, n); }); });
})();
`;
