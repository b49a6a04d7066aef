/**
 * Each HVM vCPU's last VM exit and its exits by reason, for the Xen scope and `xl vcpu-list`,
 * whether or not the vCPU stopped at an exit. Heard from the trace stream like the timeline's
 * recorder (timeline.ts): every exit is keyed by its record index, so after a travel back the
 * answer is the last exit at or before the current position, records heard again are known,
 * and a future the engine forgot (an input after a travel) is dropped.
 *
 * An EPT violation's guest-physical address is not in the exit record (Xen reads it from the
 * VMCS, not the qualification); for one forwarded to the device model it is the address of the
 * ioreq Xen posts right after it, so the recorder takes it from there.
 */
import type { IoreqRecord, TraceRecord, VmExitRecord } from '../trace/records';
import { EPT_QUAL, IOREQ_TYPE } from '../xen/abi/vmx';
import type { HistoryPosition } from './timeline';
import type { Row } from './variables';
import { EXIT_REASONS, ioExit } from './vmexit';

interface ExitEntry {
  readonly index: number;
  readonly r: VmExitRecord;
  /** EPT_VIOLATION forwarded as an ioreq: the guest-physical address (set by the ioreq that follows) */
  gpa?: number;
}

/** An exit as the debugger shows it, with where the machine is now. */
export interface LastExit {
  /** 1-based trace record index (what `xensim/travelTo { record }` takes) */
  readonly record: number;
  readonly r: VmExitRecord;
  readonly gpa?: number;
  /** records emitted since the exit, and virtual ns (the pCPU clocks differ a little: never negative) */
  readonly recordsAgo: number;
  readonly nsAgo: number;
}

/** Exit records kept at most per vCPU (each ~200 bytes); beyond it the oldest go and counts stay. */
const DEFAULT_PER_VCPU_LIMIT = 200_000;

const key = (domid: number, vcpu: number) => `${domid}.${vcpu}`;

export class VmExitRecorder {
  private readonly exits = new Map<string, ExitEntry[]>();
  /** exits forgotten past the limit, by reason: counted in every later answer */
  private readonly evicted = new Map<string, Map<string, number>>();
  private known = 0;
  /** the last record heard (kept or not): the clock of "how long ago" */
  private lastHeard = { index: 0, time: 0 };

  constructor(
    private readonly history: HistoryPosition,
    private readonly perVcpuLimit = DEFAULT_PER_VCPU_LIMIT,
  ) {}

  /** Subscribe this to the trace stream after the engine's own counter. */
  readonly listener = (r: TraceRecord): void => {
    const index = this.history.recordCount();
    this.lastHeard = { index, time: r.time };
    if (index <= this.known) {
      const h = this.history.horizon().records;
      if (this.known > h) this.forgetAfter(Math.max(h, index - 1));
      if (index <= this.known) return;
    }
    this.known = index;
    if (r.kind === 'vm-exit') this.add(index, r);
    else if (r.kind === 'ioreq') this.noteIoreq(r);
  };

  private add(index: number, r: VmExitRecord): void {
    const k = key(r.domid, r.vcpu);
    const list = this.exits.get(k) ?? [];
    this.exits.set(k, list);
    list.push(r.gpa === undefined ? { index, r } : { index, r, gpa: r.gpa });
    if (list.length > this.perVcpuLimit) {
      const old = list.shift()!;
      const counts = this.evicted.get(k) ?? new Map<string, number>();
      this.evicted.set(k, counts);
      counts.set(reasonOf(old.r), (counts.get(reasonOf(old.r)) ?? 0) + 1);
    }
  }

  private noteIoreq(r: IoreqRecord): void {
    if (r.phase !== 'send' || r.type !== IOREQ_TYPE.COPY) return;
    const list = this.exits.get(key(r.domid, r.vcpu));
    const last = list?.[list.length - 1];
    if (last && last.r.reason === EXIT_REASONS.EPT_VIOLATION && last.gpa === undefined) last.gpa = r.addr;
  }

  private forgetAfter(index: number): void {
    for (const list of this.exits.values()) {
      let n = list.length;
      while (n > 0 && list[n - 1].index > index) n--;
      list.length = n;
    }
    this.known = index;
  }

