/**
 * Reverse execution in the debugger: stepBack (by instruction and by line, per thread),
 * reverseContinue (to the previous hit of any armed breakpoint of any kind, in any domain) and
 * the custom request `xensim/travelTo` (an instruction count, a trace record index or a virtual
 * time). Built on the time-travel engine (src/xen/timetravel), which the session drives instead
 * of the bare system; every view reads the machine afresh after a travel, so it shows the
 * machine as it was.
 */
import type { TraceRecord } from '../trace/records';
import type { CpuState } from '../cpu/state';
import type { StopInfo, Watchpoint } from '../xen/inspect';
import type { TimeTravel, TravelPosition } from '../xen/timetravel/engine';
import type { Stopped } from './control';
import type { StopRule } from './stops';

export const TRAVEL_REQUEST = 'xensim/travelTo';

export interface ThreadRef {
  domid: number;
  vcpu: number;
}

/** A breakpoint a replayed stop hits with its condition holding. */
export interface ReverseHit {
  /** for hitBreakpointIds (exception filters have none) */
  id?: number;
  rule: StopRule;
  /** the stop a forward run would report for it */
  stopped: Stopped;
}

/** The armed breakpoints as a reverse search needs them (control.ts builds this). */
export interface ReverseTargets {
  breakpoints: ReadonlyArray<{ domid: number; eip: number }>;
  watchpoints: ReadonlyArray<Watchpoint>;
  /** the replay's record predicate, asked as each record is emitted: a hit whose condition holds */
  onRecord(r: TraceRecord): boolean;
  /** at a replayed stop (the machine there): the breakpoints it hits with their conditions holding */
  hits(stop: StopInfo): ReverseHit[];
  /** every armed breakpoint's rule (their hit counts are set to what they were at the landing) */
  rules(): StopRule[];
}

export interface TravelArguments {
  /** instructions retired by the whole machine */
  instructions?: number;
  /** 1-based index of a trace record (the count of records emitted up to and including it) */
  record?: number;
  /** virtual nanoseconds: the last instruction boundary at or before this time */
  timeNs?: number;
}

const fingerprint = (s: CpuState) => JSON.stringify(s);

/** Limits so a request on a thread that never ran comes back. */
const MAX_LINE_STEPS = 64;

export class ReverseDebugger {
  constructor(readonly tt: TimeTravel) {}

