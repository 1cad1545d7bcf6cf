/**
 * The report's graph as SVG: endpoints on a circle (sorted by name, so a namespace's workloads
 * sit together), one arrow per cell, coloured by its status. Laid out here rather than in the
 * browser so the page needs no layout library and renders the same everywhere.
 */
import { escapeHtml } from "./escape";
import { ReportCell, ReportEndpoint } from "./model";

/** Above this many endpoints a circle of labels is unreadable; the matrix still lists every pair. */
export const graphLimit = 150;

interface Point { readonly x: number; readonly y: number }

export function graphSvg(endpoints: readonly ReportEndpoint[], cells: readonly ReportCell[]): string {
    const radius = Math.max(140, endpoints.length * 14);
    // Names sit left and right of the circle, so it needs room sideways; above and below, a line.
    const width = 2 * (radius + 280);
    const height = 2 * (radius + 40);
    const centre = { x: width / 2, y: height / 2 };
    const at = new Map<string, Point>(endpoints.map((endpoint, index) => {
        const angle = (2 * Math.PI * index) / endpoints.length - Math.PI / 2;
        return [endpoint.name, { x: centre.x + radius * Math.cos(angle), y: centre.y + radius * Math.sin(angle) }];
    }));
    const edges = cells.map((cell) => edge(cell, at.get(cell.src)!, at.get(cell.dst)!, centre));
    const nodes = endpoints.map((endpoint) => node(endpoint, at.get(endpoint.name)!, centre));
    // Arrowheads in user units, so a highlighted (thicker) arrow keeps its head; the tip stops at the node's edge.
    return `<svg id="graph" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" aria-label="Allowed flows">
<defs>${["declared", "unchecked", "undeclared", "blocked", "narrowed"].map((status) =>
        `<marker id="arrow-${status}" class="${status}" viewBox="0 0 10 10" refX="17" refY="5" markerUnits="userSpaceOnUse" markerWidth="10" markerHeight="10" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker>`).join("")}</defs>
<g class="edges">${edges.join("")}</g>
<g class="nodes">${nodes.join("")}</g>
</svg>`;
}

/** A curve bent towards the centre, so that A→B and B→A stay apart. */
function edge(cell: ReportCell, from: Point, to: Point, centre: Point): string {
    const mid = { x: (from.x + to.x) / 2, y: (from.y + to.y) / 2 };
    const bend = { x: mid.x + (centre.x - mid.x) * 0.35 + (to.y - from.y) * 0.08, y: mid.y + (centre.y - mid.y) * 0.35 - (to.x - from.x) * 0.08 };
    const d = `M${round(from.x)},${round(from.y)} Q${round(bend.x)},${round(bend.y)} ${round(to.x)},${round(to.y)}`;
    return `<path class="edge ${cell.status}" data-src="${escapeHtml(cell.src)}" data-dst="${escapeHtml(cell.dst)}" d="${d}" marker-end="url(#arrow-${cell.status})"/>`;
}

/** A dot with its name outside the circle, anchored away from the centre. */
function node(endpoint: ReportEndpoint, point: Point, centre: Point): string {
    const dx = point.x - centre.x;
    const dy = point.y - centre.y;
    const length = Math.hypot(dx, dy) || 1;
    const label = { x: point.x + (dx / length) * 12, y: point.y + (dy / length) * 12 + 4 };
    const anchor = Math.abs(dx) < 1 ? "middle" : dx > 0 ? "start" : "end";
    return `<g class="node" data-name="${escapeHtml(endpoint.name)}"><circle cx="${round(point.x)}" cy="${round(point.y)}" r="7"/>`
        + `<text x="${round(label.x)}" y="${round(label.y)}" text-anchor="${anchor}">${escapeHtml(endpoint.name)}</text></g>`;
}

function round(value: number): number {
    return Math.round(value * 10) / 10;
}
