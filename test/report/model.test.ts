import * as assert from "assert";
import { KubeObject } from "../../analysis/manifests";
import { reachability } from "../../analysis/reach";
import { reportModel, ReportModel } from "../../analysis/report/model";
import { analysisLimits } from "../../analysis/report/limits";
import { renderPage } from "../../analysis/report/page";
import { consoleSummary, summarySentence } from "../../analysis/report/words";
import { blockedFlow, devObjects, narrowedFlow, undeclaredFlow } from "./fixtures";

function modelOf(objects: KubeObject[]): ReportModel {
    return reportModel(objects, reachability(objects, { istio: true }), { title: "Reachability", source: "test" });
}

/** Cells as `src → dst: status connections [requests]`, for compact comparison. */
const cellLines = (model: ReportModel, keep: (status: string) => boolean = () => true) => model.cells
    .filter((cell) => keep(cell.status))
    .map((cell) => `${cell.src} → ${cell.dst}: ${cell.status} ${cell.connections ?? "-"}${cell.requests ? ` [${cell.requests}]` : ""}`);

const deployment = (name: string, namespace: string, labels: Record<string, string>): KubeObject => ({
    apiVersion: "apps/v1", kind: "Deployment", metadata: { name, namespace },
    spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name, image: "app", ports: [{ containerPort: 8080 }] }] } } },
});

