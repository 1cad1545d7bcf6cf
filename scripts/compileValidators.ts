/**
 * Writes each kind's schema validator as a module of its own, ajv's standalone code compiled
 * from the generated schemas with the options analysis/schema/schemas.ts compiles them with,
 * into `<folder>` (`npm run build` gives dist/analysis/schema/validators). The built command
 * loads a kind's module instead of compiling its schema on every run.
 *
 *   node -r ts-node/register/transpile-only scripts/compileValidators.ts <folder>
 */
import * as fs from "fs";
import * as path from "path";
import standaloneCode from "ajv/dist/standalone";
import { definitionsAjv, kindRefs, precompiledFile } from "../analysis/schema/schemas";

/** Writes one module per kind into `folder`, replacing what it held; returns how many. */
export function compileValidators(folder: string): number {
    fs.rmSync(folder, { recursive: true, force: true });
    fs.mkdirSync(folder, { recursive: true });
    const ajv = definitionsAjv(true);
    const refs = kindRefs();
    for (const [kindKey, ref] of refs) {
        fs.writeFileSync(path.join(folder, precompiledFile(kindKey)), standaloneCode(ajv, { [kindKey]: ref }));
    }
    return refs.size;
}

if (require.main === module) {
    const [folder] = process.argv.slice(2);
    if (folder === undefined) {
        process.stderr.write("usage: compileValidators.ts <folder>\n");
        process.exit(2);
    }
    compileValidators(folder);
}
