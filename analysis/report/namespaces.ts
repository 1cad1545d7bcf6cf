/**
 * The report of a large cluster, by namespace: a matrix of namespace pairs with how many
 * workload pairs each holds (coloured by the worst status among them), and a drill-down that
 * lists one pair's workloads when the reader picks its cell. A matrix of every workload pair
 * grows with the square of the workloads (half a gigabyte of page for 1,500 workloads that all reach each other); this
 * one grows with the square of the namespaces, and the drill-down's data with the flows, kept
 * as numbers that index tables of names and texts (about 20 bytes per workload pair).
 */
import { escapeHtml } from "./escape";
import { CellStatus, ReportModel } from "./model";
import { counted, endpointWords, statusLabels } from "./words";

/** Address ranges outside the cluster have no namespace; the matrix groups them as one row and column. */
const outsideLabel = "outside the cluster";

/** The most workload pairs the drill-down lists at once; the rest are counted under the list. */
export const drillDownRows = 1000;

interface NamespaceCell {
    /** Indexes into `NamespaceMatrix.namespaces`. */
    readonly from: number;
    readonly to: number;
    /** Workload pairs in the cell, by status. */
    readonly counts: Readonly<Partial<Record<CellStatus, number>>>;
    readonly pairs: number;
    readonly status: CellStatus;
}

interface NamespaceMatrix {
    /** Namespaces in name order; `""` (outside the cluster) first when a flow has an address range. */
    readonly namespaces: readonly string[];
    /** The pairs of namespaces that hold a workload pair, by source, then destination. */
    readonly cells: readonly NamespaceCell[];
}

const severity = Object.keys(statusLabels) as CellStatus[];

/** The model's cells summed up by the namespaces of their ends. */
function namespaceMatrix(model: Pick<ReportModel, "endpoints" | "cells">): NamespaceMatrix {
    const namespaces = [...new Set(model.endpoints.map((endpoint) => endpoint.namespace))].sort();
    const indexOf = new Map(namespaces.map((namespace, index) => [namespace, index]));
    const namespaceOf = new Map(model.endpoints.map((endpoint) => [endpoint.name, indexOf.get(endpoint.namespace)!]));
    const counts = new Map<number, Partial<Record<CellStatus, number>>>();
    for (const cell of model.cells) {
        const key = namespaceOf.get(cell.src)! * namespaces.length + namespaceOf.get(cell.dst)!;
        const count = counts.get(key) ?? {};
        count[cell.status] = (count[cell.status] ?? 0) + 1;
        counts.set(key, count);
    }
    const cells = [...counts.entries()].sort(([a], [b]) => a - b).map(([key, count]): NamespaceCell => ({
        from: Math.floor(key / namespaces.length),
        to: key % namespaces.length,
        counts: count,
        pairs: Object.values(count).reduce((sum, n) => sum + n, 0),
        status: severity.find((status) => count[status] !== undefined)!,
    }));
    return { namespaces, cells };
}

const label = (namespace: string) => namespace === "" ? outsideLabel : namespace;

/** `12 workload pairs: 10 allowed as declared, 2 allowed, not declared`. */
function cellDetails(cell: NamespaceCell): string {
    return `${counted(cell.pairs, "workload pair")}: ${severity.filter((status) => cell.counts[status]).map((status) => `${cell.counts[status]} ${statusLabels[status]}`).join(", ")}`;
}

/** The namespace matrix as a table, a row at a time (a few hundred namespaces make a few megabytes). */
export function* namespaceMatrixSection(model: ReportModel, legend: string): Generator<string> {
    const matrix = namespaceMatrix(model);
    const byRow = new Map<number, Map<number, NamespaceCell>>();
    for (const cell of matrix.cells) {
        byRow.set(cell.from, (byRow.get(cell.from) ?? new Map()).set(cell.to, cell));
    }
    const names = matrix.namespaces.map((namespace) => escapeHtml(label(namespace)));
    yield `<section id="namespace-section"><h2>Who may reach whom, by namespace</h2>
<p>${escapeHtml(`${endpointWords(model)} are more than a matrix of workloads shows legibly (it is drawn up to ${workloadPageLimit} workloads and address ranges), so rows are source namespaces and columns destination namespaces. A cell counts the workload pairs between them that policy allows or the Services declare, coloured by the worst status among them; pick a cell for its workload pairs.`)}</p>
${legend}
<div class="scroll"><table id="namespace-matrix" class="matrix"><thead><tr><th class="corner">from \\ to</th>${names.map((name) => `<th scope="col"><span>${name}</span></th>`).join("")}</tr></thead>
<tbody>
`;
    for (let from = 0; from < names.length; from++) {
        const row = byRow.get(from);
        const cells = names.map((_, to) => {
            const cell = row?.get(to);
            return cell
                ? `<td class="cell ${cell.status}" data-from="${from}" data-to="${to}" title="${escapeHtml(`${label(matrix.namespaces[from])} → ${label(matrix.namespaces[to])}: ${cellDetails(cell)}`)}" tabindex="0">${cell.pairs}</td>`
                : "<td></td>";
        });
        yield `<tr><th scope="row">${names[from]}</th>${cells.join("")}</tr>\n`;
    }
    yield `</tbody></table></div>
<section id="drill-down" aria-live="polite"><h3 id="drill-down-heading">Workload pairs</h3><p class="detail" id="drill-down-hint">Pick a cell of the matrix (or a difference) to list its workload pairs here.</p>
<table id="drill-down-pairs" class="pairs" hidden><thead><tr><th scope="col">from</th><th scope="col">to</th><th scope="col">status</th><th scope="col">L3/4</th><th scope="col">L7 requests</th></tr></thead><tbody></tbody></table></section>
</section>
`;
    yield* reportData(model, matrix);
}

