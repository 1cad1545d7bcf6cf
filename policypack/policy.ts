import { EnforcementLevel, ReportViolation, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { ConfigKey, RuleConfig, configSchema, isExempt, ruleConfig } from "./config";
import { KubeObject, describe, objectKind } from "./kubernetes";
import { StackModel, buildStackModel } from "./stackModel";

/** Reports one violation: what is wrong with the object, and how to fix it. */
export type Report = (problem: string, fix: string) => void;

interface RuleInfo {
    /** Stable identifier, used in config files and in every message. */
    name: string;
    description: string;
    /** Default: mandatory, since every rule guards zero trust; configurable per stack. */
    enforcementLevel?: EnforcementLevel;
    /** Config keys the rule reads besides `exemptions`. */
    config?: ConfigKey[];
}

function format(object: KubeObject, problem: string, fix: string): string {
    return `${describe(object)} ${problem}. Fix: ${fix}.`;
}

/**
 * A rule over single Kubernetes objects of `kinds` (any API group): the same rule applies to
 * objects a component created and to those a chart rendered.
 */
export function objectRule(info: RuleInfo & { kinds: string[]; validate(object: KubeObject, config: RuleConfig, report: Report): void }): ResourceValidationPolicy {
    return {
        name: info.name,
        description: info.description,
        enforcementLevel: info.enforcementLevel ?? "mandatory",
        configSchema: configSchema(...(info.config ?? [])),
        validateResource: (args, reportViolation: ReportViolation) => {
            const kind = objectKind(args.type);
            if (kind === undefined || !info.kinds.includes(kind)) {
                return;
            }
            const object = args.props as KubeObject;
            const config = ruleConfig(args.getConfig);
            if (isExempt(object, config.exemptions)) {
                return;
            }
            info.validate(object, config, (problem, fix) => reportViolation(format(object, problem, fix)));
        },
    };
}

/** A rule over the whole stack, given as a model of its objects (see stackModel.ts). */
export function stackRule(info: RuleInfo & { validate(model: StackModel, config: RuleConfig, report: (object: KubeObject, urn: string, problem: string, fix: string) => void): void }): StackValidationPolicy {
    return {
        name: info.name,
        description: info.description,
        enforcementLevel: info.enforcementLevel ?? "mandatory",
        configSchema: configSchema(...(info.config ?? [])),
        validateStack: (args, reportViolation: ReportViolation) => {
            const config = ruleConfig(args.getConfig);
            const model = buildStackModel(args.resources);
            info.validate(model, config, (object, urn, problem, fix) => {
                if (!isExempt(object, config.exemptions)) {
                    reportViolation(format(object, problem, fix), urn);
                }
            });
        },
    };
}
