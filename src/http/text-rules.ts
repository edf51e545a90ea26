/**
 * The bidirectional embeddings, overrides and isolates, which make text read other than it is
 * stored ("Trojan Source"): refused in any text a page shows. A character-class body, for
 * patterns in Unicode mode (`u`), as JSON Schema validators such as Ajv compile them.
 */
export const BIDI_CONTROLS = '\\u202a-\\u202e\\u2066-\\u2069';
