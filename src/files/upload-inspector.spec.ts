import fc from 'fast-check';
import { Readable } from 'node:stream';
import { TextDecoder } from 'node:util';
import { createHash } from 'node:crypto';
import { UnsupportedFileTypeError } from './files.errors';
import { UploadInspector } from './upload-inspector';

async function inspect(chunks: Buffer[]) {
  const inspector = new UploadInspector();
  for await (const _ of Readable.from(chunks).pipe(inspector)) void _;
  return inspector.result();
}

const hex = (text: string) => Buffer.from(text.replace(/ /g, ''), 'hex');

describe('UploadInspector', () => {
  const PNG = hex(
    '89504e47 0d0a1a0a 0000000d 49484452 00000001 00000001 08060000 001f15c4 89 00000000 49454e44 ae426082',
  );
  const JPEG = hex('ffd8ffe0 00104a46 49460001 ffd9');
  const GIF = Buffer.concat([
    Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00', 'latin1'),
    Buffer.from([0x3b]),
  ]);
  const WEBP = Buffer.concat([
    Buffer.from('RIFF', 'latin1'),
    Buffer.from([0x0c, 0, 0, 0]),
    Buffer.from('WEBPVP8 \x00\x00\x00\x00', 'latin1'),
  ]);
  const PDF = Buffer.from('%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n', 'latin1');

  it.each([
    ['image/png', PNG],
    ['image/jpeg', JPEG],
    ['image/gif', GIF],
    ['image/webp', WEBP],
    ['application/pdf', PDF],
  ])('recognises %s by its magic number and its end', async (type, bytes) => {
    expect((await inspect([bytes.subarray(0, 5), bytes.subarray(5)])).kind).toBe(type);
  });

  it.each([
    [
      'a PNG with a payload appended (a polyglot)',
      Buffer.concat([PNG, Buffer.from('PK\x03\x04 a zip archive', 'latin1')]),
    ],
    ['a truncated JPEG', JPEG.subarray(0, -2)],
    ['a GIF with script appended', Buffer.concat([GIF, Buffer.from('alert(1)//')])],
    ['a WebP whose RIFF size does not cover the file', Buffer.concat([WEBP, Buffer.from('extra')])],
    ['a PDF without %%EOF', PDF.subarray(0, 20)],
  ])('refuses %s', async (_case, bytes) => {
    await expect(inspect([bytes])).rejects.toBeInstanceOf(UnsupportedFileTypeError);
  });

  it('accepts UTF-8 text split anywhere, even inside a character, and hashes and counts it', async () => {
    const bytes = Buffer.from('naïve, €uro, 日本語\n'.repeat(50));
    const chunks = [
      bytes.subarray(0, 3),
      bytes.subarray(3, 10),
      bytes.subarray(10, 11),
      bytes.subarray(11),
    ];
    const result = await inspect(chunks);
    expect(result).toEqual({
      kind: 'text',
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
  });

  it('accepts a tiny text file shorter than the sniffing window', async () => {
    expect((await inspect([Buffer.from('ok')])).kind).toBe('text');
  });

  it.each([
    ['an ELF executable', hex('7f454c46 02010100 00000000 00000000')],
    ['a Windows executable', Buffer.from('MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00', 'latin1')],
    ['text with NUL', Buffer.from('hello\u0000world, long enough')],
    [
      'invalid UTF-8',
      Buffer.from([0x61, 0x62, 0xc3, 0x28, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68]),
    ],
    [
      'UTF-8 cut short at the end',
      Buffer.from([0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0xe2, 0x82]),
    ],
  ])('refuses %s with 415', async (_case, bytes) => {
    await expect(inspect([bytes])).rejects.toBeInstanceOf(UnsupportedFileTypeError);
  });

  it('judges text split into any chunks exactly as a strict decoder judges the whole', async () => {
    const strictlyText = (bytes: Buffer) => {
      try {
        return !new TextDecoder('utf-8', { fatal: true }).decode(bytes).includes('\u0000');
      } catch {
        return false;
      }
    };
    // Valid text with stray bytes spliced in (cut characters, lone continuations, NUL, overlongs).
    const piece = fc.oneof(
      fc.string({ unit: 'binary' }).map((text) => Buffer.from(text)),
      fc.uint8Array({ maxLength: 4 }).map((bytes) => Buffer.from(bytes)),
    );
    const upload = fc
      .array(piece, { maxLength: 12 })
      .map((pieces) => Buffer.concat([Buffer.from('plain text: '), ...pieces]));
    const cuts = fc.array(fc.nat(), { maxLength: 6 });
    await fc.assert(
      fc.asyncProperty(upload, cuts, async (bytes, at) => {
        const bounds = [...new Set(at.map((n) => n % bytes.length))].sort((a, b) => a - b);
        const chunks = [0, ...bounds].map((start, i) =>
          bytes.subarray(start, [...bounds, bytes.length][i]),
        );
        const accepted = await inspect(chunks).then(
          () => true,
          () => false,
        );
        expect(accepted).toBe(strictlyText(bytes));
      }),
      { numRuns: 500 },
    );
  });
});
