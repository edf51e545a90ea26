/** What uploads may contain, judged by their bytes. */
export type AllowedType =
  | 'image/png'
  | 'image/jpeg'
  | 'image/gif'
  | 'image/webp'
  | 'application/pdf'
  | 'text/plain'
  | 'text/csv';

interface Signature {
  type: AllowedType;
  matches(head: Buffer): boolean;
}

const startsWith = (head: Buffer, bytes: number[], offset = 0) =>
  bytes.every((byte, i) => head[offset + i] === byte);
const ascii = (text: string) => [...text].map((char) => char.charCodeAt(0));

/** Magic numbers of the binary formats on the allow-list (file(1) / the file-type package agree). */
const SIGNATURES: Signature[] = [
  {
    type: 'image/png',
    matches: (head) => startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  },
  { type: 'image/jpeg', matches: (head) => startsWith(head, [0xff, 0xd8, 0xff]) },
  {
    type: 'image/gif',
    matches: (head) => startsWith(head, ascii('GIF87a')) || startsWith(head, ascii('GIF89a')),
  },
  {
    type: 'image/webp',
    matches: (head) => startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8),
  },
  { type: 'application/pdf', matches: (head) => startsWith(head, ascii('%PDF-')) },
];

/** Bytes needed to tell the binary formats apart. */
export const SNIFF_BYTES = 12;

export function binaryTypeOf(head: Buffer): AllowedType | null {
  return SIGNATURES.find((signature) => signature.matches(head))?.type ?? null;
}

/** Text stays text; a declared CSV (by type or `.csv` name) is served as CSV, anything else as plain text. */
export function textTypeFor(declaredType: string, filename: string): AllowedType {
  return declaredType.split(';')[0].trim().toLowerCase() === 'text/csv' || /\.csv$/i.test(filename)
    ? 'text/csv'
    : 'text/plain';
}

/** The Content-Type a download is served with. */
export function servedContentType(type: string): string {
  return type.startsWith('text/') ? `${type}; charset=utf-8` : type;
}
