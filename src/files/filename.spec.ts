import { contentDisposition, sanitizeFilename } from './filename';

describe('sanitizeFilename', () => {
  it.each([
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\me\\report.pdf', 'report.pdf'],
    ['..', 'file'],
    ['.hidden', 'hidden'],
    ['a..b.txt', 'a.b.txt'],
    ['bell\u0007\u0000.txt', 'bell.txt'],
    ['\u202egnp.exe', 'gnp.exe'],
    ['', 'file'],
    [undefined, 'file'],
    ['  café.png  ', 'café.png'],
  ])('turns %j into %j', (raw, clean) => expect(sanitizeFilename(raw)).toBe(clean));

  it('never cuts a character in half when it shortens', () => {
    const emoji = sanitizeFilename(`${'😀'.repeat(300)}.png`);
    expect(Array.from(emoji)).toHaveLength(200);
    expect(emoji).toBe(`${'😀'.repeat(196)}.png`);
  });

  it('bounds the length and keeps the extension', () => {
    const long = sanitizeFilename(`${'x'.repeat(500)}.jpeg`);
    expect(long).toHaveLength(200);
    expect(long.endsWith('.jpeg')).toBe(true);
  });
});

describe('contentDisposition', () => {
  it('gives an ASCII fallback and the exact UTF-8 name (RFC 6266 / 8187)', () => {
    expect(contentDisposition('café "menu".pdf')).toBe(
      `attachment; filename="caf_ _menu_.pdf"; filename*=UTF-8''caf%C3%A9%20%22menu%22.pdf`,
    );
    expect(contentDisposition("it's (1).txt")).toBe(
      `attachment; filename="it's (1).txt"; filename*=UTF-8''it%27s%20%281%29.txt`,
    );
  });
});
