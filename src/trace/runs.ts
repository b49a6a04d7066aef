// Reconstructs who ran where and when from the trace stream alone, for exports (Chrome/Perfetto)
// and the xenalyze-like summary: run periods per pCPU from schedule records, and each vCPU's
// runstate (running / runnable / blocked / offline) as far as the trace shows it.
//
// The trace records a vCPU's leaving the CPU (with the reason) and its being chosen, but not a
// wake-up into a run queue while something else runs; so "blocked" here lasts until the vCPU
// is next chosen, and includes any wait in the run queue after the wake-up.
import type { TraceRecord } from './records';

/** DOMID_IDLE: Xen's idle domain, whose vCPUs are "nothing runs here". */
export const IDLE_DOMID = 0x7fff;

export type TraceRunstate = 'running' | 'runnable' | 'blocked' | 'offline';

export interface RunPeriod {
  readonly pcpu: number;
  readonly domid: number;
  readonly vcpu: number;
  /** virtual ns */
  readonly start: number;
  readonly end: number;
}

export interface RunstateChange {
  readonly time: number;
  readonly domid: number;
  readonly vcpu: number;
  /** the pCPU it is on (running) or queued for (runnable), or last ran on */
  readonly pcpu: number;
  readonly from: TraceRunstate | undefined;
  readonly to: TraceRunstate;
}

export interface RunTrackerSink {
  period?(p: RunPeriod): void;
  runstate?(c: RunstateChange): void;
}

const key = (domid: number, vcpu: number) => `${domid}.${vcpu}`;

/** Why a descheduled vCPU left, from the schedule record's reason. */
function leftAs(reason: string): TraceRunstate {
  if (reason === 'block' || reason === 'blocked') return 'blocked';
  if (reason === 'offline') return 'offline';
  return 'runnable';
}

export class RunTracker {
  private readonly current = new Map<number, { domid: number; vcpu: number; start: number }>();
  private readonly states = new Map<string, { state: TraceRunstate; pcpu: number }>();
  /** pCPUs that have had a schedule record: before one, whoever shows up there has run since 0 */
  private readonly scheduled = new Set<number>();
  private readonly lastTime = new Map<number, number>();

  constructor(private readonly sink: RunTrackerSink) {}

  stateOf(domid: number, vcpu: number): { state: TraceRunstate; pcpu: number } | undefined {
    return this.states.get(key(domid, vcpu));
  }

  add(r: TraceRecord): void {
    this.lastTime.set(r.pcpu, Math.max(this.lastTime.get(r.pcpu) ?? 0, r.time));
    if (r.kind === 'schedule') {
      this.scheduled.add(r.pcpu);
      const cur = this.current.get(r.pcpu);
      if (cur) {
        this.close(r.pcpu, r.time);
        if (cur.domid === r.prevDomid && cur.vcpu === r.prevVcpu) this.setState(r.time, cur.domid, cur.vcpu, r.pcpu, leftAs(r.reason));
      }
      if (r.domid !== IDLE_DOMID) this.open(r.pcpu, r.domid, r.vcpu, r.time);
      return;
    }
    if (r.domid === IDLE_DOMID || r.kind === 'domain') return;
    // a guest's record on a pCPU nobody was scheduled on yet: it has run there from the start (dom0's boot)
    if (!this.scheduled.has(r.pcpu) && !this.current.has(r.pcpu)) {
      this.scheduled.add(r.pcpu);
      this.open(r.pcpu, r.domid, r.vcpu, 0);
    }
  }

  /** Closes every open run period at `endNs` (default: the last time seen on its pCPU). */
  finish(endNs?: number): void {
    for (const p of [...this.current.keys()].sort((a, b) => a - b)) this.close(p, Math.max(endNs ?? 0, this.lastTime.get(p) ?? 0));
  }

  private open(pcpu: number, domid: number, vcpu: number, time: number): void {
    this.current.set(pcpu, { domid, vcpu, start: time });
    this.setState(time, domid, vcpu, pcpu, 'running');
  }

  private close(pcpu: number, time: number): void {
    const cur = this.current.get(pcpu);
    if (!cur) return;
    this.current.delete(pcpu);
    this.sink.period?.({ pcpu, domid: cur.domid, vcpu: cur.vcpu, start: cur.start, end: Math.max(time, cur.start) });
  }

  private setState(time: number, domid: number, vcpu: number, pcpu: number, to: TraceRunstate): void {
    const k = key(domid, vcpu);
    const from = this.states.get(k)?.state;
    this.states.set(k, { state: to, pcpu });
    this.sink.runstate?.({ time, domid, vcpu, pcpu, from, to });
  }
}
