import { createHash } from 'node:crypto';

export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A real PNG: signature, IHDR of a 1×1 image, IEND (the content judges by the signature). */
export const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from('0000000d494844520000000100000001080600000000', 'hex'),
  Buffer.from('1f15c4890000000049454e44ae426082', 'hex'),
]);

/** A Linux ELF executable header: what an attacker renames to .png. */
export const ELF = Buffer.concat([
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]),
  Buffer.alloc(56),
]);

/** UTF-8 text of about `bytes` bytes, with multi-byte characters straddling chunk boundaries. */
export function text(bytes: number): Buffer {
  const line = 'id,name,price,€ünïcødé\n';
  return Buffer.from(line.repeat(Math.ceil(bytes / Buffer.byteLength(line)))).subarray(
    0,
    bytes - (bytes % 1),
  );
}