describe("reachability report: the model", () => {
    let dev: KubeObject[];
    before(async () => {
        dev = await devObjects();
    });

    it("dev: every workload, the gateway's public entry, the eight declared flows with their requests, no differences", () => {
        const model = modelOf(dev);
        assert.deepStrictEqual(model.endpoints.map((e) => e.name), [
            "0.0.0.0-255.255.255.255[External]",
            "bookinfo/details-v1[Deployment]", "bookinfo/productpage-v1[Deployment]", "bookinfo/ratings-v1[Deployment]",
            "bookinfo/reviews-v1[Deployment]", "bookinfo/reviews-v2[Deployment]", "bookinfo/reviews-v3[Deployment]",
            "istio-ingress/mesh-gateway-istio[Deployment]",
        ]);
        assert.deepStrictEqual(cellLines(model), [
            "0.0.0.0-255.255.255.255[External] → istio-ingress/mesh-gateway-istio[Deployment]: unchecked TCP 80,443,15021 [all requests]",
            "bookinfo/productpage-v1[Deployment] → bookinfo/details-v1[Deployment]: declared TCP 9080 [GET /details/*]",
            "bookinfo/productpage-v1[Deployment] → bookinfo/reviews-v1[Deployment]: declared TCP 9080 [GET /reviews/*]",
            "bookinfo/productpage-v1[Deployment] → bookinfo/reviews-v2[Deployment]: declared TCP 9080 [GET /reviews/*]",
            "bookinfo/productpage-v1[Deployment] → bookinfo/reviews-v3[Deployment]: declared TCP 9080 [GET /reviews/*]",
            "bookinfo/reviews-v1[Deployment] → bookinfo/ratings-v1[Deployment]: declared TCP 9080 [GET /ratings/*]",
            "bookinfo/reviews-v2[Deployment] → bookinfo/ratings-v1[Deployment]: declared TCP 9080 [GET /ratings/*]",
            "bookinfo/reviews-v3[Deployment] → bookinfo/ratings-v1[Deployment]: declared TCP 9080 [GET /ratings/*]",
            "istio-ingress/mesh-gateway-istio[Deployment] → bookinfo/productpage-v1[Deployment]: declared TCP 9080 [* /api/v1/products,/api/v1/products/*,/login,/logout,/productpage,/static,/static/*]",
        ]);
        assert.strictEqual(model.declaredServices, 4);
        assert.deepStrictEqual(model.differences, []);
    });

    it("dev: the public route to productpage, through the gateway, with its hostname and paths, allowed end to end", () => {
        const model = modelOf(dev);
        const toProductpage = model.publicRoutes.filter((route) => route.backend === "Service bookinfo/productpage:9080");
        assert.strictEqual(toProductpage.length, 1);
        assert.deepStrictEqual(toProductpage[0].urls, ["/productpage", "/static", "/static/*", "/login", "/logout", "/api/v1/products", "/api/v1/products/*"]
            .map((path) => `https://bookinfo.ztmesh.local${path}`));
        assert.strictEqual(toProductpage[0].gateway, "Gateway istio-ingress/mesh-gateway");
        assert.deepStrictEqual(toProductpage[0].via, ["istio-ingress/mesh-gateway-istio[Deployment]"]);
        assert.deepStrictEqual(toProductpage[0].destinations.map((d) => `${d.workload} ${d.port} ${d.status}`), ["bookinfo/productpage-v1[Deployment] 9080 allowed"]);
        // The HTTP listener only redirects.
        assert.ok(model.publicRoutes.some((route) => route.backend === "redirect to https" && route.urls[0] === "http://*/*"));
        const page = renderPage(model);
        assert.match(page, /<section id="public-routes"><h2>Public routes<\/h2>/);
        assert.match(page, /<code>https:\/\/bookinfo\.ztmesh\.local\/productpage<\/code>/);
    });

    it("marks a flow nobody declared, and names the Service whose intent it breaks", () => {
        const model = modelOf([...dev, ...undeclaredFlow]);
        assert.deepStrictEqual(cellLines(model, (s) => s !== "declared" && s !== "unchecked"), [
            "bookinfo/productpage-v1[Deployment] → bookinfo/ratings-v1[Deployment]: undeclared All Connections [all requests]",
        ]);
        assert.deepStrictEqual(model.differences.map((d) => `${d.status}: ${d.text}`), [
            "undeclared: Service bookinfo/ratings lets bookinfo/productpage-v1[Deployment] reach bookinfo/ratings-v1[Deployment] (All Connections), which no declared caller covers",
        ]);
        assert.strictEqual(model.differences[0].because, "egress of bookinfo/productpage-v1[Deployment]: everything allowed by NetworkPolicy bookinfo/allow-same-namespace rule 1; "
            + "ingress of bookinfo/ratings-v1[Deployment]: everything allowed by NetworkPolicy bookinfo/allow-same-namespace rule 1; "
            + "sidecar of bookinfo/ratings-v1[Deployment]: ALLOW by AuthorizationPolicy bookinfo/ratings-from-productpage");
    });

    it("adds a cell for each declared flow that is blocked, though nothing flows there", () => {
        const model = modelOf([...dev, ...blockedFlow]);
        assert.deepStrictEqual(cellLines(model, (s) => s !== "declared" && s !== "unchecked"), [1, 2, 3].map((v) =>
            `bookinfo/reviews-v${v}[Deployment] → bookinfo/ratings-v1[Deployment]: blocked -`));
        assert.ok(model.differences.every((d) => d.status === "blocked" && d.text.endsWith("but TCP 9080 is blocked")));
        assert.match(model.differences[0].because ?? "", /^egress of bookinfo\/reviews-v1\[Deployment\]: everything denied by GlobalNetworkPolicy default\.deny-reviews-egress rule 1; ingress of bookinfo\/ratings-v1\[Deployment\]: TCP 9080 allowed by NetworkPolicy bookinfo\/ratings rule 1, the rest denied at the end of tier default; /);
    });

    it("marks a declared flow whose declared requests layer 7 no longer admits", () => {
        const model = modelOf([...dev, ...narrowedFlow]);
        assert.deepStrictEqual(cellLines(model, (s) => s !== "declared" && s !== "unchecked"), [1, 2, 3].map((v) =>
            `bookinfo/reviews-v${v}[Deployment] → bookinfo/ratings-v1[Deployment]: narrowed TCP 9080 [GET /ratings/<b>*]`));
        assert.match(model.differences[0].because ?? "", /; sidecar of bookinfo\/ratings-v1\[Deployment\]: ALLOW by AuthorizationPolicy bookinfo\/ratings, DENY by AuthorizationPolicy bookinfo\/ratings-deny-get$/);
    });

    it("without declared intent, every flow is unchecked and the page says there is nothing to compare", () => {
        const model = modelOf([deployment("a", "apps", { app: "a" }), deployment("b", "apps", { app: "b" })]);
        assert.deepStrictEqual(cellLines(model), [
            "0.0.0.0-255.255.255.255[External] → apps/a[Deployment]: unchecked All Connections",
            "0.0.0.0-255.255.255.255[External] → apps/b[Deployment]: unchecked All Connections",
            "apps/a[Deployment] → 0.0.0.0-255.255.255.255[External]: unchecked All Connections",
            "apps/a[Deployment] → apps/b[Deployment]: unchecked All Connections",
            "apps/b[Deployment] → 0.0.0.0-255.255.255.255[External]: unchecked All Connections",
            "apps/b[Deployment] → apps/a[Deployment]: unchecked All Connections",
        ]);
        assert.deepStrictEqual(model.endpoints.map((e) => [e.name, e.namespace]), [["0.0.0.0-255.255.255.255[External]", ""], ["apps/a[Deployment]", "apps"], ["apps/b[Deployment]", "apps"]]);
        assert.strictEqual(model.declaredServices, 0);
        assert.match(renderPage(model), /<p class="none">No Service declares its callers \(annotation ztmesh\.io\/declared-callers, written by MeshService\), so there is no intent to compare\.<\/p>/);
        assert.strictEqual(consoleSummary(model).split("\n")[1], "  No Service declares its callers (annotation ztmesh.io/declared-callers, written by MeshService), so there is no intent to compare.");
    });
});

