/** Regroups a byte stream into chunks of exactly `size` bytes (the last may be shorter). */
export async function* rechunk(
  source: AsyncIterable<Buffer>,
  size: number,
): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const chunk of source) {
    pending.push(chunk);
    pendingBytes += chunk.length;
    while (pendingBytes >= size) {
      const joined = Buffer.concat(pending);
      yield joined.subarray(0, size);
      pending = [joined.subarray(size)];
      pendingBytes = joined.length - size;
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending);
}

/** Groups an async sequence into arrays of `count` items (the last may be shorter). */
export async function* groupsOf<T>(source: AsyncIterable<T>, count: number): AsyncGenerator<T[]> {
  let group: T[] = [];
  for await (const item of source) {
    group.push(item);
    if (group.length === count) {
      yield group;
      group = [];
    }
  }
  if (group.length > 0) yield group;
}
