/**
 * Where `nasm -f bin` puts each section (NASM's outbin.c rules): progbits sections in
 * declaration order (.text first) from the origin, each aligned to its `align=` (default 4,
 * raised by `align`/`sectalign`), sections with `start=` sorted into place; nobits sections
 * after the section declared before them (`.bss`: after the last progbits section).
 */

export interface Section {
  name: string;
  progbits: boolean;
  /** the section declared before this one (null for .text and .bss) */
  prev: Section | null;
  length: number;
  /** per-pass attributes */
  start?: number;
  vstart?: number;
  align?: number;
  valign?: number;
  /** layout results (used for label addresses on the next pass) */
  lma: number;
  vma: number;
}

const alignUp = (v: number, a: number): number => Math.ceil(v / a) * a;

/** Compute `lma`/`vma` of every section; returns the origin. `order` is declaration order. */
export function layout(order: readonly Section[], org: number | undefined): number {
  const progbits = order.filter((s) => s.progbits);
  // Groups: a section with start= leads the sections declared after it without one.
  const groups: Section[][] = [];
  for (const s of progbits) {
    if (groups.length === 0 || s.start !== undefined) groups.push([s]);
    else groups[groups.length - 1].push(s);
  }
  const sorted: Section[][] = [];
  for (const g of groups) {
    const gStart = g[0].start ?? 0;
    const at = sorted.findIndex((h) => h[0].start !== undefined && gStart < h[0].start);
    if (at < 0) sorted.push(g);
    else sorted.splice(at, 0, g);
  }
  const list = sorted.flat();
  const starts = new Map<Section, number>();
  let origin: number;
  const first = list[0];
  if (org !== undefined) {
    origin = org;
    starts.set(first, first.start ?? (first.align !== undefined ? alignUp(org, first.align) : org));
  } else {
    origin = first.start ?? 0;
    starts.set(first, origin);
  }
  let pend = starts.get(first)!;
  for (const g of list) {
    let start = starts.get(g) ?? g.start;
    if (start === undefined) start = alignUp(pend, g.align ?? 4);
    g.lma = start;
    g.vma = g.vstart ?? (g.valign !== undefined ? alignUp(pend, g.valign) : start);
    if (start < pend) continue;
    pend = start + g.length;
  }
  const lastProgbits = list[list.length - 1];
  for (const s of order) {
    if (s.progbits) continue;
    const after = s.prev ?? lastProgbits;
    s.vma = s.vstart ?? s.start ?? alignUp(after.vma + after.length, s.valign ?? s.align ?? 4);
    s.lma = s.vma;
  }
  return origin;
}