describe("reachability report: the words of the page and the console", () => {
    it("counts workloads, address ranges, flows, Services and differences in correctly plural words", () => {
        const one = modelOf([deployment("a", "apps", { app: "a" })]);
        assert.strictEqual(summarySentence(one), "test: 1 workload and 1 address range outside the cluster, 2 allowed flows, 0 Services with declared callers, 0 differences from the declared intent.");
    });

    it("says the same on the console as on the page: the summary, each difference with its status label and what decided it, the limits", async () => {
        const model = reportModel([...(await devObjects()), ...undeclaredFlow], [], { title: "t", source: "dev", limits: ["Charts are not expanded."] });
        assert.deepStrictEqual(model.limits, [...analysisLimits, "Charts are not expanded."], "the source's own limits come last");
        const withFlows = modelOf([...(await devObjects()), ...undeclaredFlow]);
        const lines = consoleSummary(withFlows).split("\n");
        assert.strictEqual(lines[0], "test: 7 workloads and 1 address range outside the cluster, 10 allowed flows, 4 Services with declared callers, 1 difference from the declared intent.");
        assert.strictEqual(lines[1], "  allowed, not declared: Service bookinfo/ratings lets bookinfo/productpage-v1[Deployment] reach bookinfo/ratings-v1[Deployment] (All Connections), which no declared caller covers");
        assert.match(lines[2], /^ {4}egress of bookinfo\/productpage-v1\[Deployment\]: everything allowed by NetworkPolicy bookinfo\/allow-same-namespace rule 1;/);
        assert.deepStrictEqual(lines.slice(3), ["What this report cannot know:", ...analysisLimits.map((limit) => `  - ${limit}`), ""]);
        const html = renderPage(withFlows);
        assert.ok(html.includes(`<p id="summary">${lines[0]}</p>`));
        assert.strictEqual(html.match(/What this report cannot know/g)?.length, 1, "the limits are stated once");
    });
});

