/** JSON bodies are small: the largest order (100 items) is a few KiB. Uploads have their own limit. */
export const JSON_BODY_LIMIT = 256 * 1024;

/** Deeper JSON than any request of this API needs; past it parsing and validation would recurse for nothing. */
export const MAX_JSON_DEPTH = 32;

/** The deepest nesting of arrays and objects in `json`, counted without parsing (strings skipped). */
export function nestingDepth(json: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const char = json.charCodeAt(i);
    if (inString) {
      if (char === 0x5c)
        i++; // backslash: skip the escaped character
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) {
      inString = true;
    } else if (char === 0x5b || char === 0x7b) {
      deepest = Math.max(deepest, ++depth);
    } else if (char === 0x5d || char === 0x7d) {
      depth--;
    }
  }
  return deepest;
}
