/**
 * Text from manifests (names, paths, values) as it may be printed on a terminal or in a line
 * of output: control characters (C0, DEL and C1) would start a new, forged line or drive the
 * terminal (escape sequences), so each is written as an escape instead.
 */

/** The short escapes JSON uses; every other control character is written `\xNN`. */
const shortEscapes: Readonly<Record<string, string>> = { "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r" };

const controlCharacters = /[\u0000-\u001f\u007f-\u009f]/g;
/** The same without the global flag, to test a string without replacing: a listing calls this for each of its lines. */
const anyControlCharacter = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * `text` with each C0 control character, DEL and C1 control character replaced by an escape:
 * `\n`, `\r`, `\t`, `\b`, `\f` as JSON.stringify writes them, the others as `\xNN` (ESC is
 * `\x1b`). Everything else, backslashes and quotes included, is kept as it is.
 */
export function escapeControl(text: string): string {
    if (!anyControlCharacter.test(text)) {
        return text;
    }
    return text.replace(controlCharacters, (character) => shortEscapes[character] ?? `\\x${character.charCodeAt(0).toString(16).padStart(2, "0")}`);
}
