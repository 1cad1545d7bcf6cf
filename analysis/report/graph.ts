/**
 * The report's graph as SVG: endpoints on an ellipse (sorted by name, so a namespace's
 * workloads sit together), one arrow per cell, coloured by its status. Laid out here rather
 * than in the browser so the page needs no layout library and renders the same everywhere.
 * The ellipse is twice as wide as it is high, the shape of a page, so that the graph scaled to
 * the page's width stays legible without growing taller than a screen.
 */
import { escapeHtml } from "./escape";
import { ReportCell, ReportEndpoint } from "./model";

export const graphStatuses = ["declared", "unchecked", "undeclared", "blocked", "narrowed"] as const;

interface Point { readonly x: number; readonly y: number }

export function graphSvg(endpoints: readonly ReportEndpoint[], cells: readonly ReportCell[]): string {
    const ry = Math.max(140, endpoints.length * 14);
    const rx = 2 * ry;
    // Past 20 endpoints the drawing is wider than a page and is scaled down to fit it: its text,
    // dots and arrowheads grow by `unit` to stay legible (lines keep their width on screen, non-scaling-stroke).
    const unit = Math.max(1, ry / 280);
    const font = 12 * unit;
    // Names sit left and right of the ellipse, so it needs room sideways (about 23 characters); above and below, a line.
    const width = 2 * (rx + 23 * font);
    const height = 2 * (ry + 3.3 * font);
    const centre = { x: width / 2, y: height / 2 };
    const at = new Map<string, Point>(endpoints.map((endpoint, index) => {
        const angle = (2 * Math.PI * index) / endpoints.length - Math.PI / 2;
        return [endpoint.name, { x: centre.x + rx * Math.cos(angle), y: centre.y + ry * Math.sin(angle) }];
    }));
    const edges = cells.map((cell) => edge(cell, at.get(cell.src)!, at.get(cell.dst)!, centre));
    const nodes = endpoints.map((endpoint) => node(endpoint, at.get(endpoint.name)!, centre, unit));
    // Arrowheads in user units, so a highlighted (thicker) arrow keeps its head; the tip stops at the node's edge.
    return `<svg id="graph" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${round(width)} ${round(height)}" font-size="${round(font)}" role="img" aria-label="Allowed flows">
<defs>${graphStatuses.map((status) =>
        `<marker id="arrow-${status}" class="${status}" viewBox="0 0 10 10" refX="17" refY="5" markerUnits="userSpaceOnUse" markerWidth="${round(10 * unit)}" markerHeight="${round(10 * unit)}" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker>`).join("")}</defs>
<g class="edges">${edges.join("")}</g>
<g class="nodes">${nodes.join("")}</g>
</svg>`;
}

/** A curve bent towards the centre, so that A→B and B→A stay apart. */
function edge(cell: ReportCell, from: Point, to: Point, centre: Point): string {
    const mid = { x: (from.x + to.x) / 2, y: (from.y + to.y) / 2 };
    const bend = { x: mid.x + (centre.x - mid.x) * 0.35 + (to.y - from.y) * 0.08, y: mid.y + (centre.y - mid.y) * 0.35 - (to.x - from.x) * 0.08 };
    const d = `M${round(from.x)},${round(from.y)} Q${round(bend.x)},${round(bend.y)} ${round(to.x)},${round(to.y)}`;
    return `<path class="edge ${cell.status}" data-src="${escapeHtml(cell.src)}" data-dst="${escapeHtml(cell.dst)}" d="${d}" marker-end="url(#arrow-${cell.status})" vector-effect="non-scaling-stroke"/>`;
}

/** A dot with its name outside the ellipse, anchored away from the centre. */
function node(endpoint: ReportEndpoint, point: Point, centre: Point, unit: number): string {
    const dx = point.x - centre.x;
    const dy = point.y - centre.y;
    const length = Math.hypot(dx, dy) || 1;
    const label = { x: point.x + (dx / length) * 12 * unit, y: point.y + (dy / length) * 12 * unit + 4 * unit };
    const anchor = Math.abs(dx) < 1 ? "middle" : dx > 0 ? "start" : "end";
    return `<g class="node" data-name="${escapeHtml(endpoint.name)}"><circle cx="${round(point.x)}" cy="${round(point.y)}" r="${round(7 * unit)}" vector-effect="non-scaling-stroke"/>`
        + `<text x="${round(label.x)}" y="${round(label.y)}" text-anchor="${anchor}">${escapeHtml(endpoint.name)}</text></g>`;
}

function round(value: number): number {
    return Math.round(value * 10) / 10;
}
