import { connect, Socket } from 'node:net';

type Reply = string | number | null | Reply[];

/**
 * A minimal RESP client for the machine's Redis (127.0.0.1:6379), enough for the checks and the
 * clean-up of the peer's keys; the service itself does not use Redis.
 */
export class Redis {
  private buffer = Buffer.alloc(0);
  private readonly waiting: { resolve(reply: Reply): void; reject(error: Error): void }[] = [];

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => this.waiting.splice(0).forEach((w) => w.reject(error)));
  }

  static open(host = '127.0.0.1', port = 6379): Promise<Redis> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host, () => resolve(new Redis(socket)));
      socket.once('error', reject);
    });
  }

  command(...args: string[]): Promise<Reply> {
    const parts = args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`);
    this.socket.write(`*${args.length}\r\n${parts.join('')}`);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  /** Deletes every key starting with `prefix` (SCAN, not KEYS: the server is shared). */
  async deletePrefix(prefix: string): Promise<number> {
    let cursor = '0';
    let deleted = 0;
    do {
      const [next, keys] = (await this.command(
        'SCAN',
        cursor,
        'MATCH',
        `${prefix}*`,
        'COUNT',
        '1000',
      )) as [string, string[]];
      if (keys.length) deleted += (await this.command('DEL', ...keys)) as number;
      cursor = next;
    } while (cursor !== '0');
    return deleted;
  }

  close() {
    this.socket.end();
  }

  private receive(chunk: Buffer) {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (let parsed = parse(this.buffer, 0); parsed; parsed = parse(this.buffer, 0)) {
      this.buffer = this.buffer.subarray(parsed.end);
      const next = this.waiting.shift();
      if (parsed.error) next?.reject(new Error(parsed.error));
      else next?.resolve(parsed.reply);
    }
  }
}

type Parsed = { reply: Reply; end: number; error?: string } | null;

/** One RESP2 reply from `at`, or null while it is incomplete. */
function parse(buffer: Buffer, at: number): Parsed {
  const lineEnd = buffer.indexOf('\r\n', at);
  if (lineEnd < 0) return null;
  const line = buffer.toString('utf8', at + 1, lineEnd);
  const end = lineEnd + 2;
  switch (String.fromCharCode(buffer[at])) {
    case '+':
      return { reply: line, end };
    case '-':
      return { reply: null, end, error: line };
    case ':':
      return { reply: Number(line), end };
    case '$': {
      const length = Number(line);
      if (length < 0) return { reply: null, end };
      if (buffer.length < end + length + 2) return null;
      return { reply: buffer.toString('utf8', end, end + length), end: end + length + 2 };
    }
    default: {
      const items: Reply[] = [];
      let next = end;
      for (let i = 0; i < Number(line); i++) {
        const item = parse(buffer, next);
        if (!item) return null;
        items.push(item.reply);
        next = item.end;
      }
      return { reply: items, end: next };
    }
  }
}
