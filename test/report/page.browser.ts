import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { pathToFileURL } from "url";
import type { Browser, Page } from "playwright-core";
import { reachability } from "../../analysis/reach";
import { reportModel } from "../../analysis/report/model";
import { renderPage } from "../../analysis/report/page";
import { launchBrowser, openPage, PageRecord } from "../harness/browser";
import { projectRoot } from "../harness/stackConfig";
import { KubeObject } from "../../analysis/manifests";
import { syntheticCluster } from "../bench/syntheticCluster";
import { blockedFlow, devObjects, narrowedFlow, undeclaredFlow } from "./fixtures";

/** Every filled matrix cell as `src → dst: status | what the cell shows`. */
async function matrixCells(page: Page): Promise<string[]> {
    return page.$$eval("#matrix td.cell", (cells) => cells.map((cell) => {
        const status = ["declared", "undeclared", "blocked", "narrowed", "unchecked"].find((s) => cell.classList.contains(s));
        const shown = Array.from(cell.querySelectorAll(".l4, .l7"), (span: { textContent: string | null }) => span.textContent).join(" / ");
        return `${cell.getAttribute("data-src")} → ${cell.getAttribute("data-dst")}: ${status} | ${shown}`;
    }));
}

/** An element's box in page coordinates (CSS px). */
interface Box { readonly name: string; readonly left: number; readonly top: number; readonly right: number; readonly bottom: number }

/** The boxes of every element `selector` matches, named by tag, id and text, for messages. */
const boxes = (page: Page, selector: string): Promise<Box[]> => page.$$eval(selector, (elements) => elements.map((element) => {
    const rect = element.getBoundingClientRect();
    const name = `${element.tagName.toLowerCase()}${element.id ? `#${element.id}` : ""} "${(element.textContent ?? "").trim().slice(0, 50)}"`;
    const { scrollLeft, scrollTop } = element.ownerDocument.documentElement;
    return { name, left: rect.left + scrollLeft, top: rect.top + scrollTop, right: rect.right + scrollLeft, bottom: rect.bottom + scrollTop };
}));

/** The visible parts of `inner` inside `outer` (a scroll box), leaving out what lies wholly outside. */
function clippedTo(inner: readonly Box[], outer: Box): Box[] {
    return inner
        .map((box) => ({ ...box, left: Math.max(box.left, outer.left), top: Math.max(box.top, outer.top), right: Math.min(box.right, outer.right), bottom: Math.min(box.bottom, outer.bottom) }))
        .filter((box) => box.right > box.left && box.bottom > box.top);
}

/** Pairs of boxes, one from each list, that share more than a hairline of area (borders may touch). */
function overlaps(a: readonly Box[], b: readonly Box[]): string[] {
    return a.flatMap((x) => b.filter((y) => Math.min(x.right, y.right) - Math.max(x.left, y.left) > 1 && Math.min(x.bottom, y.bottom) - Math.max(x.top, y.top) > 1)
        .map((y) => `${x.name} overlaps ${y.name}`));
}

/** Where a person can look at the page as the layout tests saw it (git-ignored). */
const screenshots = path.join(projectRoot, "reports", "screenshots");

/** Whether the arrow of a pair is highlighted. */
const arrowActive = (page: Page, src: string, dst: string) => page.$$eval("#graph path.edge", (paths, pair) =>
    paths.some((p) => p.getAttribute("data-src") === pair.src && p.getAttribute("data-dst") === pair.dst && p.classList.contains("active")), { src, dst });

