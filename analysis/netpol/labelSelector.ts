/**
 * Kubernetes label selectors (`matchLabels` and `matchExpressions`), translated into the Calico
 * selector tree so that one tested evaluator serves both. The two languages agree on the
 * corner that matters: `NotIn` and Calico's `not in` both select objects without the label.
 */
import { SelectorNode } from "../calicoSelector";

interface LabelSelectorRequirement {
    key?: unknown;
    operator?: unknown;
    values?: unknown;
}

export interface LabelSelector {
    matchLabels?: Record<string, unknown>;
    matchExpressions?: LabelSelectorRequirement[];
}

/** The selector as a Calico tree; `{}` selects everything. Throws on an unknown operator. */
export function labelSelectorNode(selector: LabelSelector): SelectorNode {
    const operands: SelectorNode[] = [
        ...Object.entries(selector.matchLabels ?? {}).map(([label, value]): SelectorNode => ({ kind: "compare", label, op: "==", value: String(value) })),
        ...(selector.matchExpressions ?? []).map(requirementNode),
    ];
    if (operands.length === 0) {
        return { kind: "all" };
    }
    return operands.length === 1 ? operands[0] : { kind: "and", operands };
}

function requirementNode(requirement: LabelSelectorRequirement): SelectorNode {
    const label = String(requirement.key);
    const values = Array.isArray(requirement.values) ? requirement.values.map(String) : [];
    switch (requirement.operator) {
        case "In": return { kind: "set", label, op: "in", values };
        case "NotIn": return { kind: "set", label, op: "not in", values };
        case "Exists": return { kind: "has", label };
        case "DoesNotExist": return { kind: "not", operand: { kind: "has", label } };
        default: throw new Error(`unknown matchExpressions operator ${JSON.stringify(requirement.operator)}`);
    }
}
