// JSON lines: one record per line, with its class, for `--trace FILE` and exporters.
// 64-bit argument values that do not fit a double are written as decimal strings.
import { CLASS_OF, TraceRecord } from './records';
import { TraceListener } from './trace';

export function toJsonLine(record: TraceRecord): string {
  return JSON.stringify({ class: CLASS_OF[record.kind], ...record }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/** A listener writing each record as one line (with '\n') to `write`. */
export function jsonLinesWriter(write: (line: string) => void): TraceListener {
  return (r) => write(toJsonLine(r) + '\n');
}

/** Reads a line written by toJsonLine back (bigints come back as strings). */
export function fromJsonLine(line: string): TraceRecord {
  const o = JSON.parse(line) as { class?: unknown; kind?: unknown };
  if (typeof o !== 'object' || o === null || typeof o.kind !== 'string' || !(o.kind in CLASS_OF)) {
    throw new Error(`not a trace record: ${line.slice(0, 80)}`);
  }
  delete o.class;
  return o as TraceRecord;
}
