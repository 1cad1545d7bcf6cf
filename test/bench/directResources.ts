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
    const objects = afterTheirDependencies(log.filter((resource) => !isComponent(resource)).sort((a, b) => declaredAt(a) - declaredAt(b)), declaredAt);
    const indexOf = new Map(objects.map((resource, index) => [resource.urn, index]));
    return objects.map(({ type, inputs, dependencies }) => ({
        type,
        inputs,
        dependsOn: dependencies.flatMap((dependency) => {
            const at = indexOf.get(dependency);
            return at === undefined ? [] : [at];
        }),
    }));
}

/**
 * `objects` (sorted by component) in their order, except that an object waiting for objects of
 * a component declared after its own (the baseline's enforcing denies wait for the services'
 * allows) follows that component's objects, which stay together. Fails for an object that
 * would never be written: one that waits, through others, for itself.
 */
function afterTheirDependencies(objects: readonly RecordedResource[], componentOf: (resource: RecordedResource) => number): RecordedResource[] {
    const present = new Set(objects.map((resource) => resource.urn));
    const ordered: RecordedResource[] = [];
    const placed = new Set<string>();
    let deferred: RecordedResource[] = [];
    const ready = (resource: RecordedResource) => resource.dependencies.every((dependency) => !present.has(dependency) || placed.has(dependency));
    const place = (resource: RecordedResource) => {
        ordered.push(resource);
        placed.add(resource.urn);
    };
    /** Writes the deferred objects whose dependencies are all written, until none is left that can be. */
    const release = () => {
        for (let found = true; found;) {
            const next = deferred.find(ready);
            found = next !== undefined;
            if (next) {
                deferred = deferred.filter((resource) => resource !== next);
                place(next);
            }
        }
    };
    objects.forEach((resource, index) => {
        if (ready(resource)) {
            place(resource);
        } else {
            deferred.push(resource);
        }
        if (index === objects.length - 1 || componentOf(objects[index + 1]) !== componentOf(resource)) {
            release();
        }
    });
    if (deferred.length > 0) {
        const [first] = deferred;
        throw new Error(`${first.urn} would never be written: it waits for ${first.dependencies.find((dependency) => present.has(dependency) && !placed.has(dependency))}, which waits for it`);
    }
    return ordered;
}