describe("reachability report in a headless browser (Debian's Chromium)", function () {
    this.timeout(120000);
    let browser: Browser;
    let folder: string;

    before(async () => {
        browser = await launchBrowser();
        folder = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-report-"));
    });
    after(async () => {
        await browser?.close();
        fs.rmSync(folder, { recursive: true, force: true });
    });

    it("`npm run report -- --stack dev` writes a page that loads cleanly and shows the dev stack's cells, graph and details", async () => {
        const file = path.join(folder, "dev.html");
        const printed = execFileSync("npm", ["run", "-s", "report", "--", "--stack", "dev", "--output", file], { cwd: projectRoot, encoding: "utf8" });
        assert.match(printed, /^wrote .*dev\.html \(\d+ ms\)\nstack dev \(Pulumi\.dev\.yaml\): 7 workloads and 1 address range outside the cluster, 9 allowed flows, 4 Services with declared callers, 0 differences from the declared intent\.\nWhat this report cannot know:\n/);
        assert.match(printed, /\n {2}- Helm charts are not expanded offline/);
        const { page, errors, requests }: PageRecord = await openPage(browser, pathToFileURL(file).href);
        assert.deepStrictEqual(errors, [], "no console errors or uncaught exceptions");
        assert.deepStrictEqual(requests, [pathToFileURL(file).href], "the page loads nothing but itself");
        assert.strictEqual(await page.locator("#summary").innerText(), printed.split("\n")[1], "the page and the console say the same");
        assert.deepStrictEqual(await page.locator("#limits li").allInnerTexts(), printed.split("What this report cannot know:\n")[1].split("\n").filter(Boolean).map((line) => line.replace(/^ {2}- /, "")));
        assert.deepStrictEqual(await matrixCells(page), [
            "0.0.0.0-255.255.255.255[External] → istio-ingress/mesh-gateway-istio[Deployment]: unchecked | TCP 80,443,15021 / all requests",
            "bookinfo/productpage-v1[Deployment] → bookinfo/details-v1[Deployment]: declared | TCP 9080 / GET /details/*",
            "bookinfo/productpage-v1[Deployment] → bookinfo/reviews-v1[Deployment]: declared | TCP 9080 / GET /reviews/*",
            "bookinfo/productpage-v1[Deployment] → bookinfo/reviews-v2[Deployment]: declared | TCP 9080 / GET /reviews/*",
            "bookinfo/productpage-v1[Deployment] → bookinfo/reviews-v3[Deployment]: declared | TCP 9080 / GET /reviews/*",
            "bookinfo/reviews-v1[Deployment] → bookinfo/ratings-v1[Deployment]: declared | TCP 9080 / GET /ratings/*",
            "bookinfo/reviews-v2[Deployment] → bookinfo/ratings-v1[Deployment]: declared | TCP 9080 / GET /ratings/*",
            "bookinfo/reviews-v3[Deployment] → bookinfo/ratings-v1[Deployment]: declared | TCP 9080 / GET /ratings/*",
            "istio-ingress/mesh-gateway-istio[Deployment] → bookinfo/productpage-v1[Deployment]: declared | TCP 9080 / * /api/v1/products,/api/v1/products/*,/login,/logout,/productpage,/static,/static/*",
        ]);
        assert.strictEqual(await page.locator("#matrix tbody tr").count(), 8, "a row per endpoint");
        assert.strictEqual(await page.locator("#matrix tbody td").count(), 64, "an 8 x 8 matrix");
        assert.strictEqual(await page.locator("#differences p").innerText(), "The allowed flows are exactly the declared ones.");
        assert.strictEqual(await page.locator("#graph .node").count(), 8);
        assert.strictEqual(await page.locator("#graph path.edge.declared").count(), 8);
        assert.match(await page.locator("#public-routes").innerText(), /https:\/\/bookinfo\.ztmesh\.local\/productpage.*→ Gateway istio-ingress\/mesh-gateway.*→ Service bookinfo\/productpage:9080\n+bookinfo\/productpage-v1\[Deployment\] TCP 9080: allowed/s);
        assert.ok(await page.locator("#graph").isVisible());

        const productpage = "bookinfo/productpage-v1[Deployment]";
        const details = "bookinfo/details-v1[Deployment]";
        await page.hover(`#matrix td[data-src="${productpage}"][data-dst="${details}"]`);
        assert.ok(await arrowActive(page, productpage, details), "pointing at a cell highlights its arrow");
        assert.match(await page.locator("#matrix-detail").innerText(), /productpage-v1\[Deployment\] → bookinfo\/details-v1\[Deployment\]: allowed as declared\nL3\/4: TCP 9080\nL7: GET \/details\/\*/);
        assert.strictEqual(await page.locator("#graph-detail").innerText(), "Point at an arrow or a dot for its details.", "the graph's panel keeps its hint");
        await page.hover(`#graph .node[data-name="${details}"] circle`);
        assert.strictEqual(await page.locator("#graph-detail").innerText(), `${details}: 1 flow`);
        assert.strictEqual(await page.locator("#matrix-detail").innerText(), "Point at a cell or a difference for its details.", "one panel speaks at a time");
        assert.strictEqual(await page.locator("#graph path.edge.faded").count(), 8, "the other arrows fade");
        assert.deepStrictEqual(errors, [], "no errors while used");
    });

    it("highlights each kind of difference from the declared intent, and shows manifest text as text", async () => {
        const dev = await devObjects();
        const pages = [[...dev, ...undeclaredFlow, ...blockedFlow], [...dev, ...narrowedFlow]].map((objects, index) => {
            const file = path.join(folder, `mistakes-${index}.html`);
            fs.writeFileSync(file, renderPage(reportModel(objects, reachability(objects, { istio: true }), { title: "Mistakes", source: "test" })));
            return file;
        });

        const first = await openPage(browser, pathToFileURL(pages[0]).href);
        assert.deepStrictEqual(first.errors, []);
        const flagged = (await matrixCells(first.page)).filter((line) => !line.includes(": declared |") && !line.includes(": unchecked |"));
        assert.deepStrictEqual(flagged, [
            "bookinfo/productpage-v1[Deployment] → bookinfo/ratings-v1[Deployment]: undeclared | All Connections / all requests",
            "bookinfo/reviews-v1[Deployment] → bookinfo/ratings-v1[Deployment]: blocked | blocked",
            "bookinfo/reviews-v2[Deployment] → bookinfo/ratings-v1[Deployment]: blocked | blocked",
            "bookinfo/reviews-v3[Deployment] → bookinfo/ratings-v1[Deployment]: blocked | blocked",
        ]);
        assert.strictEqual(await first.page.locator("#differences li.undeclared").count(), 1);
        assert.strictEqual(await first.page.locator("#differences li.blocked").count(), 3);
        assert.strictEqual(await first.page.locator("#graph path.edge.blocked").count(), 3, "blocked declared flows are drawn, dashed");
        await first.page.hover("#differences li.undeclared");
        assert.ok(await arrowActive(first.page, "bookinfo/productpage-v1[Deployment]", "bookinfo/ratings-v1[Deployment]"), "pointing at a difference highlights its arrow");
        assert.match(await first.page.locator("#matrix-detail").innerText(), /allowed, not declared\n.*\nService bookinfo\/ratings lets bookinfo\/productpage-v1\[Deployment\] reach/s);

        const second = await openPage(browser, pathToFileURL(pages[1]).href);
        assert.deepStrictEqual(second.errors, []);
        const narrowed = second.page.locator("#matrix td.narrowed");
        assert.strictEqual(await narrowed.count(), 3);
        assert.strictEqual(await narrowed.first().locator(".l7").innerText(), "GET /ratings/<b>*", "a path is shown as written");
        assert.strictEqual(await second.page.locator("#matrix b").count(), 0, "and never parsed as markup");
    });

    it("above 150 workloads: a namespace matrix that loads cleanly, and a click (or Enter) lists a namespace pair's workload pairs", async () => {
        // 400 workloads in 40 namespaces; app-1 (team-0) declares app-0 as its caller, app-2 (team-1) declares none, so app-1's calls into it are undeclared.
        const service = (namespace: string, app: string, callers: unknown[]): KubeObject => ({
            apiVersion: "v1", kind: "Service", metadata: { name: app, namespace, annotations: { "ztmesh.io/declared-callers": JSON.stringify(callers) } } as KubeObject["metadata"],
            spec: { selector: { app }, ports: [{ port: 80, targetPort: 8080 }] },
        });
        const objects = [
            ...syntheticCluster(400),
            service("team-0", "app-1", [{ namespace: "team-0", podLabels: { app: "app-0" }, ports: [8080], methods: ["GET"], paths: ["/api/*"] }]),
            service("team-1", "app-2", []),
        ];
        const file = path.join(folder, "namespaces.html");
        fs.writeFileSync(file, renderPage(reportModel(objects, reachability(objects), { title: "A large cluster", source: "synthetic" })));
        const { page, errors, requests } = await openPage(browser, pathToFileURL(file).href);
        assert.deepStrictEqual(errors, []);
        assert.deepStrictEqual(requests, [pathToFileURL(file).href], "the page loads nothing but itself");
        assert.strictEqual(await page.locator("#namespace-matrix tbody tr").count(), 40, "a row per namespace");
        assert.strictEqual(await page.locator("#matrix, #graph").count(), 0, "no workload matrix, no graph");
        const cell = (from: string, to: string) => page.locator(`#namespace-matrix td[title^="${from} → ${to}:"]`);
        assert.deepStrictEqual(await cell("team-0", "team-1").evaluate((td) => [td.className, td.textContent]), ["cell undeclared", "25"]);
        assert.deepStrictEqual(await cell("team-0", "team-0").evaluate((td) => [td.className, td.textContent]), ["cell declared", "25"]);
        assert.ok(await page.locator("#namespace-matrix").isVisible());
        const rows = () => page.$$eval("#drill-down-pairs tbody tr", (trs) => trs.map((tr) => Array.from(tr.querySelectorAll("td"), (td: { textContent: string | null }) => td.textContent)));

        await cell("team-0", "team-1").click();
        assert.strictEqual(await page.locator("#drill-down-heading").innerText(), "Workload pairs from team-0 to team-1");
        assert.strictEqual(await page.locator("#drill-down-hint").innerText(), "25 workload pairs.");
        const undeclared = await rows();
        assert.strictEqual(undeclared.length, 25);
        assert.deepStrictEqual(undeclared[0].slice(0, 4), ["team-0/w-5[Deployment]", "team-1/w-10[Deployment]", "allowed, not declared", "TCP 8080"]);
        assert.match(undeclared[0][4] ?? "", /^GET \/api\/\*/);
        assert.ok(await page.locator("#drill-down-pairs").isVisible());
        assert.ok(await cell("team-0", "team-1").evaluate((td) => td.classList.contains("active")), "the picked cell is marked");

        await cell("team-0", "team-0").focus();
        await page.keyboard.press("Enter");
        assert.strictEqual(await page.locator("#drill-down-heading").innerText(), "Workload pairs from team-0 to team-0");
        assert.deepStrictEqual([...new Set((await rows()).map((row) => row[2]))], ["allowed as declared"]);

        await page.locator("#differences li.undeclared").first().click();
        assert.strictEqual(await page.locator("#drill-down-heading").innerText(), "Workload pairs from team-0 to team-1", "a difference drills down to its namespaces");
        assert.ok(await page.locator("#drill-down-heading").evaluate((heading) => {
            const { top, bottom } = heading.getBoundingClientRect();
            return top >= 0 && bottom <= heading.ownerDocument.documentElement.clientHeight;
        }), "and brings the pairs into view");
        fs.mkdirSync(screenshots, { recursive: true });
        await page.screenshot({ path: path.join(screenshots, "report-namespaces.png"), fullPage: true });
        assert.deepStrictEqual(errors, [], "no errors while used");
    });

    for (const width of [1000, 1920]) {
        it(`at ${width.toLocaleString("en")} px: no clipped header, nothing over the matrix, the graph across the page with its legend beside it`, async () => {
            const objects = [...(await devObjects()), ...undeclaredFlow, ...blockedFlow];
            const file = path.join(folder, `layout-${width}.html`);
            fs.writeFileSync(file, renderPage(reportModel(objects, reachability(objects, { istio: true }), { title: "Reachability of stack dev, with mistakes", source: "test" })));
            const { page, errors } = await openPage(browser, pathToFileURL(file).href, width);
            // Point at a difference, so the details panels hold the longest text they show.
            await page.hover("#differences li.undeclared");
            fs.mkdirSync(screenshots, { recursive: true });
            await page.screenshot({ path: path.join(screenshots, `report-${width}.png`), fullPage: true });
            assert.deepStrictEqual(errors, []);

            const { pageWidth, contentWidth } = await page.locator("html").evaluate((html) => ({ pageWidth: html.clientWidth, contentWidth: html.scrollWidth }));
            assert.strictEqual(contentWidth, pageWidth, "nothing sticks out to the right of the page");

            // Rotated column headers: each name inside its header cell, clear of the top edge, and the cells inside the page.
            const headers = await boxes(page, "#matrix thead th[scope=col]");
            const names = await boxes(page, "#matrix thead th[scope=col] span");
            const table = (await boxes(page, "#matrix-section .scroll"))[0];
            assert.strictEqual(names.length, 8, "six Bookinfo workloads, the gateway's Deployment and External");
            // The whole matrix fits the page: long request lists wrap inside their cell.
            assert.ok(table.right <= pageWidth, `the matrix ends at ${table.right} px, past the page's ${pageWidth} px`);
            for (const cell of await boxes(page, "#matrix td.cell")) {
                assert.ok(cell.right - cell.left <= 260, `${cell.name} is ${cell.right - cell.left} px wide`);
            }
            names.forEach((name, index) => {
                assert.ok(name.top - headers[index].top >= 8, `${name.name} starts ${name.top - headers[index].top} px below its cell's top edge`);
                assert.ok(name.bottom <= headers[index].bottom && name.left >= headers[index].left && name.right <= headers[index].right, `${name.name} is clipped by its cell`);
                assert.ok(headers[index].top >= table.top && headers[index].top >= 0, `${headers[index].name} starts above the matrix`);
            });
            const rowNames = await page.$$eval("#matrix tbody th", (cells) => cells.filter((cell) => cell.scrollWidth > cell.clientWidth).map((cell) => cell.textContent));
            assert.deepStrictEqual(rowNames, [], "row names are not cut off");

            // The details panels, the legends and the limits never cover a cell of the matrix or the graph.
            // Only what the matrix's scroll box shows can cover anything: cells scrolled out of view are clipped.
            const matrix = clippedTo(await boxes(page, "#matrix th, #matrix td"), table);
            const panels = await boxes(page, ".detail, .legend, #limits");
            assert.ok(panels.length >= 5);
            assert.deepStrictEqual(overlaps(panels, [...matrix, ...(await boxes(page, "#graph"))]), []);

            // The graph takes most of the page, and its legend sits right beside it (to the right when there is room, else above).
            const graph = (await boxes(page, "#graph"))[0];
            assert.ok(graph.right - graph.left >= 0.75 * pageWidth, `the graph is ${graph.right - graph.left} px of ${pageWidth} px`);
            const legend = (await boxes(page, "#graph-section .legend"))[0];
            const beside = legend.left >= graph.right && legend.left - graph.right < 60 && legend.top < graph.bottom;
            const above = legend.bottom <= graph.top && graph.top - legend.bottom < 200;
            assert.ok(beside || above, `legend ${JSON.stringify(legend)} is not next to the graph ${JSON.stringify(graph)}`);
            assert.deepStrictEqual(await page.locator("#graph-section .legend li").allInnerTexts(),
                ["allowed as declared", "allowed, no declared intent", "allowed, not declared", "declared, blocked", "declared, narrowed at L7"]);
        });
    }
});
