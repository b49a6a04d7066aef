/**
 * Xen's credit scheduler (xen/common/sched/credit.c, docs features/sched_credit): each domain
 * gets credit in proportion to its weight every accounting period (30 ms = 3 ticks of 10 ms);
 * running burns credit; vCPUs with credit left run before those without (UNDER before OVER),
 * a vCPU waking from a block with credit is BOOSTed ahead of both; a time slice is 30 ms; a cap
 * parks a domain that used its share until the next accounting. Each pCPU has a run queue and
 * an idle vCPU (`null` here); an idle pCPU steals work its peers could hand over (affinity
 * permitting). Runstates are accounted in virtual time.
 */
import type { Vcpu } from './domain';
import type { Runstate } from './inspect';

export const TICK_NS = 10_000_000;
export const TICKS_PER_ACCT = 3;
export const TSLICE_NS = 30_000_000;
/** credits handed out per pCPU per accounting period, and burnt per ms of running */
export const CREDITS_PER_ACCT = 300;
export const CREDITS_PER_MSEC = 10;
const PRI_ORDER = { boost: 0, under: 1, over: 2 } as const;

export interface SchedHost {
  readonly nrPcpus: number;
  now(pcpu: number): number;
  vcpus(): Vcpu[];
  /** current vCPU of a pCPU (null: its idle vCPU) */
  current(pcpu: number): Vcpu | null;
  setCurrent(pcpu: number, v: Vcpu | null, reason: string): void;
}

export class CreditScheduler {
  /** per-pCPU run queues of runnable vCPUs, in order */
  runq: Vcpu[][];
  ticks = 0;
  /** virtual ns when the credit of the running vCPU of each pCPU was last burnt */
  lastBurn: number[];

  constructor(private readonly host: SchedHost) {
    this.runq = Array.from({ length: host.nrPcpus }, () => []);
    this.lastBurn = new Array<number>(host.nrPcpus).fill(0);
  }

  allowed(v: Vcpu, p: number): boolean {
    return v.affinity.length === 0 || v.affinity.includes(p);
  }

  setRunstate(v: Vcpu, rs: Runstate, now: number): void {
    if (v.runstate === rs) return;
    v.runstateTime[v.runstate] += Math.max(0, now - v.runstateEntry);
    v.runstate = rs;
    v.runstateEntry = now;
  }

  private enqueue(v: Vcpu, front = false): void {
    let p = this.allowed(v, v.pcpu) ? v.pcpu : v.affinity.length ? v.affinity[0] : 0;
    // A waking vCPU goes to an idle pCPU it may use, if there is one.
    if (this.host.current(p) !== null) {
      for (let q = 0; q < this.host.nrPcpus; q++) {
        if (this.allowed(v, q) && this.host.current(q) === null && this.runq[q].length === 0) {
          p = q;
          break;
        }
      }
    }
    const q = this.runq[p];
    if (q.includes(v)) return;
    let i = q.length;
    if (front) i = 0;
    else while (i > 0 && PRI_ORDER[q[i - 1].sched.pri] > PRI_ORDER[v.sched.pri]) i--;
    q.splice(i, 0, v);
    v.pcpu = p;
  }

  private dequeue(v: Vcpu): void {
    for (const q of this.runq) {
      const i = q.indexOf(v);
      if (i >= 0) q.splice(i, 1);
    }
  }

  /** A vCPU becomes runnable (brought up, woken from block). */
  wake(v: Vcpu, boost: boolean): void {
    const now = this.host.now(v.pcpu);
    if (v.runstate === 'running' || v.runstate === 'runnable') return;
    if (boost && v.sched.pri === 'under') v.sched.pri = 'boost';
    this.setRunstate(v, 'runnable', now);
    this.enqueue(v);
    // Preempt a lower-priority current vCPU (or idle) on the chosen pCPU.
    const cur = this.host.current(v.pcpu);
    if (cur === null || PRI_ORDER[v.sched.pri] < PRI_ORDER[cur.sched.pri]) this.schedule(v.pcpu, cur === null ? 'wake' : 'preempt');
  }

  /** A vCPU stops being runnable (blocked, offline, its domain paused or dead). */
  sleep(v: Vcpu, rs: Runstate): void {
    const now = this.host.now(v.pcpu);
    this.dequeue(v);
    const wasRunning = v.runstate === 'running';
    if (wasRunning) this.burn(v, now);
    this.setRunstate(v, rs, now);
    if (wasRunning && this.host.current(v.pcpu) === v) this.schedule(v.pcpu, rs === 'blocked' ? 'block' : rs);
  }

  /** The current vCPU gives up the rest of its slice (SCHEDOP_yield). */
  yield(v: Vcpu): void {
    if (this.host.current(v.pcpu) !== v) return;
    this.schedule(v.pcpu, 'yield', true);
  }

  /** burn_credits: whole credits for the time run, the remainder carried (so a short run costs nothing yet). */
  private burn(v: Vcpu, now: number): void {
    const ran = now - this.lastBurn[v.pcpu];
    if (ran > 0) {
      const val = ran * CREDITS_PER_MSEC + v.sched.residual;
      const credits = Math.floor(val / 1_000_000);
      v.sched.residual = val - credits * 1_000_000;
      v.sched.credit -= credits;
      this.lastBurn[v.pcpu] = now;
    }
    if (v.sched.pri !== 'boost') v.sched.pri = v.sched.credit >= 0 ? 'under' : 'over';
    v.domain.cpuTimeNs += Math.max(0, ran);
  }

