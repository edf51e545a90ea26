import sharp from 'sharp';
import { randomBytes } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';

type Format = 'png' | 'jpeg' | 'gif' | 'webp';

/**
 * A real, decodable image of `width`×`height` pixels with some detail (not one flat colour), or
 * of random pixels (`noise`), which no format compresses.
 */
export async function image(
  format: Format,
  width: number,
  height: number,
  { noise = false } = {},
): Promise<Buffer> {
  const pixels = noise ? randomBytes(width * height * 3) : Buffer.alloc(width * height * 3);
  if (!noise)
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7 + Math.floor(i / (width * 3))) % 256;
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .toFormat(format)
    .toBuffer();
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * A pixel bomb: a PNG of a few hundred bytes (a few KiB when wide) whose header declares
 * `width`×`height` pixels (one compressed row of data follows). Decoding it whole would take
 * width × height bytes of memory.
 */
export function pngBomb(width = 40_000, height = width): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(Buffer.alloc(width + 1))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A 1×1 GIF of `frames` frames, each with its own graphic control extension. */
export function manyFrameGif(frames: number): Buffer {
  const head = Buffer.from('GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff', 'latin1');
  const frame = Buffer.from(
    '\x21\xf9\x04\x00\x01\x00\x00\x00' + // graphic control: 10 ms
      '\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00' + // image descriptor 1×1
      '\x02\x02\x44\x01\x00', // LZW data of one pixel
    'latin1',
  );
  return Buffer.concat([head, ...Array<Buffer>(frames).fill(frame), Buffer.from(';', 'latin1')]);
}
