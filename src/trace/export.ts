// `--trace-format`: which file format a trace subscription writes (JSON lines or Chrome's Trace
// Event format), so every front end (the CLI, the debug adapter's `trace` attribute) picks the
// same way.
import { ChromeTraceWriter } from './chrome';
import { TraceFilter } from './filter';
import { jsonLinesWriter } from './jsonl';
import { CLASS_BIT, TRACE_CLASSES } from './records';
import { Trace } from './trace';

export const TRACE_FORMATS = ['json', 'chrome'] as const;
export type TraceFormat = (typeof TRACE_FORMATS)[number];

/** The format, or an error message naming the choices. */
export function parseTraceFormat(text: string): TraceFormat | string {
  if ((TRACE_FORMATS as readonly string[]).includes(text)) return text as TraceFormat;
  return `--trace-format must be one of ${TRACE_FORMATS.join(', ')}, got '${text}'`;
}

/**
 * Subscribes a writer of `format` to `trace`; returns what to call when the run ends (with the
 * final virtual time) so the file is complete. Chrome traces always take schedule and domain
 * records as well: the run slices and their names are built from them.
 */
export function subscribeTraceFile(trace: Trace, format: TraceFormat, write: (text: string) => void, filter?: TraceFilter): (endNs: number) => void {
  if (format === 'json') {
    trace.subscribe(jsonLinesWriter(write), filter);
    return () => undefined;
  }
  const w = new ChromeTraceWriter(write);
  const mask = (filter?.mask ?? (1 << TRACE_CLASSES.length) - 1) | CLASS_BIT.schedule | CLASS_BIT.domain;
  trace.subscribe(w.listener, { mask, classes: TRACE_CLASSES.filter((c) => (mask & CLASS_BIT[c]) !== 0) });
  return (endNs) => w.finish(endNs);
}
