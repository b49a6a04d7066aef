// --trace-filter: a comma-separated list of record classes ("hypercall,event"), or "all".
import { ALL_CLASSES_MASK, CLASS_BIT, TRACE_CLASSES, TraceClass } from './records';

export interface TraceFilter {
  /** OR of CLASS_BIT values. */
  readonly mask: number;
  readonly classes: readonly TraceClass[];
}

export const ALL_CLASSES: TraceFilter = { mask: ALL_CLASSES_MASK, classes: TRACE_CLASSES };

/** Parses a filter; returns an error message naming the bad class (and a near one) instead. */
export function parseTraceFilter(text: string): TraceFilter | string {
  const parts = text.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0) return `empty trace filter; classes are: ${TRACE_CLASSES.join(', ')}`;
  let mask = 0;
  for (const p of parts) {
    if (p === 'all') {
      mask = ALL_CLASSES_MASK;
      continue;
    }
    const cls = (TRACE_CLASSES as readonly string[]).includes(p) ? (p as TraceClass) : undefined;
    if (!cls) {
      const near = TRACE_CLASSES.find((c) => c.startsWith(p) || p.startsWith(c));
      return `unknown trace class '${p}'${near ? ` (did you mean '${near}'?)` : ''}; classes are: ${TRACE_CLASSES.join(', ')}`;
    }
    mask |= CLASS_BIT[cls];
  }
  return { mask, classes: TRACE_CLASSES.filter((c) => (mask & CLASS_BIT[c]) !== 0) };
}
