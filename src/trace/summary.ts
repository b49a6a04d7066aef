// A xenalyze-like summary of a trace: per domain and vCPU the runstate times (from the
// schedule records, see runs.ts for what the trace can and cannot show), hypercall counts and
// time in the hypervisor by hypercall, VM exit counts and time by reason (exit to entry, a
// device model's round trip included), events sent and delivered, ioreqs sent and served.
import type { TraceRecord } from './records';
import { IDLE_DOMID, RunTracker, TraceRunstate } from './runs';

export interface CountTime {
  count: number;
  /** virtual ns between entry and exit (exit and entry for VM exits) */
  ns: number;
}

export interface VcpuSummary {
  vcpu: number;
  runstateNs: Record<TraceRunstate, number>;
  hypercalls: Map<string, CountTime>;
  vmExits: Map<string, CountTime>;
  eventsSent: number;
  eventsDelivered: number;
  /** ioreqs this vCPU sent to a device model, and served as one (dom0's device model) */
  ioreqsSent: number;
  ioreqsServed: number;
}

export interface DomainSummary {
  domid: number;
  name: string;
  vcpus: Map<number, VcpuSummary>;
}

export interface TraceSummary {
  /** the last virtual time in the trace */
  endNs: number;
  records: number;
  domains: Map<number, DomainSummary>;
}

export class TraceSummarizer {
  private readonly domains = new Map<number, DomainSummary>();
  private readonly since = new Map<string, { state: TraceRunstate; time: number }>();
  private readonly open = new Map<string, { kind: 'hypercall' | 'vmexit'; name: string; time: number }[]>();
  private readonly runs = new RunTracker({
    runstate: (c) => {
      const k = `${c.domid}.${c.vcpu}`;
      const prev = this.since.get(k);
      if (prev) this.vcpu(c.domid, c.vcpu).runstateNs[prev.state] += Math.max(0, c.time - prev.time);
      this.since.set(k, { state: c.to, time: c.time });
    },
  });
  private endNs = 0;
  private count = 0;

  add(r: TraceRecord): void {
    this.count++;
    this.endNs = Math.max(this.endNs, r.time);
    if (r.kind === 'domain') this.domain(r.domid).name = r.name;
    this.runs.add(r);
    if (r.domid === IDLE_DOMID) return;
    const k = `${r.domid}.${r.vcpu}`;
    switch (r.kind) {
      case 'hypercall-entry':
        this.vcpu(r.domid, r.vcpu);
        this.push(k, { kind: 'hypercall', name: r.name, time: r.time });
        break;
      case 'hypercall-exit':
        this.pop(k, 'hypercall', r.name, r.time, (v) => v.hypercalls);
        break;
      case 'vm-exit':
        this.push(k, { kind: 'vmexit', name: r.reasonName, time: r.time });
        break;
      case 'vm-entry':
        this.pop(k, 'vmexit', undefined, r.time, (v) => v.vmExits);
        break;
      case 'event-send':
        this.vcpu(r.domid, r.vcpu).eventsSent++;
        break;
      case 'event-deliver':
        this.vcpu(r.domid, r.vcpu).eventsDelivered++;
        break;
      case 'ioreq':
        if (r.phase === 'send') this.vcpu(r.domid, r.vcpu).ioreqsSent++;
        else if (r.phase === 'dm') this.vcpu(r.domid, r.vcpu).ioreqsServed++;
        break;
      default:
        break;
    }
  }

  /** The summary so far; `endNs` (default: the last record's time) closes open runstates. */
  summary(endNs = this.endNs): TraceSummary {
    const end = Math.max(endNs, this.endNs);
    const domains = new Map<number, DomainSummary>();
    for (const [id, d] of [...this.domains].sort((a, b) => a[0] - b[0])) {
      const vcpus = new Map<number, VcpuSummary>();
      for (const [n, v] of [...d.vcpus].sort((a, b) => a[0] - b[0])) {
        const runstateNs = { ...v.runstateNs };
        const open = this.since.get(`${id}.${n}`);
        if (open) runstateNs[open.state] += Math.max(0, end - open.time);
        const hypercalls = new Map(v.hypercalls);
        const vmExits = new Map(v.vmExits);
        // still inside: counted, with the time so far
        for (const o of this.open.get(`${id}.${n}`) ?? []) {
          const m = o.kind === 'hypercall' ? hypercalls : vmExits;
          const c = m.get(o.name) ?? { count: 0, ns: 0 };
          m.set(o.name, { count: c.count + 1, ns: c.ns + Math.max(0, end - o.time) });
        }
        vcpus.set(n, { ...v, runstateNs, hypercalls, vmExits });
      }
      domains.set(id, { ...d, vcpus });
    }
    return { endNs: end, records: this.count, domains };
  }

