/**
 * Calico's selector language (https://docs.tigera.io/calico/latest/reference/resources/networkpolicy#selectors):
 * a parser, an evaluator over label maps, and the canonical printed form. Written by hand
 * because no maintained JavaScript implementation exists; it follows libcalico-go's parser and
 * is checked against that parser's own test vectors (test/conformance/calicoSelector.test.ts).
 *
 *   expr    := or
 *   or      := and ("||" and)*
 *   and     := unary ("&&" unary)*
 *   unary   := "!" unary | primary
 *   primary := "(" expr ")" | "all()" | "global()" | "has(" label ")"
 *            | label ("==" | "!=" | "contains" | "starts with" | "ends with") string
 *            | label ("in" | "not in") "{" [string ("," string)*] "}"
 */

export type Labels = Readonly<Record<string, string>>;

export type SelectorNode =
    | { kind: "all" }
    | { kind: "global" }
    | { kind: "has"; label: string }
    | { kind: "compare"; label: string; op: "==" | "!=" | "contains" | "starts with" | "ends with"; value: string }
    | { kind: "set"; label: string; op: "in" | "not in"; values: string[] }
    | { kind: "not"; operand: SelectorNode }
    | { kind: "and"; operands: SelectorNode[] }
    | { kind: "or"; operands: SelectorNode[] };

/** A selector that does not parse; the message says where. */
export class SelectorSyntaxError extends Error {
    constructor(readonly selector: string, readonly position: number, problem: string) {
        super(`invalid Calico selector ${JSON.stringify(selector)} at character ${position + 1}: ${problem}`);
    }
}

type Token =
    | { type: "punct"; value: "(" | ")" | "{" | "}" | "," | "&&" | "||" | "!" | "==" | "!=" }
    | { type: "word"; value: string }
    | { type: "string"; value: string }
    | { type: "keyword"; value: "all()" | "global()" | "has(" | "in" | "not in" | "contains" | "starts with" | "ends with" }
    | { type: "end" };

interface Positioned { token: Token; position: number }

