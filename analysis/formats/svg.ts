/**
 * SVG drawn from DOT in-process, so `-o svg` works on a machine without Graphviz (netpol-analyzer
 * runs the `dot` executable instead). @viz-js/viz is Graphviz itself compiled to WebAssembly, so
 * the layout is Graphviz's; writing a graph layout by hand would be neither smaller nor faithful.
 * The module (about 1.5 MB of WebAssembly) is loaded on the first call only: the commands that
 * never draw pay nothing at start-up.
 */
import type { Viz } from "@viz-js/viz";

let loaded: Promise<Viz> | undefined;

/** One Graphviz instance per process, created on the first call. */
function graphviz(): Promise<Viz> {
    loaded ??= import("@viz-js/viz").then((viz) => viz.instance());
    return loaded;
}

/** The SVG document Graphviz's `dot` layout draws for `dot`; throws with Graphviz's messages on a DOT syntax error. */
export async function dotToSvg(dot: string): Promise<string> {
    const viz = await graphviz();
    const result = viz.render(dot, { format: "svg", engine: "dot" });
    if (result.status !== "success") {
        throw new Error(`Graphviz could not draw the graph: ${result.errors.map((error) => error.message).join("; ")}`);
    }
    return result.output;
}
