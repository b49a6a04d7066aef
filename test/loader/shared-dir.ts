import * as fs from 'fs';
import * as path from 'path';

const repoRoot = path.resolve(__dirname, '..', '..');

/**
 * /work/shared (CI: ../shared beside the checkout). A helper's worktree sits one level
 * deeper (/work/wt/<name>), so look one more level up when the first guess is absent.
 */
export function sharedDir(): string {
  const first = path.resolve(repoRoot, '..', 'shared');
  const second = path.resolve(repoRoot, '..', '..', 'shared');
  return fs.existsSync(first) || !fs.existsSync(second) ? first : second;
}

export const xtfDir = path.join(sharedDir(), 'xtf');