  private push(k: string, o: { kind: 'hypercall' | 'vmexit'; name: string; time: number }): void {
    const s = this.open.get(k) ?? [];
    s.push(o);
    this.open.set(k, s);
  }

  private pop(k: string, kind: 'hypercall' | 'vmexit', name: string | undefined, time: number, table: (v: VcpuSummary) => Map<string, CountTime>): void {
    const s = this.open.get(k);
    const i = s ? s.map((o) => o.kind === kind && (name === undefined || o.name === name)).lastIndexOf(true) : -1;
    if (!s || i < 0) return;
    const [o] = s.splice(i, 1);
    const [domid, vcpu] = k.split('.').map(Number);
    const m = table(this.vcpu(domid, vcpu));
    const c = m.get(o.name) ?? { count: 0, ns: 0 };
    m.set(o.name, { count: c.count + 1, ns: c.ns + Math.max(0, time - o.time) });
  }

  private domain(domid: number): DomainSummary {
    let d = this.domains.get(domid);
    if (!d) {
      d = { domid, name: domid === 0 ? 'Domain-0' : `domain${domid}`, vcpus: new Map() };
      this.domains.set(domid, d);
    }
    return d;
  }

  private vcpu(domid: number, vcpu: number): VcpuSummary {
    const d = this.domain(domid);
    let v = d.vcpus.get(vcpu);
    if (!v) {
      v = { vcpu, runstateNs: { running: 0, runnable: 0, blocked: 0, offline: 0 }, hypercalls: new Map(), vmExits: new Map(), eventsSent: 0, eventsDelivered: 0, ioreqsSent: 0, ioreqsServed: 0 };
      d.vcpus.set(vcpu, v);
    }
    return v;
  }
}

export function summarize(records: Iterable<TraceRecord>, endNs?: number): TraceSummary {
  const s = new TraceSummarizer();
  for (const r of records) s.add(r);
  return s.summary(endNs);
}

const sec = (ns: number) => `${(ns / 1e9).toFixed(9)} s`;

function table(title: string, m: Map<string, CountTime>, indent: string): string[] {
  if (m.size === 0) return [];
  const rows = [...m].sort((a, b) => b[1].ns - a[1].ns || b[1].count - a[1].count || a[0].localeCompare(b[0]));
  const w = Math.max(title.length, ...rows.map(([n]) => n.length));
  return [`${indent}${title.padEnd(w)}  ${'count'.padStart(8)}  total time`, ...rows.map(([n, c]) => `${indent}${n.padEnd(w)}  ${String(c.count).padStart(8)}  ${sec(c.ns)}`)];
}

/** The summary as text (what `xensim trace summary` prints). */
export function formatSummary(s: TraceSummary): string {
  const out = [`${s.records} records, virtual time ${sec(s.endNs)}`];
  for (const d of s.domains.values()) {
    out.push('', `d${d.domid} ${d.name}`);
    for (const v of d.vcpus.values()) {
      const rs = v.runstateNs;
      out.push(`  vcpu${v.vcpu}`);
      out.push(`    runstates: running ${sec(rs.running)}  runnable ${sec(rs.runnable)}  blocked ${sec(rs.blocked)}  offline ${sec(rs.offline)}`);
      out.push(...table('hypercall', v.hypercalls, '    '));
      out.push(...table('vm exit', v.vmExits, '    '));
      out.push(`    events: sent ${v.eventsSent}, delivered ${v.eventsDelivered}`);
      if (v.ioreqsSent || v.ioreqsServed) out.push(`    ioreqs: sent ${v.ioreqsSent}, served as device model ${v.ioreqsServed}`);
    }
  }
  return out.join('\n') + '\n';
}
