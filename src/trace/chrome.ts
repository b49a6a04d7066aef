// The Trace Event format (JSON object form) that Perfetto and chrome://tracing open: one track
// (thread) per pCPU with a complete-event slice per vCPU run period, instant events for
// hypercalls (decoded arguments and result), VM exits, event sends and deliveries, trap
// bounces, faults and domain lifecycle, and a counter of runnable vCPUs per pCPU.
// Written as a stream (`{"traceEvents":[` … `]}`) so a long run never holds its trace in memory.
import type { TraceRecord } from './records';
import type { TraceListener } from './trace';
import { IDLE_DOMID, RunPeriod, RunstateChange, RunTracker } from './runs';

/** One Trace Event; `ts`/`dur` in microseconds (fractions carry the nanoseconds). */
export interface ChromeEvent {
  name: string;
  ph: 'X' | 'i' | 'C' | 'M';
  pid: number;
  tid?: number;
  ts?: number;
  dur?: number;
  cat?: string;
  /** instant scope: thread, process, global */
  s?: 't' | 'p' | 'g';
  args?: Record<string, unknown>;
}

/** The single "process" the machine is drawn as. */
export const MACHINE_PID = 1;

const us = (ns: number) => ns / 1000;
const hex = (v: number) => `0x${(v >>> 0).toString(16)}`;

export class ChromeTraceWriter {
  private first = true;
  private finished = false;
  private readonly names = new Map<number, string>([[0, 'Domain-0']]);
  private readonly pcpusSeen = new Set<number>();
  private readonly runs: RunTracker;
  /** hypercall entries waiting for their exit, per vCPU (a stack: multicall nests) */
  private readonly pending = new Map<string, TraceRecord[]>();
  /** runnable vCPUs per pCPU, as keys `domid.vcpu` */
  private readonly runnable = new Map<number, Set<string>>();

  readonly listener: TraceListener = (r) => this.add(r);

  constructor(private readonly write: (text: string) => void) {
    this.write('{"displayTimeUnit":"ns","otherData":{"generator":"xensim"},"traceEvents":[\n');
    this.event({ name: 'process_name', ph: 'M', pid: MACHINE_PID, args: { name: 'xensim machine' } });
    this.runs = new RunTracker({ period: (p) => this.period(p), runstate: (c) => this.runstate(c) });
  }

  add(r: TraceRecord): void {
    if (this.finished) return;
    this.pcpu(r.pcpu);
    if (r.kind === 'domain') this.names.set(r.domid, r.name);
    this.runs.add(r);
    const base = { pid: MACHINE_PID, tid: r.pcpu, ts: us(r.time), s: 't' as const };
    const who = { domid: r.domid, vcpu: r.vcpu };
    switch (r.kind) {
      case 'hypercall-entry': {
        const k = `${r.pcpu}.${r.domid}.${r.vcpu}`;
        const stack = this.pending.get(k) ?? [];
        stack.push(r);
        this.pending.set(k, stack);
        break;
      }
      case 'hypercall-exit': {
        const entry = this.pending.get(`${r.pcpu}.${r.domid}.${r.vcpu}`)?.pop();
        this.hypercall(entry, r);
        break;
      }
      case 'vm-exit':
        this.event({ ...base, ph: 'i', cat: 'vmexit', name: `vmexit ${r.reasonName}`, args: { ...who, reason: r.reason, rip: hex(r.rip), ...(r.qualification !== undefined ? { qualification: hex(r.qualification) } : {}), ...(r.gpa !== undefined ? { gpa: hex(r.gpa) } : {}) } });
        break;
      case 'vm-entry':
        if (r.vector !== undefined || r.exitCycles !== undefined) this.event({ ...base, ph: 'i', cat: 'vmexit', name: 'vmentry', args: { ...who, rip: hex(r.rip), ...(r.vector !== undefined ? { vector: hex(r.vector) } : {}), ...(r.exitCycles !== undefined ? { exitCycles: r.exitCycles } : {}) } });
        break;
      case 'ioreq':
        this.event({ ...base, ph: 'i', cat: 'vmexit', name: `ioreq ${r.phase} ${r.device}`, args: { ...who, target: `d${r.targetDomid}v${r.targetVcpu}`, dir: r.dir, addr: hex(r.addr), size: r.size, ...(r.data !== undefined ? { data: hex(r.data) } : {}) } });
        break;
      case 'event-send':
        this.event({ ...base, ph: 'i', cat: 'event', name: `event send port ${r.port}`, args: { ...who, port: r.port, remoteDomid: r.remoteDomid, remotePort: r.remotePort, channel: r.channel, ...(r.virq ? { virq: r.virq } : {}) } });
        break;
      case 'event-deliver':
        this.event({ ...base, ph: 'i', cat: 'event', name: `event deliver port ${r.port}`, args: { ...who, port: r.port, upcall: r.upcall, ...(r.virq ? { virq: r.virq } : {}) } });
        break;
      case 'trap-bounce':
        this.event({ ...base, ph: 'i', cat: 'trap', name: `trap bounce ${r.vector}`, args: { ...who, vector: r.vector, handler: `${hex(r.cs)}:${hex(r.eip)}` } });
        break;
      case 'fault':
        this.event({ ...base, ph: 'i', cat: 'fault', name: `fault ${r.name}`, args: { ...who, vector: r.vector, eip: hex(r.eip), ring: r.ring, outcome: r.outcome, ...(r.cr2 !== undefined ? { cr2: hex(r.cr2) } : {}), ...(r.errorCode !== undefined ? { errorCode: hex(r.errorCode) } : {}) } });
        break;
      case 'domain':
        this.event({ ...base, s: 'g', ph: 'i', cat: 'domain', name: `domain d${r.domid} ${r.event}`, args: { domid: r.domid, name: r.name, event: r.event, ...(r.reason ? { reason: r.reason } : {}) } });
        break;
      default:
        break;
    }
  }

