import * as fs from "fs";
import type { EngineEvent, OpType, StepEventMetadata } from "@pulumi/pulumi/automation";

/**
 * One step of a Pulumi update as its engine event log tells it (`pulumi up --event-log FILE`,
 * one JSON `EngineEvent` a line, the format the Automation API reads): the resource, what the
 * step did, the inputs before and after, and when it began and ended. The engine numbers its
 * events in the order it emits them, and emits a step's `resourcePreEvent` before the provider
 * is called and its `resOutputsEvent` once the provider has finished, so `finished` of one step
 * below `started` of another means the first change was on the server before the second began.
 */
export interface Step {
    readonly op: OpType;
    readonly urn: string;
    readonly type: string;
    /** The inputs before the step (none for a create). */
    readonly before?: Record<string, any>;
    /** The inputs after the step (none for a delete). */
    readonly after?: Record<string, any>;
    /** The sequence number of its `resourcePreEvent`. */
    readonly started: number;
    /** The sequence number of its `resOutputsEvent`, or Infinity when it failed or never ended. */
    readonly finished: number;
}

/** The engine adds `--event-log` only when debug commands are on (pkg/cmd/pulumi/operations/up.go). */
export const eventLogEnv: NodeJS.ProcessEnv = { PULUMI_DEBUG_COMMANDS: "true" };

/** The `pulumi` arguments that write the engine's events of `up` to `file`. */
export const withEventLog = (args: string[], file: string): string[] => [...args, "--event-log", file];

/** The engine events of an event-log file, in sequence order; names the file and line of one that is not JSON. */
export function readEngineEvents(file: string): EngineEvent[] {
    const lines = fs.readFileSync(file, "utf8").split("\n").filter((line) => line.trim() !== "");
    return lines.map((line, index) => {
        try {
            return JSON.parse(line) as EngineEvent;
        } catch (error) {
            throw new Error(`${file}:${index + 1}: not an engine event (${(error as Error).message})`);
        }
    }).sort((a, b) => a.sequence - b.sequence);
}

/**
 * The steps of an update that touch the stack's resources, in the order they began. Previews
 * (`planning`) and logical markers (the `replace` between a create-replacement and its
 * delete-replaced) change nothing and are left out; so are reads and refreshes.
 */
export function stepsOf(events: EngineEvent[]): Step[] {
    const changing: OpType[] = ["same", "create", "update", "delete", "create-replacement", "delete-replaced", "import", "import-replacement", "discard", "discard-replaced"];
    const key = (metadata: StepEventMetadata) => `${metadata.op} ${metadata.urn}`;
    const finished = new Map<string, number>();
    for (const event of events) {
        if (event.resOutputsEvent && !event.resOutputsEvent.planning) {
            finished.set(key(event.resOutputsEvent.metadata), event.sequence);
        }
    }
    return events.flatMap((event) => {
        const pre = event.resourcePreEvent;
        if (!pre || pre.planning || !changing.includes(pre.metadata.op)) {
            return [];
        }
        const { op, urn, type } = pre.metadata;
        return [{ op, urn, type, before: pre.metadata.old?.inputs, after: pre.metadata.new?.inputs, started: event.sequence, finished: finished.get(key(pre.metadata)) ?? Infinity }];
    });
}

/** The steps of the update whose event log is `file`. */
export const readSteps = (file: string): Step[] => stepsOf(readEngineEvents(file));
