import { statSync } from 'node:fs';
import { dirname, parse } from 'node:path';

/**
 * Returns the first folder on the way to `target` that a user who is neither its owner nor in
 * its group cannot enter, or null when every folder can be traversed. Embedded PostgreSQL runs
 * as user `postgres` under root, so a clone below a 0700 home folder would otherwise fail later
 * with a bare `spawn EACCES`.
 */
export function firstUntraversableFolder(target: string, uid: number): string | null {
  const { root } = parse(target);
  let folder = target;
  const folders: string[] = [];
  while (folder !== root) {
    folders.unshift(folder);
    folder = dirname(folder);
  }
  for (const candidate of folders) {
    const stat = statOrNull(candidate);
    if (!stat) return null; // the rest is created later, by root, with default permissions
    const othersMayEnter = (stat.mode & 0o001) !== 0;
    if (stat.isDirectory() && !othersMayEnter && stat.uid !== uid) return candidate;
  }
  return null;
}

function statOrNull(path: string) {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}