describe("reachability report: the page", () => {
    it("escapes what manifests wrote, and loads nothing from elsewhere", async () => {
        const html = renderPage(modelOf([...(await devObjects()), ...narrowedFlow]));
        assert.ok(html.includes("GET /ratings/&#60;b&#62;*"), "the path is shown as text");
        assert.ok(!html.includes("<b>"), "no markup from a manifest reaches the page");
        assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">/);
        assert.doesNotMatch(html, /\s(src|href)=/, "no external scripts, styles or links");
    });

    it("keeps the graph's names at least 10 px high where it is drawn across the page, however many endpoints", () => {
        const workloads = (count: number) => Array.from({ length: count }, (_, i) => deployment(`w${i}`, "apps", { app: `w${i}` }));
        // The graph's width on a 1,000 px page (legend above it) and on a 1,920 px page (legend beside it).
        const drawn = (count: number, pageWidth: number) => {
            const svg = /<svg id="graph"[^>]* viewBox="0 0 ([\d.]+) [\d.]+" font-size="([\d.]+)"/.exec(renderPage(reportModel(workloads(count), [], { title: "t", source: "s" })));
            assert.ok(svg, "the graph has a viewBox and a font size");
            return (Number(svg[2]) * pageWidth) / Number(svg[1]);
        };
        assert.ok(drawn(6, 952) >= 10, `${drawn(6, 952)} px`);
        for (const count of [6, 40, 150]) {
            assert.ok(drawn(count, 1600) >= 10, `${count} endpoints: ${drawn(count, 1600)} px`);
        }
    });

    it("by namespace, keeps what manifests wrote out of markup and out of the closing of its data", () => {
        // 151 workloads in a meshed namespace, reached on a path that tries to end the page's data and run a script.
        const path = "/x</script><script>alert(1)</script>";
        const objects: KubeObject[] = [
            { apiVersion: "v1", kind: "Namespace", metadata: { name: "apps", labels: { "istio-injection": "enabled" } } },
            ...Array.from({ length: 151 }, (_, i) => deployment(`w${i}`, "apps", { app: `w${i}` })),
            {
                apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: "w0", namespace: "apps" },
                spec: { selector: { matchLabels: { app: "w0" } }, rules: [{ to: [{ operation: { paths: [path] } }] }] },
            },
        ];
        const html = renderPage(modelOf(objects));
        assert.match(html, /<table id="namespace-matrix"/);
        assert.strictEqual(html.match(/<\/script>/g)?.length, 2, "the data's element and the page's script close once each");
        assert.doesNotMatch(html, /<script>alert/);
        const data = JSON.parse(/<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1]) as { texts: string[] };
        assert.ok(data.texts.some((text) => text.includes(path)), "the path is kept as written, for the drill-down to show as text");
    });

    it("by namespace, lists the first 1,000 differences and counts the rest", () => {
        // 1,100 workloads that call nothing, behind Services that declare no caller: each is reached from outside, undeclared.
        const objects: KubeObject[] = Array.from({ length: 1100 }, (_, i): KubeObject[] => [
            ...(i % 10 === 0 ? [{ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "no-egress", namespace: `team-${i / 10}` }, spec: { podSelector: {}, policyTypes: ["Egress"] } }] : []),
            deployment(`w${i}`, `team-${Math.floor(i / 10)}`, { app: `w${i}` }),
            {
                apiVersion: "v1", kind: "Service", metadata: { name: `w${i}`, namespace: `team-${Math.floor(i / 10)}`, annotations: { "ztmesh.io/declared-callers": "[]" } } as KubeObject["metadata"],
                spec: { selector: { app: `w${i}` }, ports: [{ port: 8080 }] },
            },
        ]).flat();
        const model = reportModel(objects, reachability(objects), { title: "t", source: "s" });
        assert.strictEqual(model.differences.length, 1100);
        const html = renderPage(model);
        assert.strictEqual(html.match(/<li class="undeclared"/g)?.length, 1000);
        assert.match(html, /<p class="none" id="more-differences">The first 1,000 of 1,100 differences: the matrix marks the namespace pairs of every one/);
        assert.match(html, /<td class="cell undeclared" data-from="0" data-to="1" title="outside the cluster → team-0: 10 workload pairs: 10 allowed, not declared"/);
    });

    it("draws the workload matrix and graph up to 150 endpoints, and above shows namespaces instead", () => {
        const workloads = (count: number) => Array.from({ length: count }, (_, i) => deployment(`w${i}`, "apps", { app: `w${i}` }));
        const small = renderPage(reportModel(workloads(150), [], { title: "t", source: "s" }));
        assert.strictEqual(small.match(/<g class="node"/g)?.length, 150);
        assert.strictEqual(small.match(/<th scope="row">/g)?.length, 150);
        const large = renderPage(reportModel(workloads(151), [], { title: "t", source: "s" }));
        assert.doesNotMatch(large, /<svg|<table id="matrix"/);
        assert.match(large, /<table id="namespace-matrix" class="matrix">.*<th scope="row">apps<\/th><td><\/td><\/tr>/s);
        assert.match(large, /151 workloads are more than a matrix of workloads shows legibly \(it is drawn up to 150 workloads and address ranges\)/);
    });
});