/**
 * The drill-down's data as JSON in a script element the browser does not run
 * (`type="application/json"`): endpoints as [name, namespace index], texts once each, and
 * a workload pair as [source, destination, L3/4 text, L7 text (-1: none), status], all indexes.
 * `<` is written `\u003c`, so no name can close the element.
 */
function* reportData(model: ReportModel, matrix: NamespaceMatrix): Generator<string> {
    const namespaceIndex = new Map(matrix.namespaces.map((namespace, index) => [namespace, index]));
    const endpointIndex = new Map(model.endpoints.map((endpoint, index) => [endpoint.name, index]));
    const texts = new Map<string, number>();
    const textIndex = (text: string | undefined) => {
        if (text === undefined) {
            return -1;
        }
        if (!texts.has(text)) {
            texts.set(text, texts.size);
        }
        return texts.get(text)!;
    };
    const json = (value: unknown) => JSON.stringify(value).replace(/</g, "\\u003c");
    yield `<script type="application/json" id="report-data">{"namespaces":${json(matrix.namespaces.map(label))},"statuses":${json(severity)},`
        + `"statusLabels":${json(severity.map((status) => statusLabels[status]))},"endpoints":${json(model.endpoints.map((endpoint) => [endpoint.name, namespaceIndex.get(endpoint.namespace)]))},"pairs":[`;
    const rowsPerPart = 2000;
    for (let start = 0; start < model.cells.length; start += rowsPerPart) {
        const rows = model.cells.slice(start, start + rowsPerPart).map((cell) =>
            `[${endpointIndex.get(cell.src)},${endpointIndex.get(cell.dst)},${textIndex(cell.connections ?? "blocked")},${textIndex(cell.requests)},${severity.indexOf(cell.status)}]`);
        yield `${start === 0 ? "" : ","}${rows.join(",")}`;
    }
    yield `],"texts":${json([...texts.keys()])}}</script>\n`;
}

/** Above this many workloads and address ranges, the page shows namespaces (a workload matrix is N × N cells and the graph an ellipse of N names). */
export const workloadPageLimit = 150;

/**
 * Picking a namespace cell (click, or Enter on a focused cell) or a difference lists the
 * workload pairs of that namespace pair from the page's data, as text (never markup).
 */
export const namespaceScript = `
(function () {
    "use strict";
    var data = JSON.parse(document.getElementById("report-data").textContent);
    var limit = ${drillDownRows};
    var byName = {};
    data.endpoints.forEach(function (endpoint, index) { byName[endpoint[0]] = index; });
    var heading = document.getElementById("drill-down-heading");
    var hint = document.getElementById("drill-down-hint");
    var table = document.getElementById("drill-down-pairs");
    var body = table.querySelector("tbody");
    var cells = Array.prototype.slice.call(document.querySelectorAll("#namespace-matrix td.cell"));
    function cellText(row, text, className) {
        var td = document.createElement("td");
        td.textContent = text;
        if (className) { td.className = className; }
        row.appendChild(td);
    }
    function show(from, to) {
        cells.forEach(function (cell) { cell.classList.toggle("active", Number(cell.dataset.from) === from && Number(cell.dataset.to) === to); });
        var pairs = data.pairs.filter(function (pair) { return data.endpoints[pair[0]][1] === from && data.endpoints[pair[1]][1] === to; });
        heading.textContent = "Workload pairs from " + data.namespaces[from] + " to " + data.namespaces[to];
        body.textContent = "";
        pairs.slice(0, limit).forEach(function (pair) {
            var row = document.createElement("tr");
            var status = data.statuses[pair[4]];
            row.className = status;
            cellText(row, data.endpoints[pair[0]][0]);
            cellText(row, data.endpoints[pair[1]][0]);
            cellText(row, data.statusLabels[pair[4]], "status");
            cellText(row, data.texts[pair[2]]);
            cellText(row, pair[3] < 0 ? "" : data.texts[pair[3]]);
            body.appendChild(row);
        });
        table.hidden = pairs.length === 0;
        hint.textContent = pairs.length === 0 ? "No workload pair between these namespaces."
            : pairs.length > limit ? "The first " + limit + " of " + pairs.length + " workload pairs; ztmesh reach --json lists every flow."
            : pairs.length + (pairs.length === 1 ? " workload pair." : " workload pairs.");
    }
    cells.forEach(function (cell) {
        var pick = function () { show(Number(cell.dataset.from), Number(cell.dataset.to)); };
        cell.addEventListener("click", pick);
        cell.addEventListener("keydown", function (event) { if (event.key === "Enter" || event.key === " ") { event.preventDefault(); pick(); } });
    });
    Array.prototype.slice.call(document.querySelectorAll("#differences li[data-src]")).forEach(function (item) {
        item.addEventListener("click", function () {
            show(data.endpoints[byName[item.dataset.src]][1], data.endpoints[byName[item.dataset.dst]][1]);
            // The list may be far above the matrix in a large cluster: bring the pairs into view.
            document.getElementById("drill-down").scrollIntoView();
        });
    });
})();
`;