  /**
   * Goes back to just before `t`'s last instruction: the latest instruction count at which the
   * thread's state differs from now (searched by doubling back, then bisecting). False at the
   * start of history.
   */
  stepBackInstruction(t: ThreadRef): boolean {
    const here = this.tt.instructionsRetired();
    const now = fingerprint(this.tt.cpuState(t.domid, t.vcpu));
    const differs = (n: number): boolean => {
      this.tt.travelTo(n);
      return fingerprint(this.tt.cpuState(t.domid, t.vcpu)) !== now;
    };
    // the thread's state at `hi` equals now; find the last n < hi where it differs
    let hi = here;
    let lo = -1;
    for (let back = 1; ; back *= 2) {
      const n = Math.max(0, here - back);
      if (differs(n)) {
        lo = n;
        break;
      }
      hi = n;
      if (n === 0) break;
    }
    if (lo < 0) {
      this.tt.travelTo(0);
      return false;
    }
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (differs(mid)) lo = mid;
      else hi = mid;
    }
    this.tt.travelTo(lo);
    return true;
  }

  /**
   * The reverse of a line step: back to where the thread entered the previous source line it
   * executed (its first instruction there), as `next` from that point would have come here.
   */
  stepBackLine(t: ThreadRef, lineAt: (eip: number) => string | undefined): boolean {
    const lineNow = () => lineAt(this.tt.cpuState(t.domid, t.vcpu).eip >>> 0);
    const start = lineNow();
    let line: string | undefined = start;
    for (let i = 0; i < MAX_LINE_STEPS && line === start; i++) {
      if (!this.stepBackInstruction(t)) return false;
      line = lineNow();
    }
    // now on the previous line's last instruction: go on back to its first
    for (let i = 0; i < MAX_LINE_STEPS; i++) {
      const at = this.tt.position();
      if (!this.stepBackInstruction(t)) return true;
      if (lineNow() !== line) {
        this.tt.travelTo(at);
        return true;
      }
    }
    return true;
  }

  /**
   * Back to the previous stop of any armed breakpoint, as a forward run would have made it:
   * conditions hold there, log points do not stop, and a hit count counts the hits from the
   * start of history (then every breakpoint's count is set to what it was at the landing, so
   * going forward again counts on from there). Undefined (at the start) when there is none.
   */
  reverseContinue(targets: ReverseTargets): Stopped | undefined {
    const search = { breakpoints: targets.breakpoints, watchpoints: targets.watchpoints.length ? targets.watchpoints : undefined, stopOn: targets.onRecord };
    const rules = targets.rules();
    let found: Stopped | undefined;
    if (!rules.some((r) => r.hitCondition)) {
      // no counts needed: search back segment by segment for the last stop that is not only log points
      const hit = this.tt.previousStop(search, (stop) => {
        const s = stopOf(targets.hits(stop).filter((h) => !h.rule.logs));
        if (s) found = s;
        return s !== undefined;
      });
      if (!hit) found = undefined;
    } else {
      const counts = new Map<StopRule, number>();
      let last: { at: TravelPosition; stopped: Stopped; counts: Map<StopRule, number> } | undefined;
      this.tt.stopsSoFar(search, (stop, at) => {
        const stopping = targets.hits(stop).filter((h) => {
          const n = (counts.get(h.rule) ?? 0) + 1;
          counts.set(h.rule, n);
          return h.rule.stopsAt(n);
        });
        const s = stopOf(stopping);
        if (s) last = { at, stopped: s, counts: new Map(counts) };
      });
      if (last) this.tt.travelTo(last.at);
      for (const r of rules) r.hits = last?.counts.get(r) ?? 0;
      found = last?.stopped;
    }
    if (!found) {
      this.tt.travelTo(0);
      return undefined;
    }
    return { ...found, description: `reverse: ${found.description}` };
  }

  travel(args: TravelArguments): void {
    const given = ['instructions', 'record', 'timeNs'].filter((k) => (args as Record<string, unknown>)[k] !== undefined);
    if (given.length !== 1) throw new Error(`${TRAVEL_REQUEST} takes exactly one of instructions, record, timeNs`);
    const field = given[0] as keyof TravelArguments;
    const v = args[field];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new Error(`${TRAVEL_REQUEST}: ${field} must be a non-negative integer, got ${JSON.stringify(v)}`);
    const horizon = this.tt.horizon();
    if (field === 'record') {
      this.tt.travelToRecord(v);
      return;
    }
    if (field === 'instructions') {
      if (v > horizon.instructions) throw new Error(`${TRAVEL_REQUEST}: instruction ${v} has not happened yet (history ends at ${horizon.instructions})`);
      this.tt.travelTo(v);
      return;
    }
    // virtual time advances with instructions: bisect for the last boundary at or before timeNs
    this.tt.travelTo(horizon.instructions);
    if (this.tt.now() <= v) return;
    let lo = 0;
    let hi = horizon.instructions;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      this.tt.travelTo(mid);
      if (this.tt.now() <= v) lo = mid;
      else hi = mid;
    }
    this.tt.travelTo(lo);
  }
}

/** The stop several breakpoints hit at once make: the first one's, with all their ids. */
function stopOf(hits: ReverseHit[]): Stopped | undefined {
  if (!hits.length) return undefined;
  const ids = hits.flatMap((h) => (h.id === undefined ? [] : [h.id]));
  return { ...hits[0].stopped, hitBreakpointIds: ids.length ? ids : undefined };
}

interface Machine {
  image(domid: number): { lineAt(gva: number): { file: string; line: number } | undefined } | undefined;
}

/** The thread a stop after a travel is shown on: the last one, unless its domain does not exist then (dom0). */
function shown(r: ReverseDebugger, last: ThreadRef | undefined): ThreadRef {
  return last && r.tt.domains().some((d) => d.id === last.domid && last.vcpu < d.vcpus) ? { domid: last.domid, vcpu: last.vcpu } : { domid: 0, vcpu: 0 };
}

/** The session's three reverse requests, each ending in the stop to report. */
export const reverseStop = {
  stepBack(r: ReverseDebugger, t: ThreadRef, byLine: boolean, m: Machine): Stopped {
    const lineAt = (eip: number) => {
      const l = m.image(t.domid)?.lineAt(eip);
      return l ? `${l.file}:${l.line}` : undefined;
    };
    const moved = byLine ? r.stepBackLine(t, lineAt) : r.stepBackInstruction(t);
    return { reason: moved ? 'step' : 'entry', ...t, description: moved ? 'step back' : 'start of the recorded history' };
  },
  reverseContinue(r: ReverseDebugger, targets: ReverseTargets, last: ThreadRef | undefined): Stopped {
    return r.reverseContinue(targets) ?? { reason: 'entry', ...shown(r, last), description: 'start of the recorded history' };
  },
  travel(r: ReverseDebugger, args: object, last: ThreadRef | undefined): Stopped {
    r.travel(args as TravelArguments);
    return { reason: 'step', ...shown(r, last), description: `travelled to instruction ${r.tt.instructionsRetired()} (${r.tt.now()} ns)` };
  },
};
