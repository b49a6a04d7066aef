/**
 * Which files of a folder are xl domain configs, and which of them F5 or "Run" should start when
 * the user has not said. Pure (file access injected) so it is tested without VS Code.
 */
import * as path from 'path';

/** `.cfg` belongs to many tools: a domain config names a kernel (xl.cfg(5) requires one for PV). */
export function looksLikeDomainConfig(text: string): boolean {
  return /^\s*kernel\s*=/m.test(text) && !/^\s*\[[^\]]*\]\s*$/m.test(text);
}

/** The kernel path a config names, resolved against the config's folder. */
export function kernelOf(configFile: string, text: string): string | undefined {
  const m = /^\s*kernel\s*=\s*(["'])(.*?)\1/m.exec(text);
  return m ? path.resolve(path.dirname(configFile), m[2]) : undefined;
}

export const CONFIG_GLOB = '**/*.{cfg,xl}';

/**
 * The configs to start for `active` (the file in the editor, if any) among `candidates`
 * (domain configs found in the folder): the active file if it is one; the configs whose kernel
 * is the active source; else the configs nearest the folder's root (one folder's worth, so
 * examples/scheduler's three domains start together but not every example of a tree).
 */
export function chooseConfigs(root: string, candidates: Array<{ file: string; text: string }>, active?: string): string[] {
  const configs = candidates.filter((c) => looksLikeDomainConfig(c.text));
  if (active) {
    const a = path.resolve(active);
    if (configs.some((c) => path.resolve(c.file) === a)) return [a];
    const byKernel = configs.filter((c) => kernelOf(c.file, c.text) === a).map((c) => c.file);
    if (byKernel.length) return byKernel.sort();
  }
  if (!configs.length) return [];
  const depth = (f: string) => path.relative(root, f).split(path.sep).length;
  const min = Math.min(...configs.map((c) => depth(c.file)));
  const shallow = configs.filter((c) => depth(c.file) === min).map((c) => c.file).sort();
  const dir = path.dirname(shallow[0]);
  return shallow.filter((f) => path.dirname(f) === dir);
}

/** A launch configuration's `domains`, written relative to the workspace folder when inside it. */
export function domainsFor(root: string, files: string[]): string[] {
  return files.map((f) => {
    const rel = path.relative(root, f);
    return rel.startsWith('..') || path.isAbsolute(rel) ? f : '${workspaceFolder}/' + rel.split(path.sep).join('/');
  });
}