  /** Closes open slices at `endNs` (the machine's final time), flushes unanswered hypercalls, ends the JSON. */
  finish(endNs?: number): void {
    if (this.finished) return;
    this.runs.finish(endNs);
    for (const stack of this.pending.values()) for (const e of stack) this.hypercall(e, undefined);
    this.pending.clear();
    this.finished = true;
    this.write('\n]}\n');
  }

  private hypercall(entry: TraceRecord | undefined, exit: TraceRecord | undefined): void {
    const r = entry ?? exit;
    if (!r) return;
    const args: Record<string, unknown> = { domid: r.domid, vcpu: r.vcpu };
    let name = '';
    if (entry?.kind === 'hypercall-entry') {
      name = entry.name;
      args.call = entry.text;
      args.args = Object.fromEntries(entry.args.map((a) => [a.name, a.text]));
    }
    if (exit?.kind === 'hypercall-exit') {
      name = exit.name;
      args.result = exit.resultText;
      args.durationNs = entry ? exit.time - entry.time : undefined;
    } else args.result = 'none (still in the hypervisor)';
    this.event({ pid: MACHINE_PID, tid: r.pcpu, ts: us(r.time), s: 't', ph: 'i', cat: 'hypercall', name: `hypercall ${name}`, args });
  }

  private period(p: RunPeriod): void {
    const name = `d${p.domid} ${this.names.get(p.domid) ?? `domain${p.domid}`} vcpu${p.vcpu}`;
    this.event({ name, ph: 'X', cat: 'vcpu', pid: MACHINE_PID, tid: p.pcpu, ts: us(p.start), dur: us(p.end - p.start), args: { domid: p.domid, vcpu: p.vcpu, ns: p.end - p.start } });
  }

  private runstate(c: RunstateChange): void {
    const k = `${c.domid}.${c.vcpu}`;
    let changed: number | undefined;
    for (const [p, set] of this.runnable) if (set.delete(k)) changed = p;
    if (changed !== undefined) this.counter(changed, c.time);
    if (c.to === 'runnable' && c.domid !== IDLE_DOMID) {
      const set = this.runnable.get(c.pcpu) ?? new Set();
      this.runnable.set(c.pcpu, set);
      set.add(k);
      if (changed !== c.pcpu) this.counter(c.pcpu, c.time);
    }
  }

  private counter(pcpu: number, time: number): void {
    this.event({ name: `runnable pCPU${pcpu}`, ph: 'C', pid: MACHINE_PID, ts: us(time), args: { runnable: this.runnable.get(pcpu)?.size ?? 0 } });
  }

  private pcpu(p: number): void {
    if (this.pcpusSeen.has(p)) return;
    this.pcpusSeen.add(p);
    this.event({ name: 'thread_name', ph: 'M', pid: MACHINE_PID, tid: p, args: { name: `pCPU ${p}` } });
    this.event({ name: 'thread_sort_index', ph: 'M', pid: MACHINE_PID, tid: p, args: { sort_index: p } });
    this.counter(p, 0);
  }

  private event(e: ChromeEvent): void {
    this.write((this.first ? '' : ',\n') + JSON.stringify(e));
    this.first = false;
  }
}

/** The whole Chrome trace of a record list, as one string (tests, small exports). */
export function toChromeTrace(records: Iterable<TraceRecord>, endNs?: number): string {
  const parts: string[] = [];
  const w = new ChromeTraceWriter((t) => parts.push(t));
  for (const r of records) w.add(r);
  w.finish(endNs);
  return parts.join('');
}
