/**
 * Istio's dry-run annotation: an AuthorizationPolicy annotated `istio.io/dry-run: "true"` is
 * installed as shadow rules, which only log and count what the policy would decide; proxies
 * enforce it as if it were absent (istio.io docs: security/authorization/dry-run). The value
 * is read as Go's strconv.ParseBool reads it, as istiod does.
 */
import { dryRunAnnotation } from "../../common/wellKnown";

export { dryRunAnnotation };

export function isDryRun(object: { metadata?: object }): boolean {
    const annotations = (object.metadata as { annotations?: Record<string, unknown> } | undefined)?.annotations;
    return ["1", "t", "T", "true", "TRUE", "True"].includes(String(annotations?.[dryRunAnnotation]));
}
