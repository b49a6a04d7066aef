/** File names for %include and incbin, without Node's path module (the language server may run in a browser). */

export function dirname(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i < 0 ? '' : i === 0 ? p.slice(0, 1) : p.slice(0, i);
}

/**
 * Where an include or incbin file may be: beside the including file, then each include path,
 * then as named (relative to the working directory, where NASM itself looks first).
 */
export function searchPath(target: string, from: string, includePaths: readonly string[] = []): string[] {
  const all = [joinPath(dirname(from), target), ...includePaths.map((d) => joinPath(d, target)), target];
  return [...new Set(all)];
}

export function joinPath(dir: string, file: string): string {
  if (!dir || file.startsWith('/') || /^[A-Za-z]:[\\/]/.test(file)) return file;
  return dir.endsWith('/') || dir.endsWith('\\') ? dir + file : `${dir}/${file}`;
}
