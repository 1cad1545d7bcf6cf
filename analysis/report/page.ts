/**
 * The reachability report as one self-contained HTML page: the differences from the declared
 * intent, a matrix of who may reach whom (layer 3/4 in each cell, layer 7 requests under it),
 * and a graph. No external resource is loaded (the Content-Security-Policy forbids it), so the
 * page can be archived as a CI artifact or mailed, and opened offline.
 */
import { escapeHtml } from "./escape";
import { graphLimit, graphSvg } from "./graph";
import { CellStatus, ReportCell, ReportModel } from "./model";

const statusLabels: Record<CellStatus, string> = {
    undeclared: "allowed, not declared",
    blocked: "declared, blocked",
    narrowed: "declared, narrowed at L7",
    declared: "allowed as declared",
    unchecked: "allowed, no declared intent",
};

export function renderPage(model: ReportModel): string {
    const title = escapeHtml(model.title);
    return `<!DOCTYPE html>
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
<p id="summary">${escapeHtml(summary(model))}</p>
<ul class="legend">${(Object.keys(statusLabels) as CellStatus[]).map((status) => `<li><span class="swatch ${status}"></span>${statusLabels[status]}</li>`).join("")}</ul>
</header>
<main>
${differencesSection(model)}
${publicRoutesSection(model)}
${matrixSection(model)}
${graphSection(model)}
</main>
<aside id="detail" aria-live="polite">Point at a cell or an arrow for its details.</aside>
<script>${script}</script>
</body>
</html>
`;
}

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

function summary(model: ReportModel): string {
    const flows = model.cells.filter((cell) => cell.connections !== undefined).length;
    return `${model.source}: ${model.endpoints.length} endpoints, ${flows} allowed flows, ${model.declaredServices} Services with declared callers, ${model.differences.length} differences from the declared intent.`;
}

