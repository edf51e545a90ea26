const MAX_FILENAME_LENGTH = 200;

/**
 * The client's filename, kept for display only: no folders, no `..`, no control or bidi-override
 * characters, bounded length (the extension is kept). Never used as a storage path.
 */
export function sanitizeFilename(raw: string | undefined): string {
  const base = (raw ?? '').normalize('NFC').split(/[/\\]/).pop() ?? '';
  const cleaned = base
    // eslint-disable-next-line no-control-regex -- stripping control characters is the point
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/\.{2,}/g, '.')
    .trim()
    .replace(/^\.+/, '');
  if (!cleaned) return 'file';
  const characters = Array.from(cleaned); // code points: never half of a surrogate pair
  if (characters.length <= MAX_FILENAME_LENGTH) return cleaned;
  const extension = /\.[A-Za-z0-9]{1,10}$/.exec(cleaned)?.[0] ?? '';
  return characters.slice(0, MAX_FILENAME_LENGTH - extension.length).join('') + extension;
}

/** RFC 6266 attachment with an ASCII fallback and the exact name in RFC 8187 `filename*`. */
export function contentDisposition(filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
