/**
 * The `xensim/timeline` custom request: the recorded history as a picture's data. Per pCPU the
 * vCPU run periods (from the trace's schedule records, as the Chrome export draws them) and the
 * markers a person travels to: hypercalls (decoded arguments and result), VM exits, event sends
 * and deliveries, faults and domain lifecycle, each with its virtual time and the trace record
 * index that `xensim/travelTo { record }` takes.
 *
 * The recorder hears the trace stream like any listener; it keys every record by its index in
 * the history (the time-travel engine's record count), so records heard again after a travel
 * back are recognised, and a future the engine forgot (an input after a travel) is dropped.
 * The answer is bounded: beyond `maxItems` short run periods merge and markers of one kind on
 * one lane share a bucket (the first stands for the others, with their count).
 */
import type { TraceRecord } from '../trace/records';
import { RunPeriod, RunTracker } from '../trace/runs';
import type { Inspectable } from '../xen/inspect';

export const TIMELINE_REQUEST = 'xensim/timeline';

export interface TimelineArguments {
  /** virtual ns; default 0 */
  from?: number;
  /** virtual ns; default the end of the recorded history */
  to?: number;
  /** at most this many periods and markers together (default 4000) */
  maxItems?: number;
}

export type MarkerKind = 'hypercall' | 'vmexit' | 'event-send' | 'event-deliver' | 'fault' | 'domain';
export const MARKER_KINDS: readonly MarkerKind[] = ['hypercall', 'vmexit', 'event-send', 'event-deliver', 'fault', 'domain'];

export interface TimelinePeriod {
  pcpu: number;
  domid: number;
  vcpu: number;
  /** `d1 w256 vcpu0` (the thread's name) */
  name: string;
  /** virtual ns */
  start: number;
  end: number;
  /** this period stands for several short ones (`name` is the one that ran longest among them) */
  merged?: number;
}

export interface TimelineMarker {
  kind: MarkerKind;
  /** 1-based trace record index: `xensim/travelTo { record }` stops right after it */
  record: number;
  /** virtual ns */
  time: number;
  pcpu: number;
  domid: number;
  vcpu: number;
  /** short: `console_io`, `IO_INSTRUCTION`, `send port 3`, `#PF`, `created` */
  label: string;
  /** the whole record: `console_io(CONSOLEIO_write, count=9, buffer=0x10001e) = 0` */
  detail: string;
  /** hypercalls: the result (`0`, `-ENOSYS`), absent while the vCPU is still inside Xen */
  result?: string;
  /** this marker stands for `count` markers of its kind in its bucket */
  count?: number;
}

export interface TimelineLane {
  pcpu: number;
  periods: TimelinePeriod[];
}

export interface TimelineBody {
  /** the window this answer covers (virtual ns) */
  from: number;
  to: number;
  /** where the machine is now: its virtual time and the records emitted up to here */
  nowNs: number;
  nowRecord: number;
  /** the end of the recorded history */
  endNs: number;
  records: number;
  pcpus: number;
  domains: Array<{ domid: number; name: string }>;
  lanes: TimelineLane[];
  markers: TimelineMarker[];
  /** present when the window held more than maxItems: what was merged to fit */
  decimated?: { resolutionNs: number; periods: { total: number; shown: number }; markers: { total: number; shown: number } };
  /** markers not kept because the recorder reached its limit (run periods are always kept) */
  unrecorded?: number;
}

/** What the recorder needs of the time-travel engine: where we are and how far history goes. */
export interface HistoryPosition {
  /** records heard so far: the current position's record index (a number, not position()'s object: the listener asks on every record) */
  recordCount(): number;
  horizon(): { records: number };
}

interface Entry {
  readonly index: number;
  readonly r: TraceRecord;
}

const KEPT: ReadonlySet<TraceRecord['kind']> = new Set(['schedule', 'hypercall-entry', 'hypercall-exit', 'vm-exit', 'event-send', 'event-deliver', 'fault', 'domain']);

export const DEFAULT_MAX_ITEMS = 4000;
const MAX_ITEMS_LIMIT = 100_000;
/** Marker records the recorder keeps at most (each a few hundred bytes); schedule records are always kept. */
const DEFAULT_RECORD_LIMIT = 250_000;

