import type { RecordedResource } from "../../stacks/offline";
import type { DirectResource } from "./programInput";

const isComponent = (resource: RecordedResource) => resource.type.startsWith("ztmesh:");

/**
 * What a components run registered besides its own components, for the raw program to write
 * again directly: in the order the stack program declared it, component by component (each
 * service's objects together, as a program looping over the same services writes them), with
 * the same dependencies between the objects.
 *
 * The log holds registrations in the order the mocks answered them, and the runtime answers
 * like objects together: every ServiceAccount, then every Service, every VirtualService, ...
 * Written in that order, the same objects registered measurably faster than written service by
 * service (see docs/development.md, the benchmarks), and the comparison counted the order as component
 * overhead. Within a component the log's order stays (the sort is stable), so an object still
 * follows the objects it depends on.
 */
export function directResourcesOf(log: readonly RecordedResource[]): DirectResource[] {
    const declarationOrder = new Map(log.filter(isComponent).map((component, index) => [component.urn, index]));
    const declaredAt = (resource: RecordedResource) => declarationOrder.get(resource.parent) ?? -1;
    const objects = log.filter((resource) => !isComponent(resource)).sort((a, b) => declaredAt(a) - declaredAt(b));
    const indexOf = new Map(objects.map((resource, index) => [resource.urn, index]));
    return objects.map(({ urn, type, inputs, dependencies }, index) => ({
        type,
        inputs,
        dependsOn: dependencies.flatMap((dependency) => {
            const at = indexOf.get(dependency);
            if (at !== undefined && at >= index) {
                throw new Error(`${urn} would be written before ${dependency}, which it depends on`);
            }
            return at === undefined ? [] : [at];
        }),
    }));
}
