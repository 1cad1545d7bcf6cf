/** A cluster that cannot be read: no kubeconfig or context, unreachable, credentials refused, a list forbidden. */
export class LiveClusterError extends Error {}
