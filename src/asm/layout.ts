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
  /** `follows=`: placed right after that section (with the sections declared after it) */
  follows?: string;
  /** `vfollows=`: addressed as if right after that section */
  vfollows?: string;
  /** layout results (used for label addresses on the next pass) */
  lma: number;
  vma: number;
}

const alignUp = (v: number, a: number): number => Math.ceil(v / a) * a;

/** Compute `lma`/`vma` of every section; returns the origin. `order` is declaration order. */
export function layout(order: readonly Section[], org: number | undefined): number {
  const progbits = placeFollowers(order.filter((s) => s.progbits));
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
    if (g.vfollows !== undefined && g.vstart === undefined) g.vma = NaN; // computed below
    if (start < pend) continue;
    pend = start + g.length;
  }
  const lastProgbits = list[list.length - 1];
  const byName = new Map(order.map((s) => [s.name, s]));
  // nobits sections and vfollows= chains: repeat until every address is known (NASM's step 4)
  const pending = order.filter((s) => !s.progbits || Number.isNaN(s.vma));
  for (const s of pending) if (!s.progbits) s.vma = s.vstart ?? s.start ?? NaN;
  for (let changed = true; changed; ) {
    changed = false;
    for (const s of pending) {
      if (!Number.isNaN(s.vma)) continue;
      const after = s.vfollows !== undefined ? byName.get(s.vfollows) : s.prev ?? lastProgbits;
      if (!after || Number.isNaN(after.vma)) continue;
      s.vma = alignUp(after.vma + after.length, s.valign ?? (s.progbits ? undefined : s.align) ?? 4);
      changed = true;
    }
  }
  for (const s of pending) {
    if (Number.isNaN(s.vma)) s.vma = s.lma; // unknown or circular vfollows: reported by the caller
    if (!s.progbits) s.lma = s.vma;
  }
  return origin;
}

/**
 * `follows=`: move each such section, with the sections declared after it that have neither
 * start= nor follows=, to just after the section it names.
 */
function placeFollowers(list: Section[]): Section[] {
  const out = list.slice();
  for (const g of list) {
    if (g.follows === undefined) continue;
    const target = out.find((s) => s.name === g.follows);
    if (!target || target === g) continue;
    const at = out.indexOf(g);
    let end = at + 1;
    while (end < out.length && out[end] !== target && out[end].start === undefined && out[end].follows === undefined) end++;
    const group = out.splice(at, end - at);
    out.splice(out.indexOf(target) + 1, 0, ...group);
  }
  return out;
}
