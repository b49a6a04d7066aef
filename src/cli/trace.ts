// `xensim trace summary FILE`: reads a JSON-lines trace (`xensim run --trace FILE`) and prints a
// xenalyze-like summary per domain and vCPU.
import * as fs from 'fs';
import * as path from 'path';
import { CliIO, Command, UsageError } from './command';
import { fromJsonLine } from '../trace/jsonl';
import { formatSummary, TraceSummarizer } from '../trace/summary';

const USAGE = 'usage: xensim trace summary TRACE.jsonl';

export const traceCommand: Command = async (args: string[], io: CliIO) => {
  const [sub, file, ...rest] = args;
  if (sub === '-h' || sub === '--help') throw new UsageError(USAGE);
  if (sub !== 'summary') throw new UsageError(sub ? `unknown trace subcommand '${sub}'\n${USAGE}` : USAGE);
  if (!file || rest.length > 0) throw new UsageError(USAGE);
  const full = path.resolve(io.cwd, file);
  let text: string;
  try {
    text = fs.readFileSync(full, 'utf8');
  } catch (e) {
    io.stderr(`${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}\n`);
    return 1;
  }
  if (text.trimStart().startsWith('{"displayTimeUnit"')) {
    io.stderr(`${file}: this is a Chrome trace; summary reads the JSON-lines trace (--trace-format json)\n`);
    return 1;
  }
  const s = new TraceSummarizer();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    try {
      s.add(fromJsonLine(lines[i]));
    } catch (e) {
      io.stderr(`${file}:${i + 1}:1: ${(e as Error).message}\n`);
      return 1;
    }
  }
  io.stdout(formatSummary(s.summary()));
  return 0;
};
