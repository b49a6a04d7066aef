// CPULIST strings of cpus= / cpus_soft= (xl.cfg(5)): "all", "0-3,5,^1", "all,^7".
// NUMA node forms ("nodes:0-3") are refused: xensim's machine has no NUMA nodes.

/** A set of pCPUs, kept symbolic until the number of pCPUs is known. */
export interface CpuSet {
  /** Starts from every pCPU ("all"). */
  readonly all: boolean;
  readonly include: readonly number[];
  readonly exclude: readonly number[];
}

/** Parses a CPULIST; returns an error message instead when it is malformed. */
export function parseCpuList(text: string): CpuSet | string {
  const include: number[] = [];
  const exclude: number[] = [];
  let all = false;
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.every((p) => p === '')) return 'empty CPU list';
  for (const part of parts) {
    if (part === 'all') {
      all = true;
      continue;
    }
    if (/^\^?nodes?:/.test(part)) return `'${part}': NUMA nodes are not simulated; list pCPUs instead`;
    const m = /^(\^?)(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return `'${part}' is not a CPU number, range (0-3), exclusion (^1) or 'all'`;
    const lo = Number(m[2]);
    const hi = m[3] !== undefined ? Number(m[3]) : lo;
    if (hi < lo) return `range '${part}' ends before it starts`;
    if (hi - lo > 4096) return `range '${part}' is too large`;
    for (let c = lo; c <= hi; c++) (m[1] ? exclude : include).push(c);
  }
  return { all, include: [...new Set(include)].sort((a, b) => a - b), exclude: [...new Set(exclude)].sort((a, b) => a - b) };
}

/** The pCPUs of a set on a machine with `nrPcpus` pCPUs, in ascending order. */
export function resolveCpuSet(set: CpuSet, nrPcpus: number): number[] {
  const base = set.all ? Array.from({ length: nrPcpus }, (_, i) => i) : set.include.filter((c) => c < nrPcpus);
  const extra = set.all ? set.include.filter((c) => c < nrPcpus) : [];
  const ex = new Set(set.exclude);
  return [...new Set([...base, ...extra])].filter((c) => !ex.has(c)).sort((a, b) => a - b);
}
