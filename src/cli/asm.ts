// `xensim asm FILE.asm [-o OUT.bin] [-I DIR] [-D NAME[=VALUE]] [--listing]`: NASM source to a flat binary.
import * as fs from 'fs';
import * as path from 'path';
import { assemble, formatDiagnostic } from '../asm';
import { CliIO, Command, UsageError } from './command';

const USAGE = 'usage: xensim asm FILE.asm [-o OUT.bin] [-I DIR] [-D NAME[=VALUE]] [--listing]';

interface AsmArgs {
  input: string;
  output?: string;
  includePaths: string[];
  defines: Record<string, string>;
  listing: boolean;
}

function parseArgs(args: string[]): AsmArgs {
  const a: AsmArgs = { input: '', includePaths: [], defines: {}, listing: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value\n${USAGE}`);
      return v;
    };
    if (arg === '-o') a.output = value();
    else if (arg === '-I') a.includePaths.push(value());
    else if (arg.startsWith('-I') && arg.length > 2) a.includePaths.push(arg.slice(2));
    else if (arg === '-D' || (arg.startsWith('-D') && arg.length > 2)) {
      const def = arg === '-D' ? value() : arg.slice(2);
      const eq = def.indexOf('=');
      a.defines[eq < 0 ? def : def.slice(0, eq)] = eq < 0 ? '' : def.slice(eq + 1);
    } else if (arg === '--listing' || arg === '-l') a.listing = true;
    else if (arg === '-h' || arg === '--help') throw new UsageError(USAGE);
    else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}\n${USAGE}`);
    else if (a.input) throw new UsageError(`only one source file, got ${a.input} and ${arg}\n${USAGE}`);
    else a.input = arg;
  }
  if (!a.input) throw new UsageError(`no source file\n${USAGE}`);
  return a;
}

export const asmCommand: Command = async (args: string[], io: CliIO) => {
  const a = parseArgs(args);
  const resolve = (p: string): string => path.resolve(io.cwd, p);
  const readIfFile = (p: string): Buffer | undefined => {
    try {
      const full = resolve(p);
      return fs.statSync(full).isFile() ? fs.readFileSync(full) : undefined;
    } catch {
      return undefined;
    }
  };
  let source: string;
  try {
    source = fs.readFileSync(resolve(a.input), 'utf8');
  } catch (e) {
    io.stderr(`xensim asm: cannot read ${a.input}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
    return 1;
  }
  const result = assemble(source, {
    file: a.input,
    includePaths: a.includePaths,
    defines: a.defines,
    listing: a.listing,
    readBinary: (p) => {
      const b = readIfFile(p);
      return b && new Uint8Array(b);
    },
    readFile: (p) => readIfFile(p)?.toString('utf8'),
  });
  const diagnostics = [...result.errors, ...result.warnings].sort((x, y) => (x.file === y.file ? x.line - y.line || x.col - y.col : 0));
  for (const d of diagnostics) io.stderr(formatDiagnostic(d) + '\n');
  if (result.errors.length) {
    const n = result.errors.length;
    io.stderr(`xensim asm: ${n} error${n === 1 ? '' : 's'}; no output written\n`);
    return 1;
  }
  const output = a.output ?? a.input.replace(/\.(asm|s|nasm)$/i, '') + '.bin';
  fs.writeFileSync(resolve(output), result.image);
  if (a.listing && result.listing) io.stdout(result.listing);
  return 0;
};