  /** The exits of a vCPU at or before the current position (oldest first). */
  private upToNow(domid: number, vcpu: number): { list: readonly ExitEntry[]; n: number; now: number } {
    const h = this.history.horizon().records;
    if (this.known > h) this.forgetAfter(h);
    const now = this.history.recordCount();
    const list = this.exits.get(key(domid, vcpu)) ?? [];
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].index <= now) lo = mid + 1;
      else hi = mid;
    }
    return { list, n: lo, now };
  }

  /** The vCPU's last exit at or before the current position; `nowNs` is the machine's clock. */
  last(domid: number, vcpu: number, nowNs: number): LastExit | undefined {
    const { list, n, now } = this.upToNow(domid, vcpu);
    if (n === 0) return undefined;
    const e = list[n - 1];
    const heardNs = this.lastHeard.index === now ? this.lastHeard.time : 0;
    const at = Math.max(nowNs, heardNs, e.r.time);
    return { record: e.index, r: e.r, gpa: e.gpa, recordsAgo: now - e.index, nsAgo: at - e.r.time };
  }

  /** The vCPU's exits up to the current position by reason (`IO_INSTRUCTION` → 12), most first. */
  counts(domid: number, vcpu: number): Array<[string, number]> {
    const { list, n } = this.upToNow(domid, vcpu);
    const counts = new Map(this.evicted.get(key(domid, vcpu)) ?? []);
    for (let i = 0; i < n; i++) {
      const reason = reasonOf(list[i].r);
      counts.set(reason, (counts.get(reason) ?? 0) + 1);
    }
    return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  }
}

const reasonOf = (r: VmExitRecord) => r.reasonName.replace(/^EXIT_REASON_/, '');
const hex = (v: number, digits = 1) => `0x${(v >>> 0).toString(16).padStart(digits, '0')}`;

/** The qualification as Intel's tables define it for the reasons the simulator takes (SDM 27.2.1). */
export function decodeQualification(r: VmExitRecord, gpa?: number): string | undefined {
  const q = r.qualification;
  if (q === undefined) return undefined;
  switch (r.reason) {
    case EXIT_REASONS.IO_INSTRUCTION: {
      const io = ioExit(q);
      return `${io.in ? 'in' : 'out'} port ${hex(io.port)} size ${io.size}${q & 0x10 ? ', string' : ''}${q & 0x20 ? ', rep' : ''}`;
    }
    case EXIT_REASONS.EPT_VIOLATION: {
      const access = [q & EPT_QUAL.READ ? 'read' : '', q & EPT_QUAL.WRITE ? 'write' : '', q & EPT_QUAL.FETCH ? 'fetch' : ''].filter(Boolean).join('+') || 'none';
      return `${access}${gpa !== undefined ? ` gpa ${hex(gpa)}` : ''}`;
    }
    case EXIT_REASONS.CR_ACCESS: {
      const cr = q & 0xf;
      const type = (q >>> 4) & 3;
      const gpr = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'][(q >>> 8) & 7];
      return [`mov ${gpr} -> cr${cr}`, `mov cr${cr} -> ${gpr}`, 'clts', `lmsw ${hex(q >>> 16)}`][type];
    }
    default:
      return undefined;
  }
}

/** `IO_INSTRUCTION out port 0x3f8 size 1, 3 records / 1200 ns ago`: one line for the row and the REPL. */
export function lastExitSummary(e: LastExit): string {
  const decoded = decodeQualification(e.r, e.gpa);
  return `${reasonOf(e.r)}${decoded ? ` ${decoded}` : ''} at rip ${hex(e.r.rip, 8)}, ${e.recordsAgo} records / ${e.nsAgo} ns ago`;
}

/** The Xen scope's `last VM exit` row's children. */
export function lastExitRows(e: LastExit): Row[] {
  const decoded = decodeQualification(e.r, e.gpa);
  const rows: Row[] = [
    { name: 'reason', value: `${reasonOf(e.r)} (${e.r.reason})` },
    { name: 'rip', value: hex(e.r.rip, 8) },
  ];
  if (e.r.qualification !== undefined) rows.push({ name: 'qualification', value: `${hex(e.r.qualification)}${decoded ? ` (${decoded})` : ''}` });
  if (e.gpa !== undefined) rows.push({ name: 'gpa', value: hex(e.gpa, 8) });
  if (e.r.handler) rows.push({ name: 'handler', value: e.r.handler });
  rows.push({ name: 'time', value: `${e.r.time} ns` });
  if (e.r.cycles !== undefined) rows.push({ name: 'cycles', value: String(e.r.cycles) });
  rows.push({ name: 'record', value: String(e.record) }, { name: 'ago', value: `${e.recordsAgo} records, ${e.nsAgo} ns` });
  return rows.map((x) => ({ ...x, readOnly: true }));
}

/** The Xen scope's `VM exits` row's children: one per reason with its count. */
export function exitCountRows(counts: ReadonlyArray<[string, number]>): Row[] {
  return counts.map(([reason, n]) => ({ name: reason, value: String(n), readOnly: true }));
}