function differencesSection(model: ReportModel): string {
    const body = model.declaredServices === 0
        ? `<p class="none">No Service declares its callers (annotation <code>ztmesh.io/declared-callers</code>, written by MeshService), so there is no intent to compare.</p>`
        : model.differences.length === 0
            ? `<p class="none">The allowed flows are exactly the declared ones.</p>`
            : `<ul>${model.differences.map((d) => `<li class="${d.status}" data-src="${escapeHtml(d.src)}" data-dst="${escapeHtml(d.dst)}"><span class="swatch ${d.status}"></span>${escapeHtml(d.text)}`
                + `${d.because ? `<div class="because">${escapeHtml(d.because)}</div>` : ""}</li>`).join("")}</ul>`;
    return `<section id="differences"><h2>Differences from the declared intent</h2>${body}</section>`;
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
<p>Rows are sources, columns destinations. A cell shows the layer 3/4 connections, and under them the requests a sidecar admits.</p>
<div class="scroll"><table id="matrix"><thead><tr><th class="corner">from \\ to</th>${header}</tr></thead>
<tbody>
${rows}
</tbody></table></div></section>`;
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

function graphSection(model: ReportModel): string {
    const body = model.endpoints.length > graphLimit
        ? `<p class="none">${model.endpoints.length} endpoints are too many to draw legibly (limit ${graphLimit}); the matrix lists every pair.</p>`
        : graphSvg(model.endpoints, model.cells);
    return `<section id="graph-section"><h2>Graph</h2>${body}</section>`;
}

const styles = `
:root { --undeclared: #c62828; --blocked: #6a1b9a; --narrowed: #ef6c00; --declared: #2e7d32; --unchecked: #607d8b; font-family: system-ui, sans-serif; }
body { margin: 1.5rem; color: #1c1c1c; }
h1 { font-size: 1.4rem; margin: 0 0 .3rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
.legend { list-style: none; padding: 0; display: flex; gap: 1.2rem; flex-wrap: wrap; font-size: .85rem; }
.swatch { display: inline-block; width: .8rem; height: .8rem; margin-right: .35rem; vertical-align: -1px; border-radius: 2px; }
.swatch.undeclared { background: var(--undeclared); } .swatch.blocked { background: var(--blocked); } .swatch.narrowed { background: var(--narrowed); }
.swatch.declared { background: var(--declared); } .swatch.unchecked { background: var(--unchecked); }
#differences ul { padding-left: 0; list-style: none; } #differences li { margin: .3rem 0; }
#differences .because { margin-left: 1.15rem; color: #444; font-size: .85rem; }
.none { color: #555; }
.scroll { overflow: auto; max-height: 80vh; border: 1px solid #ddd; }
#matrix { border-collapse: collapse; font-size: .78rem; }
#matrix th, #matrix td { border: 1px solid #e3e3e3; padding: .25rem .4rem; }
#matrix thead th { position: sticky; top: 0; background: #fafafa; vertical-align: bottom; }
#matrix thead th span { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; }
#matrix tbody th { position: sticky; left: 0; background: #fafafa; text-align: left; white-space: nowrap; }
td.cell { cursor: default; min-width: 4rem; }
td.cell .l4 { display: block; font-weight: 600; } td.cell .l7 { display: block; color: #333; }
td.declared { background: #e8f5e9; } td.unchecked { background: #eceff1; } td.undeclared { background: #ffebee; outline: 2px solid var(--undeclared); }
td.blocked { background: #f3e5f5; outline: 2px dashed var(--blocked); } td.narrowed { background: #fff3e0; outline: 2px solid var(--narrowed); }
td.active { box-shadow: inset 0 0 0 3px #1565c0; }
#graph { max-width: 900px; width: 100%; height: auto; }
#graph .edge { fill: none; stroke-width: 2; opacity: .75; }
#graph .edge.declared { stroke: var(--declared); } #graph .edge.unchecked { stroke: var(--unchecked); } #graph .edge.undeclared { stroke: var(--undeclared); stroke-width: 3; }
#graph .edge.blocked { stroke: var(--blocked); stroke-dasharray: 6 4; } #graph .edge.narrowed { stroke: var(--narrowed); stroke-dasharray: 2 3; }
#graph marker.declared path { fill: var(--declared); } #graph marker.unchecked path { fill: var(--unchecked); } #graph marker.undeclared path { fill: var(--undeclared); }
#graph marker.blocked path { fill: var(--blocked); } #graph marker.narrowed path { fill: var(--narrowed); }
#graph .edge.active { stroke-width: 5; opacity: 1; } #graph .edge.faded { opacity: .12; }
#graph .node circle { fill: #fff; stroke: #37474f; stroke-width: 2; } #graph .node text { font-size: 12px; }
#graph .node.active circle { fill: #1565c0; }
#detail { position: fixed; right: 1rem; bottom: 1rem; max-width: 32rem; white-space: pre-wrap; background: #fff; border: 1px solid #bbb; border-radius: 4px; padding: .6rem .8rem; font-size: .8rem; box-shadow: 0 2px 8px rgba(0,0,0,.15); }
`;

/**
 * Pointing at a cell, an arrow or a difference highlights the same pair everywhere and shows
 * its details; pointing at a node highlights its arrows. Data stays in `data-*` attributes.
 */
const script = `
(function () {
    "use strict";
    var detail = document.getElementById("detail");
    var paired = Array.prototype.slice.call(document.querySelectorAll("[data-src][data-dst]"));
    var nodes = Array.prototype.slice.call(document.querySelectorAll("#graph .node"));
    function clear() {
        paired.concat(nodes).forEach(function (el) { el.classList.remove("active", "faded"); });
    }
    function showPair(src, dst) {
        clear();
        var text = "";
        paired.forEach(function (el) {
            var same = el.dataset.src === src && el.dataset.dst === dst;
            el.classList.toggle("active", same);
            if (same && el.tagName === "TD") { text = el.getAttribute("title"); }
        });
        nodes.forEach(function (n) { n.classList.toggle("active", n.dataset.name === src || n.dataset.name === dst); });
        detail.textContent = text || src + " \\u2192 " + dst;
    }
    function showNode(name) {
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
        detail.textContent = name + ": " + count + (count === 1 ? " flow" : " flows");
    }
    paired.forEach(function (el) {
        var show = function () { showPair(el.dataset.src, el.dataset.dst); };
        el.addEventListener("mouseenter", show);
        el.addEventListener("focus", show);
    });
    nodes.forEach(function (n) { n.addEventListener("mouseenter", function () { showNode(n.dataset.name); }); });
})();
`;