const labelPattern = /^[a-zA-Z0-9_./-]+/;
const keywordPatterns: [RegExp, Token & { type: "keyword" }][] = [
    [/^all\(\s*\)/, { type: "keyword", value: "all()" }],
    [/^global\(\s*\)/, { type: "keyword", value: "global()" }],
    [/^has\(/, { type: "keyword", value: "has(" }],
    [/^not\s+in\b/, { type: "keyword", value: "not in" }],
    [/^in\b/, { type: "keyword", value: "in" }],
    [/^contains\b/, { type: "keyword", value: "contains" }],
    [/^starts\s*with\b/, { type: "keyword", value: "starts with" }],
    [/^ends\s*with\b/, { type: "keyword", value: "ends with" }],
];

function tokenize(selector: string): Positioned[] {
    const tokens: Positioned[] = [];
    let i = 0;
    while (i < selector.length) {
        const rest = selector.slice(i);
        const space = /^\s+/.exec(rest);
        if (space) {
            i += space[0].length;
            continue;
        }
        const two = rest.slice(0, 2);
        if (two === "&&" || two === "||" || two === "==" || two === "!=") {
            tokens.push({ token: { type: "punct", value: two }, position: i });
            i += 2;
            continue;
        }
        if ("(){},!".includes(rest[0])) {
            tokens.push({ token: { type: "punct", value: rest[0] as "(" }, position: i });
            i += 1;
            continue;
        }
        if (rest[0] === '"' || rest[0] === "'") {
            const end = rest.indexOf(rest[0], 1);
            if (end < 0) {
                throw new SelectorSyntaxError(selector, i, "unterminated string");
            }
            tokens.push({ token: { type: "string", value: rest.slice(1, end) }, position: i });
            i += end + 1;
            continue;
        }
        const keyword = keywordPatterns.find(([pattern]) => pattern.test(rest));
        if (keyword) {
            tokens.push({ token: keyword[1], position: i });
            i += keyword[0].exec(rest)![0].length;
            continue;
        }
        const label = labelPattern.exec(rest);
        if (!label) {
            throw new SelectorSyntaxError(selector, i, `unexpected character ${JSON.stringify(rest[0])}`);
        }
        tokens.push({ token: { type: "word", value: label[0] }, position: i });
        i += label[0].length;
    }
    tokens.push({ token: { type: "end" }, position: selector.length });
    return tokens;
}

class Parser {
    private index = 0;
    constructor(private readonly selector: string, private readonly tokens: Positioned[]) {}

    parse(): SelectorNode {
        if (this.peek().type === "end") {
            return { kind: "all" };
        }
        const node = this.or();
        this.expectEnd();
        return node;
    }

    private peek(): Token {
        return this.tokens[this.index].token;
    }

    private next(): Token {
        return this.tokens[this.index++].token;
    }

    private fail(problem: string): never {
        throw new SelectorSyntaxError(this.selector, this.tokens[Math.min(this.index, this.tokens.length - 1)].position, problem);
    }

    private isPunct(value: string): boolean {
        const token = this.peek();
        return token.type === "punct" && token.value === value;
    }

    private expectPunct(value: string): void {
        if (!this.isPunct(value)) {
            this.fail(`expected ${JSON.stringify(value)}`);
        }
        this.index++;
    }

    private expectEnd(): void {
        if (this.peek().type !== "end") {
            this.fail("unexpected text after the selector");
        }
    }

    private or(): SelectorNode {
        const operands = [this.and()];
        while (this.isPunct("||")) {
            this.index++;
            operands.push(this.and());
        }
        return operands.length === 1 ? operands[0] : { kind: "or", operands };
    }

    private and(): SelectorNode {
        const operands = [this.unary()];
        while (this.isPunct("&&")) {
            this.index++;
            operands.push(this.unary());
        }
        return operands.length === 1 ? operands[0] : { kind: "and", operands };
    }

    private unary(): SelectorNode {
        if (this.isPunct("!")) {
            this.index++;
            return { kind: "not", operand: this.unary() };
        }
        return this.primary();
    }

    private primary(): SelectorNode {
        const token = this.next();
        if (token.type === "punct" && token.value === "(") {
            const inner = this.or();
            this.expectPunct(")");
            return inner;
        }
        if (token.type === "keyword" && (token.value === "all()" || token.value === "global()")) {
            return { kind: token.value === "all()" ? "all" : "global" };
        }
        if (token.type === "keyword" && token.value === "has(") {
            const label = this.next();
            if (label.type !== "word") {
                this.index--;
                this.fail("expected a label name in has()");
            }
            this.expectPunct(")");
            return { kind: "has", label: label.value };
        }
        if (token.type !== "word") {
            this.index--;
            this.fail("expected a label, has(), all() or \"(\"");
        }
        return this.comparison(token.value);
    }

    private comparison(label: string): SelectorNode {
        const op = this.next();
        if (op.type === "punct" && (op.value === "==" || op.value === "!=")) {
            return { kind: "compare", label, op: op.value, value: this.string() };
        }
        if (op.type === "keyword" && (op.value === "contains" || op.value === "starts with" || op.value === "ends with")) {
            return { kind: "compare", label, op: op.value, value: this.string() };
        }
        if (op.type === "keyword" && (op.value === "in" || op.value === "not in")) {
            this.expectPunct("{");
            const values: string[] = [];
            if (!this.isPunct("}")) {
                values.push(this.string());
                while (this.isPunct(",")) {
                    this.index++;
                    values.push(this.string());
                }
            }
            this.expectPunct("}");
            return { kind: "set", label, op: op.value, values };
        }
        this.index--;
        return this.fail(`expected an operator after label ${JSON.stringify(label)}`);
    }

    private string(): string {
        const token = this.next();
        if (token.type !== "string") {
            this.index--;
            this.fail("expected a quoted string");
        }
        return token.value;
    }
}

/** Parses a selector; the empty selector is `all()`. Throws `SelectorSyntaxError`. */
export function parseSelector(selector: string): SelectorNode {
    return new Parser(selector, tokenize(selector)).parse();
}

/** Whether `node` selects an object with `labels`. An absent label fails `==`, `in` and the string tests, and passes `!=` and `not in`. */
export function matches(node: SelectorNode, labels: Labels): boolean {
    switch (node.kind) {
        case "all":
        case "global":
            return true;
        case "has":
            return Object.prototype.hasOwnProperty.call(labels, node.label);
        case "compare": {
            const value = Object.prototype.hasOwnProperty.call(labels, node.label) ? labels[node.label] : undefined;
            switch (node.op) {
                case "==": return value === node.value;
                case "!=": return value !== node.value;
                case "contains": return value !== undefined && value.includes(node.value);
                case "starts with": return value !== undefined && value.startsWith(node.value);
                case "ends with": return value !== undefined && value.endsWith(node.value);
            }
            break;
        }
        case "set": {
            const present = Object.prototype.hasOwnProperty.call(labels, node.label) && node.values.includes(labels[node.label]);
            return node.op === "in" ? present : !present;
        }
        case "not":
            return !matches(node.operand, labels);
        case "and":
            return node.operands.every((operand) => matches(operand, labels));
        case "or":
            return node.operands.some((operand) => matches(operand, labels));
    }
    return false;
}

/**
 * The labels `node` reads. Every term names its label, so two label sets that agree on these
 * are selected alike: the engines group endpoints by them, and labels no selector reads (a
 * version, a pod-template-hash) do not multiply the work.
 */
export function labelsRead(node: SelectorNode): string[] {
    switch (node.kind) {
        case "all":
        case "global":
            return [];
        case "has":
        case "compare":
        case "set":
            return [node.label];
        case "not":
            return labelsRead(node.operand);
        case "and":
        case "or":
            return node.operands.flatMap(labelsRead);
    }
}

function quote(value: string): string {
    return value.includes('"') ? `'${value}'` : `"${value}"`;
}

/** The canonical form Calico prints: single spaces, sorted unique set members, minimal parentheses. */
export function canonical(node: SelectorNode): string {
    const wrap = (child: SelectorNode, when: SelectorNode["kind"][]) => (when.includes(child.kind) ? `(${canonical(child)})` : canonical(child));
    switch (node.kind) {
        case "all": return "all()";
        case "global": return "global()";
        case "has": return `has(${node.label})`;
        case "compare": return `${node.label} ${node.op} ${quote(node.value)}`;
        case "set": return `${node.label} ${node.op} {${[...new Set(node.values)].sort().map(quote).join(", ")}}`;
        case "not": return `!${wrap(node.operand, ["and", "or"])}`;
        case "and": return node.operands.map((operand) => wrap(operand, ["or"])).join(" && ");
        case "or": return node.operands.map((operand) => canonical(operand)).join(" || ");
    }
}

/** Parses and evaluates in one step, for callers that hold a selector string. */
export function selectorMatches(selector: string, labels: Labels): boolean {
    return matches(parseSelector(selector), labels);
}
