import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstUntraversableFolder } from './filesystem-access';

describe('firstUntraversableFolder', () => {
  const root = mkdtempSync(join(tmpdir(), 'traverse-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const someoneElse = 4_000_000;

  it('names the 0700 folder another user cannot enter', () => {
    const closed = join(root, 'closed');
    mkdirSync(join(closed, 'inner'), { recursive: true });
    chmodSync(root, 0o755);
    chmodSync(closed, 0o700);
    expect(firstUntraversableFolder(join(closed, 'inner', 'data'), someoneElse)).toBe(closed);
  });

  it('accepts folders others may traverse, and folders the user owns', () => {
    const open = join(root, 'open');
    mkdirSync(open, { mode: 0o755 });
    expect(firstUntraversableFolder(join(open, 'not-created-yet'), someoneElse)).toBeNull();
    chmodSync(open, 0o700);
    expect(firstUntraversableFolder(open, process.getuid!())).toBeNull();
  });
});
