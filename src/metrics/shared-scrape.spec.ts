import { sharedScrape } from './shared-scrape';

describe('sharedScrape', () => {
  it('reads once for every gauge of one scrape, and anew for the next scrape', async () => {
    let reads = 0;
    const read = sharedScrape(async () => ++reads, -1);
    expect(await Promise.all([read(), read(), read()])).toEqual([1, 1, 1]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await read()).toBe(2);
  });

  it('gives the unknown value when the read fails, and reads again next time', async () => {
    const outcomes = [Promise.reject(new Error('database down')), Promise.resolve(7)];
    const read = sharedScrape(() => outcomes.shift()!, NaN);
    expect(await read()).toBeNaN();
    await new Promise((resolve) => setImmediate(resolve));
    expect(await read()).toBe(7);
  });
});
