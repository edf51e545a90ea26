import { loadConfig } from '../config/app-config';
import { OrphanSweeper } from './orphan-sweeper';
import type { BlobStorages } from './storage/blob-storages';

/** The age below which the sweeper leaves a blob alone, with REQUEST_TIMEOUT `requestTimeout`. */
async function graceWith(requestTimeout: string): Promise<number> {
  const cutoffs: Date[] = [];
  const storages = {
    all: () => [{ sweepOrphans: async (olderThan: Date) => (cutoffs.push(olderThan), 0) }],
  } as unknown as BlobStorages;
  const sweeper = new OrphanSweeper(storages, loadConfig({ REQUEST_TIMEOUT: requestTimeout }));
  const before = Date.now();
  await sweeper.sweep();
  return before - cutoffs[0].getTime();
}

describe('OrphanSweeper', () => {
  it('leaves blobs alone for an hour, or for twice REQUEST_TIMEOUT when that is longer', async () => {
    const hour = 3_600_000;
    expect(Math.round((await graceWith('10m')) / 1_000)).toBe(hour / 1_000);
    expect(Math.round((await graceWith('3h')) / 1_000)).toBe((6 * hour) / 1_000);
  });
});
