/** What uploads may contain, judged by their bytes. */
export type AllowedType =
  | 'image/png'
  | 'image/jpeg'
  | 'image/gif'
  | 'image/webp'
  | 'application/pdf'
  | 'text/plain'
  | 'text/csv';

/** The types the image job processes (dimensions, thumbnail). */
export function isImageType(type: string): boolean {
  return type.startsWith('image/');
}

interface Signature {
  type: AllowedType;
  matches(head: Buffer): boolean;
  /**
   * Whether the file ends as this format must: a truncated file, or one with a payload appended
   * after the format's end (the usual polyglot), fails.
   */
  endsWell(tail: Buffer, size: number, head: Buffer): boolean;
}

const startsWith = (head: Buffer, bytes: number[], offset = 0) =>
  bytes.every((byte, i) => head[offset + i] === byte);
const endsWith = (tail: Buffer, bytes: number[]) =>
  startsWith(tail, bytes, tail.length - bytes.length);
const ascii = (text: string) => [...text].map((char) => char.charCodeAt(0));

const PNG_IEND = [0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];

/** Magic numbers and end markers of the binary formats on the allow-list. */
const SIGNATURES: Signature[] = [
  {
    type: 'image/png',
    matches: (head) => startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    endsWell: (tail) => endsWith(tail, PNG_IEND),
  },
  {
    type: 'image/jpeg',
    matches: (head) => startsWith(head, [0xff, 0xd8, 0xff]),
    endsWell: (tail) => endsWith(tail, [0xff, 0xd9]),
  },
  {
    type: 'image/gif',
    matches: (head) => startsWith(head, ascii('GIF87a')) || startsWith(head, ascii('GIF89a')),
    endsWell: (tail) => endsWith(tail, [0x3b]),
  },
  {
    type: 'image/webp',
    matches: (head) => startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8),
    endsWell: (_tail, size, head) => head.readUInt32LE(4) + 8 === size, // the RIFF size covers the whole file
  },
  {
    type: 'application/pdf',
    matches: (head) => startsWith(head, ascii('%PDF-')),
    endsWell: (tail) => tail.includes('%%EOF'), // PDF allows some whitespace after it, so: within the tail
  },
];

/** How much of the end of a file the end-marker checks look at. */
export const TAIL_BYTES = 1024;

export function endsWell(type: AllowedType, head: Buffer, tail: Buffer, size: number): boolean {
  const signature = SIGNATURES.find((candidate) => candidate.type === type);
  return signature ? signature.endsWell(tail, size, head) : true;
}

const EXTENSIONS: Record<AllowedType, string[]> = {
  'image/png': ['png'],
  'image/jpeg': ['jpg', 'jpeg', 'jpe', 'jfif'],
  'image/gif': ['gif'],
  'image/webp': ['webp'],
  'application/pdf': ['pdf'],
  'text/plain': ['txt', 'text', 'log', 'md'],
  'text/csv': ['csv', 'tsv', 'txt'],
};

/** Every type a stored file can have, for the API document. */
export const ALLOWED_TYPES = Object.keys(EXTENSIONS) as AllowedType[];

/** A name without an extension, or with one that fits the content: `invoice.pdf.exe` does not. */
export function extensionFits(filename: string, type: AllowedType): boolean {
  const extension = /\.([^.]+)$/.exec(filename)?.[1]?.toLowerCase();
  return extension === undefined || EXTENSIONS[type].includes(extension);
}

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
