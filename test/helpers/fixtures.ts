/** Where Kazoo's own documents live: /work/shared/kazoo/fixtures, beside the repository (see its README). */
import fs from 'node:fs';
import path from 'node:path';

function repoRoot(from: string): string {
  let dir = from;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
  return dir;
}

export const REPO_ROOT = repoRoot(__dirname);
export const FIXTURES_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'kazoo', 'fixtures');
