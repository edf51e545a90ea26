import { RetryShare } from './retry-share';

const recordMany = (share: RetryShare, count: number, wasRetry: boolean) => {
  for (let i = 0; i < count; i++) share.record(wasRetry);
};

describe('RetryShare', () => {
  it('starts with retries taken as rare', () => {
    expect(new RetryShare().retriesAreCommon).toBe(false);
  });

  it('stays rare while a few retries come among many creates', () => {
    const share = new RetryShare();
    for (let i = 0; i < 500; i++) share.record(i % 10 === 0); // 10% retries
    expect(share.retriesAreCommon).toBe(false);
  });

  it('turns common within a few dozen retries in a row, and back within a few dozen creates', () => {
    const share = new RetryShare();
    recordMany(share, 8, true);
    expect(share.retriesAreCommon).toBe(false);
    recordMany(share, 40, true);
    expect(share.retriesAreCommon).toBe(true);
    recordMany(share, 60, false);
    expect(share.retriesAreCommon).toBe(false);
  });

  it('counts half retries as common', () => {
    const share = new RetryShare();
    for (let i = 0; i < 500; i++) share.record(i % 2 === 0);
    expect(share.retriesAreCommon).toBe(true);
  });
});
