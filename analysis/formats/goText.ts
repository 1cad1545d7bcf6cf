/**
 * Text as netpol-analyzer's Go code writes it, so that csv and dot outputs are byte for byte
 * its own: Go's `%q` (strconv.Quote) for DOT identifiers and labels, and encoding/csv's rule for
 * which fields to quote. Written here because both rules are a few lines and no npm library
 * reproduces Go's exact choices (csv-stringify, for one, quotes on different characters).
 */

const goEscapes: Readonly<Record<string, string>> = { "\x07": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v", "\\": "\\\\", '"': '\\"' };

/** Go's `%q` of a string: double quotes, with `\`, `"` and control characters escaped. */
export function goQuote(text: string): string {
    const body = text.replace(/[\x00-\x1f\x7f-\x9f\\"]/g, (character) => {
        const code = character.charCodeAt(0);
        return goEscapes[character] ?? (code < 0x80 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`);
    });
    return `"${body}"`;
}

/** One CSV record as Go's encoding/csv writes it: a field is quoted when it holds a comma, a quote or a line break, or starts with a space. */
export function csvRecord(fields: readonly string[]): string {
    return `${fields.map(csvField).join(",")}\n`;
}

function csvField(field: string): string {
    const needsQuotes = field !== "" && (field === "\\." || /[,"\r\n]/.test(field) || /^\s/u.test(field));
    return needsQuotes ? `"${field.replace(/"/g, '""')}"` : field;
}
