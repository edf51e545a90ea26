import { Readable } from 'node:stream';
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
  it.each([
    ['image/png', hex('89504e47 0d0a1a0a 0000000d 49484452')],
    ['image/jpeg', hex('ffd8ffe0 00104a46 49460001')],
    ['image/gif', Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00', 'latin1')],
    ['image/webp', Buffer.from('RIFF\x24\x00\x00\x00WEBPVP8 ', 'latin1')],
    ['application/pdf', Buffer.from('%PDF-1.7\n%âãÏÓ\n', 'latin1')],
  ])('recognises %s by its magic number', async (type, bytes) => {
    expect((await inspect([bytes])).kind).toBe(type);
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
});
