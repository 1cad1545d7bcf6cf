import { ResourceValidationPolicy } from "@pulumi/policy";
import { RuleConfig } from "../config";
import { KubeObject, podTemplateOf } from "../kubernetes";
import { Report, objectRule } from "../policy";

const chartTypes = ["kubernetes:helm.sh/v4:Chart", "kubernetes:helm.sh/v3:Chart", "kubernetes:helm.sh/v3:Release"];
const exactVersion = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

/** A chart on disk (directory or archive): it carries its own version. */
function isLocalChart(chart: string): boolean {
    return /^(\.{0,2}\/|file:\/\/)/.test(chart) || chart.endsWith(".tgz");
}

export const helmChartPinnedVersion: ResourceValidationPolicy = {
    name: "helm-chart-pinned-version",
    description: "Every Helm chart fetched from a repository names an exact version: a range or no version lets the installed software change between two deployments.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (!chartTypes.includes(args.type)) {
            return;
        }
        // A helm.v4.Chart is a component the provider implements: the engine hands policy packs
        // none of its inputs (props is {}), so there is no chart and version to judge. Its
        // rendered objects are still checked by every other rule; ztmesh's own charts are
        // pinned in code (components/charts.ts always sets a version).
        if (args.props.chart === undefined) {
            return;
        }
        const chart: string = args.props.chart;
        const version: string | undefined = args.props.version;
        if (isLocalChart(chart) || (version !== undefined && exactVersion.test(version))) {
            return;
        }
        const found = version === undefined ? "no version" : `version "${version}", which is not exact`;
        reportViolation(`Chart ${args.name} (${chart}) has ${found}. Fix: pin an exact chart version (ztmesh pins its charts in components/versions.ts).`);
    },
};

/** Whether an image reference names a tag other than `latest`, or a digest. */
function isPinnedImage(image: string): boolean {
    if (image.includes("@sha256:")) {
        return true;
    }
    const lastSegment = image.slice(image.lastIndexOf("/") + 1);
    const tag = lastSegment.includes(":") ? lastSegment.slice(lastSegment.indexOf(":") + 1) : undefined;
    return tag !== undefined && tag !== "latest";
}

export const containerImagesPinned = objectRule({
    name: "container-images-pinned",
    description: "Container images name a tag other than `latest` (better: a digest), so what runs is what was reviewed.",
    enforcementLevel: "advisory",
    kinds: ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"],
    validate(object: KubeObject, _config: RuleConfig, report: Report) {
        const spec = podTemplateOf(object)?.spec ?? {};
        for (const container of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
            if (container.image !== undefined && !isPinnedImage(container.image)) {
                report(`runs image "${container.image}" without a fixed tag`, "use an exact tag or an @sha256 digest");
            }
        }
    },
});

export const supplyChainRules = [helmChartPinnedVersion, containerImagesPinned];
