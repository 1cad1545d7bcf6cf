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
import { blockedFlow, devObjects, narrowedFlow, undeclaredFlow } from "./fixtures";

/** Every filled matrix cell as `src → dst: status | what the cell shows`. */
async function matrixCells(page: Page): Promise<string[]> {
    return page.$$eval("#matrix td.cell", (cells) => cells.map((cell) => {
        const status = ["declared", "undeclared", "blocked", "narrowed", "unchecked"].find((s) => cell.classList.contains(s));
        const shown = Array.from(cell.querySelectorAll(".l4, .l7"), (span: { textContent: string | null }) => span.textContent).join(" / ");
        return `${cell.getAttribute("data-src")} → ${cell.getAttribute("data-dst")}: ${status} | ${shown}`;
    }));
}

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
        assert.match(printed, /^wrote .*dev\.html: 6 workloads, 7 allowed flows, 0 differences from the declared intent/);
        const { page, errors, requests }: PageRecord = await openPage(browser, pathToFileURL(file).href);
        assert.deepStrictEqual(errors, [], "no console errors or uncaught exceptions");
        assert.deepStrictEqual(requests, [pathToFileURL(file).href], "the page loads nothing but itself");
        assert.deepStrictEqual(await matrixCells(page), [
            "bookinfo/productpage-v1[Deployment] → bookinfo/details-v1[Deployment]: declared | TCP 9080 / GET /details/*",
            "bookinfo/productpage-v1[Deployment] → bookinfo/reviews-v1[Deployment]: declared | TCP 9080 / GET /reviews/*",
            "bookinfo/productpage-v1[Deployment] → bookinfo/reviews-v2[Deployment]: declared | TCP 9080 / GET /reviews/*",
            "bookinfo/productpage-v1[Deployment] → bookinfo/reviews-v3[Deployment]: declared | TCP 9080 / GET /reviews/*",
            "bookinfo/reviews-v1[Deployment] → bookinfo/ratings-v1[Deployment]: declared | TCP 9080 / GET /ratings/*",
            "bookinfo/reviews-v2[Deployment] → bookinfo/ratings-v1[Deployment]: declared | TCP 9080 / GET /ratings/*",
            "bookinfo/reviews-v3[Deployment] → bookinfo/ratings-v1[Deployment]: declared | TCP 9080 / GET /ratings/*",
        ]);
        assert.strictEqual(await page.locator("#matrix tbody tr").count(), 6, "a row per workload");
        assert.strictEqual(await page.locator("#matrix tbody td").count(), 36, "a 6 x 6 matrix");
        assert.strictEqual(await page.locator("#differences p").innerText(), "The allowed flows are exactly the declared ones.");
        assert.strictEqual(await page.locator("#graph .node").count(), 6);
        assert.strictEqual(await page.locator("#graph path.edge.declared").count(), 7);
        assert.ok(await page.locator("#graph").isVisible());

        const productpage = "bookinfo/productpage-v1[Deployment]";
        const details = "bookinfo/details-v1[Deployment]";
        await page.hover(`#matrix td[data-src="${productpage}"][data-dst="${details}"]`);
        assert.ok(await arrowActive(page, productpage, details), "pointing at a cell highlights its arrow");
        assert.match(await page.locator("#detail").innerText(), /productpage-v1\[Deployment\] → bookinfo\/details-v1\[Deployment\]: allowed as declared\nL3\/4: TCP 9080\nL7: GET \/details\/\*/);
        await page.hover(`#graph .node[data-name="${details}"] circle`);
        assert.strictEqual(await page.locator("#detail").innerText(), `${details}: 1 flow`);
        assert.strictEqual(await page.locator("#graph path.edge.faded").count(), 6, "the other arrows fade");
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
        const flagged = (await matrixCells(first.page)).filter((line) => !line.includes(": declared |"));
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
        assert.match(await first.page.locator("#detail").innerText(), /allowed, not declared\n.*\nService bookinfo\/ratings lets bookinfo\/productpage-v1\[Deployment\] reach/s);

        const second = await openPage(browser, pathToFileURL(pages[1]).href);
        assert.deepStrictEqual(second.errors, []);
        const narrowed = second.page.locator("#matrix td.narrowed");
        assert.strictEqual(await narrowed.count(), 3);
        assert.strictEqual(await narrowed.first().locator(".l7").innerText(), "POST /ratings/<b>*", "a path is shown as written");
        assert.strictEqual(await second.page.locator("#matrix b").count(), 0, "and never parsed as markup");
    });
});
