/**
 * The TypeScript examples of the documentation, typechecked as a reader would use them: each
 * ```ts block is a module of its own that imports the package by its name ("ztmesh"), which is
 * mapped to this checkout's `components/index.ts`.
 */
import * as path from "path";
import * as ts from "typescript";

export interface Snippet {
    /** The Markdown file, relative to the project root. */
    file: string;
    /** 1-based line of the opening fence. */
    line: number;
    code: string;
}

/**
 * The ```ts (or ```typescript) blocks of one Markdown text. Written by hand rather than with a
 * Markdown parser: fenced blocks at the start of a line are the only syntax needed, and the
 * documentation uses no indented or nested fences.
 */
export function extractSnippets(file: string, markdown: string): Snippet[] {
    const snippets: Snippet[] = [];
    let open: { line: number; lines: string[] } | undefined;
    let otherFence = false;
    markdown.split("\n").forEach((text, index) => {
        if (open) {
            if (/^```\s*$/.test(text)) {
                snippets.push({ file, line: open.line, code: open.lines.join("\n") });
                open = undefined;
            } else {
                open.lines.push(text);
            }
        } else if (/^```/.test(text)) {
            if (!otherFence && /^```(ts|typescript)\s*$/.test(text)) {
                open = { line: index + 1, lines: [] };
            } else {
                otherFence = !otherFence;
            }
        }
    });
    if (open) throw new Error(`${file}:${open.line}: the \`\`\`ts block is never closed`);
    return snippets;
}

/**
 * Typechecks every snippet in one program and returns one line per problem, as
 * `<file>:<line>: <message>` with the line in the Markdown file. Each snippet becomes a virtual
 * file beside its Markdown file (so "@pulumi/pulumi" resolves from the project's node_modules)
 * whose lines before the block are blank, which makes its line numbers the Markdown's.
 */
export function typecheckSnippets(projectRoot: string, snippets: Snippet[]): string[] {
    const configFile = path.join(projectRoot, "tsconfig.json");
    const config = ts.getParsedCommandLineOfConfigFile(configFile, {}, {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (diagnostic) => { throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")); },
    });
    if (!config) throw new Error(`cannot read ${configFile}`);
    const options: ts.CompilerOptions = {
        ...config.options,
        noEmit: true,
        // An example may declare a value only to show it; the project's own code keeps the check.
        noUnusedLocals: false,
        // Every snippet is a module, so two examples may both declare `const calico`.
        moduleDetection: ts.ModuleDetectionKind.Force,
        types: ["node"],
        baseUrl: projectRoot,
        paths: { ztmesh: ["components/index.ts"] },
    };
    const virtual = new Map<string, Snippet>();
    snippets.forEach((snippet, index) => {
        virtual.set(path.join(projectRoot, `${snippet.file}.snippet-${index}.ts`), snippet);
    });
    const sourceText = (snippet: Snippet) => "\n".repeat(snippet.line) + snippet.code + "\n";
    const host = ts.createCompilerHost(options);
    const { getSourceFile, fileExists, readFile } = host;
    host.fileExists = (file) => virtual.has(path.resolve(file)) || fileExists.call(host, file);
    host.readFile = (file) => {
        const snippet = virtual.get(path.resolve(file));
        return snippet ? sourceText(snippet) : readFile.call(host, file);
    };
    host.getSourceFile = (file, language, onError, create) => {
        const snippet = virtual.get(path.resolve(file));
        return snippet ? ts.createSourceFile(file, sourceText(snippet), language, true) : getSourceFile.call(host, file, language, onError, create);
    };
    const program = ts.createProgram([...virtual.keys()], options, host);
    return [...virtual.entries()].flatMap(([file, snippet]) => {
        const source = program.getSourceFile(file)!;
        return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].map((diagnostic) => {
            const line = diagnostic.start === undefined ? snippet.line : source.getLineAndCharacterOfPosition(diagnostic.start).line + 1;
            return `${snippet.file}:${line}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")}`;
        });
    });
}