  /** Choose what pCPU `p` runs next; the current vCPU, if still runnable, goes back in line. */
  schedule(p: number, reason: string, yielded = false): void {
    const now = this.host.now(p);
    const cur = this.host.current(p);
    if (cur && cur.runstate === 'running') {
      this.burn(cur, now);
      this.setRunstate(cur, 'runnable', now);
      if (!cur.sched.parked) {
        if (yielded) {
          // a yield goes behind everything of its own priority
          this.runq[p].push(cur);
          cur.pcpu = p;
          this.resort(p);
        } else this.enqueue(cur);
      }
    }
    let next = this.runq[p].shift() ?? this.steal(p);
    if (next && next === cur && yielded && this.runq[p].length === 0) next = cur;
    this.lastBurn[p] = now;
    if (next) {
      next.pcpu = p;
      next.sched.sliceStart = now;
      this.setRunstate(next, 'running', now);
    }
    if (next !== cur || reason !== 'tick') this.host.setCurrent(p, next ?? null, reason);
  }

  private resort(p: number): void {
    // stable sort by priority keeps FIFO order within a priority
    this.runq[p].sort((a, b) => PRI_ORDER[a.sched.pri] - PRI_ORDER[b.sched.pri]);
  }

  private steal(p: number): Vcpu | undefined {
    for (let q = 0; q < this.host.nrPcpus; q++) {
      if (q === p) continue;
      const i = this.runq[q].findIndex((v) => this.allowed(v, p));
      if (i >= 0) return this.runq[q].splice(i, 1)[0];
    }
    return undefined;
  }

  /** Every 10 ms of virtual time: burn, end BOOST, account every third tick, preempt and slice. */
  tick(now: number): void {
    this.ticks++;
    for (let p = 0; p < this.host.nrPcpus; p++) {
      const cur = this.host.current(p);
      if (cur) {
        this.burn(cur, now);
        if (cur.sched.pri === 'boost') cur.sched.pri = cur.sched.credit >= 0 ? 'under' : 'over';
        // a capped domain that has used its allowance is parked at once, not at the next accounting
        const cap = cur.domain.cap;
        if (cap > 0 && cur.sched.credit < -(CREDITS_PER_ACCT * cap) / 100) cur.sched.parked = true;
      }
    }
    if (this.ticks % TICKS_PER_ACCT === 0) this.account();
    for (let p = 0; p < this.host.nrPcpus; p++) {
      const cur = this.host.current(p);
      if (!cur) {
        if (this.runq[p].length || this.runq.some((q, i) => i !== p && q.some((v) => this.allowed(v, p)))) this.schedule(p, 'idle-steal');
        continue;
      }
      const head = this.runq[p][0];
      const sliceOver = now - cur.sched.sliceStart >= TSLICE_NS;
      if (cur.sched.parked) this.schedule(p, 'cap');
      else if (head && (PRI_ORDER[head.sched.pri] < PRI_ORDER[cur.sched.pri] || (sliceOver && PRI_ORDER[head.sched.pri] <= PRI_ORDER[cur.sched.pri]))) {
        this.schedule(p, sliceOver ? 'slice' : 'preempt');
      } else if (sliceOver) cur.sched.sliceStart = now;
    }
  }

  /** csched_acct: hand out credit by weight to domains with runnable or running vCPUs. */
  private account(): void {
    const active = this.host.vcpus().filter((v) => v.runstate === 'running' || v.runstate === 'runnable' || v.sched.parked);
    const doms = [...new Set(active.map((v) => v.domain))];
    const weightTotal = doms.reduce((s, d) => s + d.weight, 0);
    if (weightTotal === 0) return;
    // credit for the pCPUs these vCPUs can actually use (pinning shrinks the pool)
    const usable = new Set<number>();
    for (const v of active) for (let p = 0; p < this.host.nrPcpus; p++) if (this.allowed(v, p)) usable.add(p);
    const total = CREDITS_PER_ACCT * usable.size;
    for (const d of doms) {
      const mine = active.filter((v) => v.domain === d);
      // integer credit, rounded up as csched_acct does
      let fair = Math.ceil((total * d.weight) / weightTotal);
      if (d.cap > 0) fair = Math.min(fair, Math.ceil((CREDITS_PER_ACCT * d.cap) / 100));
      const each = Math.ceil(fair / mine.length);
      for (const v of mine) {
        // csched_acct's bounds: at most one time slice of credit either way
        v.sched.credit = Math.max(-CREDITS_PER_ACCT, Math.min(v.sched.credit + each, CREDITS_PER_ACCT));
        if (v.sched.pri !== 'boost') v.sched.pri = v.sched.credit >= 0 ? 'under' : 'over';
        const capped = d.cap > 0 && v.sched.credit < -(CREDITS_PER_ACCT * d.cap) / 100;
        if (capped && !v.sched.parked) {
          v.sched.parked = true;
          if (v.runstate === 'runnable') this.dequeue(v);
        } else if (!capped && v.sched.parked) {
          v.sched.parked = false;
          if (v.runstate === 'runnable') this.enqueue(v);
        }
      }
    }
    for (let p = 0; p < this.host.nrPcpus; p++) this.resort(p);
  }
}