export class TimelineRecorder {
  private entries: Entry[] = [];
  /** the highest record index heard (the stream's index, kept or not) */
  private known = 0;
  private latest = 0;
  private markersKept = 0;
  private dropped = 0;

  constructor(
    private readonly history: HistoryPosition,
    private readonly limit = DEFAULT_RECORD_LIMIT,
  ) {}

  /** Subscribe this to the trace stream after the engine's own counter. */
  readonly listener = (r: TraceRecord): void => {
    const index = this.history.recordCount();
    if (index <= this.known) {
      // heard before, unless the engine forgot the future after an input
      const h = this.history.horizon().records;
      if (this.known > h) this.forgetAfter(Math.max(h, index - 1));
      if (index <= this.known) return;
    }
    this.known = index;
    if (r.time > this.latest) this.latest = r.time;
    if (!KEPT.has(r.kind)) return;
    if (r.kind !== 'schedule' && r.kind !== 'hypercall-exit') {
      if (this.markersKept >= this.limit) {
        this.dropped++;
        return;
      }
      this.markersKept++;
    }
    this.entries.push({ index, r });
  };

  private forgetAfter(index: number): void {
    let n = this.entries.length;
    while (n > 0 && this.entries[n - 1].index > index) n--;
    this.entries.length = n;
    this.known = index;
    this.markersKept = this.entries.filter((e) => e.r.kind !== 'schedule' && e.r.kind !== 'hypercall-exit').length;
    this.latest = n ? this.entries[n - 1].r.time : 0;
  }

  /**
   * The vCPU a marker's record happened on (hypercalls, VM exits, events, faults), so a travel
   * to it can stop on that vCPU's thread; undefined for other records.
   */
  vcpuOf(index: number): { domid: number; vcpu: number } | undefined {
    const i = this.lastAtOrBefore(index);
    const r = i >= 0 && this.entries[i].index === index ? this.entries[i].r : undefined;
    if (!r || r.kind === 'schedule' || r.kind === 'domain') return undefined;
    return { domid: r.domid, vcpu: r.vcpu };
  }

  /** The position in `entries` of the last kept record at or before record `index`, or -1. */
  private lastAtOrBefore(index: number): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.entries[mid].index <= index) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /**
   * The time of the last kept record at or before record `index`: the machine's own clock
   * (Inspectable.now) only advances at the end of a scheduling round, records carry the pCPU's.
   */
  private timeAt(index: number): number {
    const i = this.lastAtOrBefore(index);
    return i >= 0 ? this.entries[i].r.time : 0;
  }

  /** The body for a window of the recorded history, as `ins` shows the machine now. */
  body(ins: Pick<Inspectable, 'now' | 'domains' | 'pcpuCount'>, args: TimelineArguments = {}): TimelineBody {
    const h = this.history.horizon().records;
    if (this.known > h) this.forgetAfter(h);
    const nowRecord = this.history.recordCount();
    const nowNs = Math.max(ins.now(), this.timeAt(nowRecord));
    if (nowNs > this.latest) this.latest = nowNs;
    const endNs = this.latest;
    const { from, to, maxItems } = checkArguments(args, endNs);
    const names = new Map<number, string>([[0, 'Domain-0']]);
    for (const d of ins.domains()) names.set(d.id, d.name);
    for (const { r } of this.entries) if (r.kind === 'domain' && !/^domain\d+$/.test(r.name)) names.set(r.domid, r.name);
    const nameOf = (domid: number, vcpu: number) => `d${domid} ${names.get(domid) ?? `domain${domid}`} vcpu${vcpu}`;

    const pcpus = ins.pcpuCount();
    const byLane = new Map<number, TimelinePeriod[]>();
    for (let p = 0; p < pcpus; p++) byLane.set(p, []);
    const tracker = new RunTracker({
      period: (p: RunPeriod) => {
        if (p.end < from || p.start > to || p.end === p.start) return;
        const lane = byLane.get(p.pcpu) ?? [];
        byLane.set(p.pcpu, lane);
        lane.push({ pcpu: p.pcpu, domid: p.domid, vcpu: p.vcpu, name: nameOf(p.domid, p.vcpu), start: p.start, end: p.end });
      },
    });
    const markers: TimelineMarker[] = [];
    const open = new Map<string, TimelineMarker[]>();
    for (const { index, r } of this.entries) {
      tracker.add(r);
      if (r.kind === 'hypercall-exit') {
        const m = open.get(`${r.domid}.${r.vcpu}`)?.pop();
        if (m) {
          m.result = r.resultText;
          m.detail = `${m.detail} = ${r.resultText}`;
        }
        continue;
      }
      const m = markerOf(r, index);
      if (!m) continue;
      if (r.kind === 'hypercall-entry') {
        const k = `${r.domid}.${r.vcpu}`;
        open.set(k, [...(open.get(k) ?? []), m]);
      }
      if (r.time >= from && r.time <= to) markers.push(m);
    }
    tracker.finish(endNs);

    const lanes = [...byLane.entries()].sort((a, b) => a[0] - b[0]).map(([pcpu, periods]) => ({ pcpu, periods: periods.sort((a, b) => a.start - b.start) }));
    const body: TimelineBody = {
      from,
      to,
      nowNs,
      nowRecord,
      endNs,
      records: h,
      pcpus,
      domains: [...names.entries()].sort((a, b) => a[0] - b[0]).map(([domid, name]) => ({ domid, name })),
      lanes,
      markers,
    };
    if (this.dropped) body.unrecorded = this.dropped;
    return decimate(body, maxItems);
  }
}

