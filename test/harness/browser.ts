import { execFileSync } from "child_process";
import * as path from "path";
import { Browser, chromium, Page } from "playwright-core";
import { projectRoot } from "./stackConfig";

/** What a page did while it loaded and was used: console errors, uncaught exceptions, requests. */
export interface PageRecord {
    readonly page: Page;
    readonly errors: string[];
    readonly requests: string[];
}

/**
 * A headless Chromium (Debian's, as `bash scripts/browser.sh` installs it; its `--check` finds
 * it or fails with one line saying how to get it, and never installs). Flags: no sandbox
 * (tests run as root in CI), no GPU, and no background traffic, so the only requests are the
 * page's own.
 */
export async function launchBrowser(): Promise<Browser> {
    const executablePath = execFileSync("bash", [path.join(projectRoot, "scripts", "browser.sh"), "--check"], { encoding: "utf8" }).trim();
    return chromium.launch({
        executablePath,
        args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
    });
}

/** Opens `url` in a fresh page of `width` × 1000 px, recording console errors, page errors and every request. */
export async function openPage(browser: Browser, url: string, width = 1400): Promise<PageRecord> {
    const page = await browser.newPage({ viewport: { width, height: 1000 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on("console", (message) => {
        if (message.type() === "error" || message.type() === "warning") {
            errors.push(`console.${message.type()}: ${message.text()}`);
        }
    });
    page.on("pageerror", (error) => errors.push(`uncaught: ${error.message}`));
    page.on("request", (request) => requests.push(request.url()));
    await page.goto(url, { waitUntil: "load" });
    return { page, errors, requests };
}
