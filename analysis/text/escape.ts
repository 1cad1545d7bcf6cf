/**
 * Text from outside (file paths, object names, messages that quote them) printed on one line
 * of a terminal or log: control characters (C0, DEL, C1), line and paragraph separators and
 * the bidirectional overrides are written as escapes (`\n`, `\t`, `\x1b`, `\u2028`), so a
 * name can neither split a one-line message nor drive the terminal or reorder what is shown.
 * Backslashes and quotes are left as they are, so escaping escaped text changes nothing.
 */

const unsafeCharacters = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;
/** The same without the global flag, to test a string without replacing: a listing calls this for each of its lines. */
const anyUnsafeCharacter = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** The short escapes JSON uses; every other character is written `\xNN` or `\uNNNN`. */
const namedEscapes: Readonly<Record<string, string>> = { "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r" };

export function escapeControl(text: string): string {
    if (!anyUnsafeCharacter.test(text)) {
        return text;
    }
    return text.replace(unsafeCharacters, (character) => {
        const code = character.charCodeAt(0);
        return namedEscapes[character] ?? (code <= 0xff ? `\\x${hex(code, 2)}` : `\\u${hex(code, 4)}`);
    });
}

function hex(code: number, digits: number): string {
    return code.toString(16).padStart(digits, "0");
}