function checkArguments(args: TimelineArguments, endNs: number): { from: number; to: number; maxItems: number } {
  const num = (field: keyof TimelineArguments, v: unknown, dflt: number, integer = false): number => {
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v))) {
      throw new Error(`${TIMELINE_REQUEST}: ${field} must be a non-negative ${integer ? 'integer' : 'number'}, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const from = num('from', args.from, 0);
  const to = num('to', args.to, Math.max(endNs, from));
  if (to < from) throw new Error(`${TIMELINE_REQUEST}: to (${to}) is before from (${from})`);
  const maxItems = num('maxItems', args.maxItems, DEFAULT_MAX_ITEMS, true);
  if (maxItems < 1 || maxItems > MAX_ITEMS_LIMIT) throw new Error(`${TIMELINE_REQUEST}: maxItems must be between 1 and ${MAX_ITEMS_LIMIT}, got ${maxItems}`);
  return { from, to, maxItems };
}

const hex = (v: number) => `0x${(v >>> 0).toString(16)}`;

function markerOf(r: TraceRecord, record: number): TimelineMarker | undefined {
  const at = { record, time: r.time, pcpu: r.pcpu, domid: r.domid, vcpu: r.vcpu };
  switch (r.kind) {
    case 'hypercall-entry':
      return { kind: 'hypercall', ...at, label: r.subop ?? r.name, detail: r.text };
    case 'vm-exit': {
      const reason = r.reasonName.replace(/^EXIT_REASON_/, '');
      const extra = [r.qualification !== undefined ? `qualification ${hex(r.qualification)}` : '', r.handler ? `handled by ${r.handler}` : ''].filter(Boolean).join(', ');
      return { kind: 'vmexit', ...at, label: reason, detail: `VM exit ${r.reasonName} at rip ${hex(r.rip)}${extra ? ` (${extra})` : ''}` };
    }
    case 'event-send':
      return { kind: 'event-send', ...at, label: `send port ${r.port}`, detail: `event send port ${r.port} → d${r.remoteDomid} port ${r.remotePort} (${r.virq ?? r.channel})` };
    case 'event-deliver':
      return { kind: 'event-deliver', ...at, label: `deliver port ${r.port}`, detail: `event deliver port ${r.port}${r.virq ? ` (${r.virq})` : ''}${r.upcall ? ', upcall' : ', no upcall (pending or masked)'}` };
    case 'fault':
      return { kind: 'fault', ...at, label: r.name, detail: `fault ${r.name} at ${hex(r.eip)} in ring ${r.ring}${r.errorCode !== undefined ? `, error ${hex(r.errorCode)}` : ''}${r.cr2 !== undefined ? `, cr2 ${hex(r.cr2)}` : ''} → ${r.outcome}` };
    case 'domain':
      return { kind: 'domain', ...at, vcpu: 0, label: r.event, detail: `domain d${r.domid} ${r.name} ${r.event}${r.reason ? ` (${r.reason})` : ''}` };
    default:
      return undefined;
  }
}

/** Periods shorter than `r` next to each other (no idle gap of `r` between) become one. */
export function mergePeriods(periods: readonly TimelinePeriod[], r: number): TimelinePeriod[] {
  const out: TimelinePeriod[] = [];
  let group: TimelinePeriod[] = [];
  const flush = () => {
    if (group.length === 1) out.push(group[0]);
    else if (group.length > 1) {
      const byVcpu = new Map<string, { p: TimelinePeriod; ns: number }>();
      for (const p of group) {
        const k = `${p.domid}.${p.vcpu}`;
        const e = byVcpu.get(k) ?? { p, ns: 0 };
        e.ns += p.end - p.start;
        byVcpu.set(k, e);
      }
      const top = [...byVcpu.values()].reduce((a, b) => (b.ns > a.ns ? b : a));
      const merged = group.reduce((n, p) => n + (p.merged ?? 1), 0);
      out.push({ ...top.p, start: group[0].start, end: Math.max(...group.map((p) => p.end)), merged });
    }
    group = [];
  };
  for (const p of periods) {
    if (p.end - p.start >= r) {
      flush();
      out.push(p);
      continue;
    }
    const last = group[group.length - 1];
    if (last && p.start - last.end >= r) flush();
    group.push(p);
  }
  flush();
  return out;
}

/** One marker per lane, kind and bucket of `r` ns from `from`: the first, counting the rest. */
export function bucketMarkers(markers: readonly TimelineMarker[], from: number, r: number): TimelineMarker[] {
  const buckets = new Map<string, TimelineMarker>();
  for (const m of markers) {
    const k = `${m.pcpu}|${m.kind}|${Math.floor((m.time - from) / r)}`;
    const first = buckets.get(k);
    if (first) first.count = (first.count ?? 1) + (m.count ?? 1);
    else buckets.set(k, { ...m });
  }
  return [...buckets.values()].sort((a, b) => a.record - b.record);
}

/** Fits the body into `maxItems` periods and markers together, coarsening by doubling. */
export function decimate(body: TimelineBody, maxItems: number): TimelineBody {
  const count = (lanes: TimelineLane[], markers: TimelineMarker[]) => lanes.reduce((n, l) => n + l.periods.length, 0) + markers.length;
  const totalPeriods = body.lanes.reduce((n, l) => n + l.periods.length, 0);
  const totalMarkers = body.markers.length;
  if (totalPeriods + totalMarkers <= maxItems) return body;
  const span = Math.max(1, body.to - body.from);
  let r = Math.max(1, span / maxItems);
  let lanes = body.lanes;
  let markers = body.markers;
  for (;;) {
    lanes = body.lanes.map((l) => ({ pcpu: l.pcpu, periods: mergePeriods(l.periods, r) }));
    markers = bucketMarkers(body.markers, body.from, r);
    if (count(lanes, markers) <= maxItems || r > span) break;
    r *= 2;
  }
  if (count(lanes, markers) > maxItems) {
    // still too many (a tiny maxItems on a wide machine): half for markers, keep the earliest
    const keepMarkers = Math.min(markers.length, Math.floor(maxItems / 2));
    let room = maxItems - keepMarkers;
    lanes = lanes.map((l) => {
      const periods = l.periods.slice(0, room);
      room -= periods.length;
      return { pcpu: l.pcpu, periods };
    });
    markers = markers.slice(0, keepMarkers + room);
  }
  const shownPeriods = lanes.reduce((n, l) => n + l.periods.length, 0);
  return {
    ...body,
    lanes,
    markers,
    decimated: { resolutionNs: r, periods: { total: totalPeriods, shown: shownPeriods }, markers: { total: totalMarkers, shown: markers.length } },
  };
}
