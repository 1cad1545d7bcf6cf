/**
 * Text for HTML element content and double-quoted attributes. Names, paths and methods come
 * from manifests, so every one is escaped; five replacements are all the page needs, which is
 * why no template library is pulled in for it.
 */
export function escapeHtml(text: string): string {
    return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
