import { randomUUID } from 'node:crypto';
import { image, pngBomb } from '../test/support/images';
import { waitFor } from '../test/support/wait';
import { multipart } from './fixture';
import { Process } from './processes';

/** How often a client polls a file that is processing: often enough not to add to the latency. */
const POLL_MS = 5;

export interface Images {
  photo: Buffer;
  small: Buffer;
  large: Buffer;
  bomb: Buffer;
}

/**
 * The jobs phase's images: two of random pixels (JPEG cannot compress them, so their dimensions
 * set their size), a large legitimate image, and a pixel bomb.
 */
export async function images(): Promise<Images> {
  return {
    photo: await image('jpeg', 1440, 1080, { noise: true }),
    small: await image('jpeg', 700, 470, { noise: true }),
    large: await image('jpeg', 6000, 4000),
    bomb: pngBomb(40_000),
  };
}

/** Uploads and polls files through one API process, as the fixture's user, as a client does. */
export class Files {
  constructor(
    private readonly api: Process,
    private readonly authorization: string,
  ) {}

  async upload(bytes: Buffer, filename: string, type = 'image/jpeg'): Promise<string> {
    const { body, contentType } = multipart(bytes, filename, type);
    const response = await fetch(`${this.api.baseUrl}/api/files`, {
      method: 'POST',
      headers: {
        Authorization: this.authorization,
        'Content-Type': contentType,
        'Idempotency-Key': randomUUID(),
      },
      body,
    });
    if (response.status !== 201)
      throw new Error(`upload answered ${response.status}: ${await response.text()}`);
    return ((await response.json()) as { id: string }).id;
  }

  async uploadAll(bytes: Buffer, count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push(await this.upload(bytes, `backlog-${i}.jpg`));
    return ids;
  }

  /** The file's status once it is no longer processing. */
  processed(id: string): Promise<string> {
    return waitFor(
      `file ${id} processed`,
      async () => {
        const response = await fetch(`${this.api.baseUrl}/api/files/${id}`, {
          headers: { Authorization: this.authorization },
        });
        const { status } = (await response.json()) as { status: string };
        return status !== 'processing' && status;
      },
      { ms: 60_000, every: POLL_MS },
    );
  }
}
