import { createHash, Hash } from 'node:crypto';
import { Transform, TransformCallback } from 'node:stream';
import { isUtf8 } from 'node:buffer';
import { binaryTypeOf, endsWell, SNIFF_BYTES, TAIL_BYTES } from './content-type';
import { UnsupportedFileTypeError } from './files.errors';

export interface InspectedBytes {
  size: number;
  sha256: string;
  /** A binary type from the allow-list, or 'text' for UTF-8 text without NUL. */
  kind: ReturnType<typeof binaryTypeOf> | 'text';
}

/**
 * Passes upload bytes through while hashing and counting them and judging the content by its
 * bytes: an allowed magic number, or else valid UTF-8 text without NUL. Anything else fails the
 * stream with 415 as soon as it is seen, so the rest is never stored.
 */
export class UploadInspector extends Transform {
  private readonly hash: Hash = createHash('sha256');
  /** The start of a UTF-8 character that the next chunk completes. */
  private partialCharacter = Buffer.alloc(0);
  private head = Buffer.alloc(0);
  /** The first bytes, kept for the end-of-file check (WebP's size field). */
  private first = Buffer.alloc(0);
  /** The last TAIL_BYTES seen. */
  private tail = Buffer.alloc(0);
  private kind: InspectedBytes['kind'] | undefined;
  private size = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
    try {
      this.size += chunk.length;
      this.hash.update(chunk);
      this.keepEnds(chunk);
      if (this.kind === undefined) this.sniff(chunk);
      else if (this.kind === 'text') this.checkText(chunk, true);
      done(null, chunk);
    } catch (error) {
      done(error as Error);
    }
  }

  override _flush(done: TransformCallback) {
    try {
      if (this.kind === undefined)
        this.decide(false); // the whole upload is shorter than SNIFF_BYTES
      else if (this.kind === 'text') this.checkText(Buffer.alloc(0), false);
      if (this.kind !== 'text' && !endsWell(this.kind!, this.first, this.tail, this.size)) {
        throw new UnsupportedFileTypeError(
          `The file does not end as ${this.kind} must: it is truncated or has data appended.`,
        );
      }
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  result(): InspectedBytes {
    return { size: this.size, sha256: this.hash.digest('hex'), kind: this.kind ?? 'text' };
  }

  private keepEnds(chunk: Buffer) {
    if (this.first.length < SNIFF_BYTES)
      this.first = Buffer.concat([this.first, chunk]).subarray(0, SNIFF_BYTES);
    this.tail = Buffer.concat([this.tail, chunk.subarray(-TAIL_BYTES)]).subarray(-TAIL_BYTES);
  }

  /** Holds the first bytes back until there are enough to judge; each byte is checked once. */
  private sniff(chunk: Buffer) {
    this.head = Buffer.concat([this.head, chunk]);
    if (this.head.length >= SNIFF_BYTES) this.decide(true);
  }

  private decide(more: boolean) {
    this.kind = binaryTypeOf(this.head) ?? 'text';
    if (this.kind === 'text') this.checkText(this.head, more);
    this.head = Buffer.alloc(0);
  }

  /**
   * Valid UTF-8 without NUL, checked without decoding (a decoder's strings were a large share of an
   * upload's CPU and garbage): a character cut by the chunk boundary waits for the next chunk.
   */
  private checkText(chunk: Buffer, more: boolean) {
    const bytes = this.partialCharacter.length
      ? Buffer.concat([this.partialCharacter, chunk])
      : chunk;
    const cut = more ? cutCharacterLength(bytes) : 0; // at the end, a cut character is invalid
    const whole = bytes.subarray(0, bytes.length - cut);
    if (!isUtf8(whole) || whole.includes(0)) throw new UnsupportedFileTypeError();
    this.partialCharacter = Buffer.from(bytes.subarray(bytes.length - cut));
  }
}

/**
 * The bytes at the end of `bytes` that begin a character needing more bytes than are there (0
 * when the last character is whole). Anything invalid is left to isUtf8.
 */
function cutCharacterLength(bytes: Buffer): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back];
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: its lead is further back
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? back : 0;
  }
  return 0;
}
