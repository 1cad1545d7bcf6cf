/** Reads observed-flow files in every format ztmesh knows (observedFlow.ts). */
import { goldmaneFlowFormat, whiskerFlowFormat } from "./calicoFlows";
import { envoyAccessLogFormat } from "./envoyAccessLog";
import { ObservedFlow, readObservedFlows } from "./observedFlow";
import { ztmeshFlowFormat } from "./ztmeshFlows";

const formats = [ztmeshFlowFormat, goldmaneFlowFormat, whiskerFlowFormat, envoyAccessLogFormat];

/** The flows of `paths`, each file's records in any of the formats; skipped records are counted in `warn`. */
export function readObserved(paths: readonly string[], warn: (message: string) => void, maxFileBytes?: number): ObservedFlow[] {
    return readObservedFlows(paths, formats, warn, maxFileBytes);
}
