/**
 * The assembler sources the server knows: open buffers first, then files on disk reached
 * through %include. File access is injected so tests (and unsaved buffers) need no disk.
 */
import * as path from 'path';
import { fileURLToPath, pathToFileURL } from 'url';
import { AsmOutline, SourceSymbol, scanAsm } from './asmOutline';

/** Reads a document by URI: the open buffer's text, else the file's, else undefined. */
export type ReadDocument = (uri: string) => string | undefined;
/** Lists a directory: entry names, with a trailing '/' on directories ([] when unreadable). */
export type ListDirectory = (dir: string) => string[];

export function uriToPath(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}

export function pathToUri(file: string): string {
  return pathToFileURL(file).toString();
}

export class SourceIndex {
  private readonly cache = new Map<string, { text: string; outline: AsmOutline }>();

  /** includePaths: extra directories searched for %include after the including file's own */
  constructor(
    private readonly read: ReadDocument,
    public includePaths: string[] = [],
    private readonly list: ListDirectory = () => [],
  ) {}

  /**
   * What `%include "<typed>` can continue with: files and folders, relative to the including
   * file's directory and the include paths (the order %include searches them).
   */
  includeCandidates(fromUri: string, typed: string): string[] {
    const from = uriToPath(fromUri);
    const dirs = [...(from ? [path.dirname(from)] : []), ...this.includePaths];
    return pathCandidates(this.list, dirs, typed, (entry) => /\.(inc|asm|nasm|mac)$/i.test(entry));
  }

  /** Files and folders a path value typed so far in a document can continue with (relative to its folder). */
  siblingCandidates(fromUri: string, typed: string): string[] {
    const from = uriToPath(fromUri);
    return from ? pathCandidates(this.list, [path.dirname(from)], typed, () => true) : [];
  }

  /** The text of a document (open buffer first), or undefined. */
  text(uri: string): string | undefined {
    return this.read(uri);
  }

  /** The outline of a document, or undefined when it cannot be read. */
  outline(uri: string): AsmOutline | undefined {
    const text = this.read(uri);
    if (text === undefined) return undefined;
    const hit = this.cache.get(uri);
    if (hit && hit.text === text) return hit.outline;
    const outline = scanAsm(text);
    this.cache.set(uri, { text, outline });
    return outline;
  }

  /** Forgets a document (closed, or changed on disk). */
  forget(uri: string): void {
    this.cache.delete(uri);
  }

  /** The URI an %include of `name` written in `fromUri` refers to (first readable candidate). */
  resolveInclude(fromUri: string, name: string): string | undefined {
    const from = uriToPath(fromUri);
    const dirs = [...(from ? [path.dirname(from)] : []), ...this.includePaths];
    if (path.isAbsolute(name)) dirs.unshift('');
    for (const dir of dirs) {
      const uri = pathToUri(path.resolve(dir, name));
      if (this.read(uri) !== undefined) return uri;
    }
    return undefined;
  }

  /** The document and every file it includes, transitively, in include order (each once). */
  closure(uri: string): string[] {
    const seen = new Set<string>();
    const visit = (u: string): void => {
      if (seen.has(u)) return;
      seen.add(u);
      for (const inc of this.outline(u)?.includes ?? []) {
        const target = this.resolveInclude(u, inc.path);
        if (target) visit(target);
      }
    };
    visit(uri);
    return [...seen];
  }

  /** Every definition visible from a document (its own first, then its includes'). */
  visibleSymbols(uri: string): { uri: string; symbol: SourceSymbol }[] {
    const out: { uri: string; symbol: SourceSymbol }[] = [];
    for (const u of this.closure(uri)) {
      for (const symbol of this.outline(u)?.symbols ?? []) out.push({ uri: u, symbol });
    }
    return out;
  }
}

/** Whether a definition is the one a resolved name refers to (honouring %idefine / %imacro). */
export function definesName(symbol: SourceSymbol, name: string): boolean {
  return symbol.caseless ? symbol.name.toLowerCase() === name.toLowerCase() : symbol.name === name;
}

/** Entries under `dirs` that continue the path typed so far (folders end in '/'). */
function pathCandidates(list: ListDirectory, dirs: readonly string[], typed: string, accept: (entry: string) => boolean): string[] {
  const sub = typed.slice(0, typed.lastIndexOf('/') + 1);
  const out = new Set<string>();
  for (const dir of dirs) {
    for (const entry of list(path.resolve(dir, sub))) if (entry.endsWith('/') || accept(entry)) out.add(sub + entry);
  }
  return [...out].sort();
}
