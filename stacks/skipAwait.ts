import * as pulumi from "@pulumi/pulumi";

/** Kubernetes types that expand into objects and take a `skipAwait` argument of their own. */
const expandingTypes = new Set(["kubernetes:helm.sh/v4:Chart", "kubernetes:yaml/v2:ConfigFile", "kubernetes:yaml/v2:ConfigGroup"]);

/**
 * A transform for `ztmesh:cluster.skipAwait`: every Kubernetes object is created without
 * waiting for it to become ready (the provider's `pulumi.com/skipAwait` annotation, or the
 * `skipAwait` argument of charts and manifests), and deleted in the background (as kubectl
 * does) rather than in the foreground, where the provider waits until the cluster's garbage
 * collector has removed every dependent. For clusters that cannot run the workloads yet — no
 * nodes, a bootstrap that a GitOps tool finishes — where `pulumi up` would otherwise wait for
 * Deployments and Services until it times out.
 */
const skipAwaitAnnotations = { "pulumi.com/skipAwait": "true", "pulumi.com/deletionPropagationPolicy": "background" };

export const skipAwait: pulumi.ResourceTransform = (args) => {
    if (expandingTypes.has(args.type)) {
        return { props: { ...args.props, skipAwait: true }, opts: args.opts };
    }
    if (!args.custom || !args.type.startsWith("kubernetes:") || args.type.startsWith("kubernetes:helm.sh") || args.type.startsWith("pulumi:providers:")) {
        return undefined;
    }
    const metadata = args.props.metadata ?? {};
    return {
        props: { ...args.props, metadata: { ...metadata, annotations: { ...metadata.annotations, ...skipAwaitAnnotations } } },
        opts: args.opts,
    };
};
