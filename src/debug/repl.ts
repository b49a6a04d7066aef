/**
 * Debug console commands after Xen's own tools (`xl list`, `xl vcpu-list`) and gdb's memory
 * dump (`x/16xw <addr>`). Anything else is an expression (evaluated by the session).
 */
import type { Inspectable } from '../xen/inspect';
import type { ThreadRef } from './control';
import { compile } from './expr';
import { inspectableContext, vcpuEnv } from './stops';

export const REPL_COMMANDS = ['xl list', 'xl vcpu-list', 'xl debug-keys e', 'xl debug-keys q', 'xl debug-keys r', 'info threads', 'info evtchn', 'info p2m', 'info pt ', 'x/16xw ', 'x/16xb '];

function pad(s: string | number, n: number, right = false): string {
  const t = String(s);
  return right ? t.padStart(n) : t.padEnd(n);
}

/** The command's output, or undefined when `line` is not a command. Throws Error on bad use. */
/** The reason of a vCPU's last VM exit (`IO_INSTRUCTION`), undefined for none or a PV vCPU. */
export type LastExitReason = (domid: number, vcpu: number) => string | undefined;

export function replCommand(ins: Inspectable, line: string, t: ThreadRef, lastExit: LastExitReason = () => undefined): string | undefined {
  const cmd = line.trim();
  if (/^xl\s+list$/.test(cmd)) {
    const rows = [`${pad('Name', 32)}${pad('ID', 5, true)}${pad('Mem', 7, true)}${pad('VCPUs', 6, true)}  State`];
    for (const d of ins.domains()) {
      const mem = Math.floor((d.pages * 4096) / (1024 * 1024));
      rows.push(`${pad(d.name, 32)}${pad(d.id, 5, true)}${pad(mem, 7, true)}${pad(d.vcpus, 6, true)}  ${d.state}`);
    }
    return rows.join('\n');
  }
  if (/^xl\s+vcpu-list$/.test(cmd) || cmd === 'info threads') {
    // xl's columns, then (HVM vCPUs) the last VM exit's reason, as a last column so the rest line up as xl's
    const all = ins.domains().flatMap((d) => ins.vcpus(d.id).map((v) => ({ d, v, exit: lastExit(d.id, v.vcpu) })));
    const withExits = all.some((x) => x.exit !== undefined);
    const timeWidth = Math.max(8, ...all.map((x) => String(x.v.runstateTime.running).length)) + 2;
    const rows = [`${pad('Name', 32)}${pad('ID', 5, true)}${pad('VCPU', 6, true)}${pad('CPU', 5, true)}  ${pad('State', 10)}${withExits ? `${pad('Time(ns)', timeWidth)}Last exit` : 'Time(ns)'}`];
    for (const { d, v, exit } of all) {
      const time = String(v.runstateTime.running);
      rows.push(`${pad(d.name, 32)}${pad(d.id, 5, true)}${pad(v.vcpu, 6, true)}${pad(v.pcpu, 5, true)}  ${pad(v.runstate, 10)}${withExits ? `${pad(time, timeWidth)}${exit ?? '-'}`.trimEnd() : time}`);
    }
    return rows.join('\n');
  }
  const keys = /^xl\s+debug-keys\s+(\S)$/.exec(cmd);
  if (keys) {
    // Xen's keyhandlers: e = event channels, q = domains and vCPUs, r = the scheduler
    const per = (row: string, pick: (d: { id: number; name: string }, v: number) => string): string => {
      const lines = [`(XEN) '${keys[1]}' pressed -> ${row}`];
      for (const d of ins.domains()) for (let v = 0; v < d.vcpus; v++) lines.push(`(XEN) ${pick(d, v)}`);
      return lines.join('\n');
    };
    const node = (d: number, v: number, name: string) => ins.xenState(d, v).find((n) => n.name === name)?.value ?? '-';
    switch (keys[1]) {
      case 'e':
        return `(XEN) 'e' pressed -> dumping event-channel info\n${replCommand(ins, 'info evtchn', t)}`;
      case 'q':
        return per('dumping domain (and guest debug) info', (d, v) => `d${d.id} ${d.name} vcpu${v}: ${node(d.id, v, 'runstate')}, upcall ${node(d.id, v, 'upcall')}, timer ${node(d.id, v, 'timer')}`);
      case 'r':
        return per('dumping run queues', (d, v) => `d${d.id}v${v} credit ${node(d.id, v, 'credit')} on pcpu${node(d.id, v, 'pcpu')}`);
      default:
        throw new Error(`debug-key '${keys[1]}' is not one xensim answers (e, q, r)`);
    }
  }
  if (/^info\s+evtchn$/.test(cmd)) {
    // every domain's bound ports, as the Xen scope lists them
    const lines: string[] = [];
    for (const d of ins.domains()) {
      if (d.vcpus === 0) continue;
      const node = ins.xenState(d.id, 0).find((n) => n.name === 'event channels');
      for (const c of node?.children ?? []) lines.push(`d${d.id} ${d.name} ${c.name}: ${c.value}`);
    }
    return lines.length ? lines.join('\n') : 'no event channels bound';
  }
  const p2m = /^info\s+p2m(?:\s+d?(\d+))?$/.exec(cmd);
  if (p2m) return p2mText(ins, p2m[1] === undefined ? undefined : Number(p2m[1]));
  const pt = /^info\s+pt\s+(.+)$/.exec(cmd);
  if (pt) {
    const va = compile(pt[1]).evaluate(vcpuEnv(inspectableContext(ins), t.domid, t.vcpu));
    const where = ins.translate(t.domid, t.vcpu, va);
    const hex = (v: number) => `0x${(v >>> 0).toString(16)}`;
    // one line a reader and a test can both parse: gva -> gpa -> ma
    return where ? `d${t.domid} vcpu${t.vcpu} gva ${hex(va)} -> gpa ${hex(where.gpa)} -> ma ${hex(where.ma)}` : `d${t.domid} vcpu${t.vcpu} gva ${hex(va)}: not mapped`;
  }
  const x = /^x\/(\d*)([xdu]?)([bhwi]?)\s+(.+)$/.exec(cmd);
  if (x) {
    const count = Math.min(Number(x[1] || '1'), 4096);
    const unit = x[3] === 'b' ? 1 : x[3] === 'h' ? 2 : 4;
    const env = vcpuEnv(inspectableContext(ins), t.domid, t.vcpu);
    const addr = compile(x[4]).evaluate(env);
    const raw = ins.readMemory(t.domid, 'gva', addr, count * unit, t.vcpu);
    const perLine = unit === 1 ? 16 : unit === 2 ? 8 : 4;
    const lines: string[] = [];
    for (let i = 0; i < count; i += perLine) {
      const cells: string[] = [];
      for (let j = i; j < Math.min(count, i + perLine); j++) {
        const bytes = raw.slice(j * unit, j * unit + unit);
        if (bytes.some((b) => b === undefined)) cells.push('?'.repeat(unit * 2 + 2));
        else {
          let v = 0;
          for (let k = unit - 1; k >= 0; k--) v = v * 256 + bytes[k]!;
          cells.push(x[2] === 'd' ? String(v | 0) : x[2] === 'u' ? String(v) : `0x${v.toString(16).padStart(unit * 2, '0')}`);
        }
      }
      lines.push(`0x${((addr + i * unit) >>> 0).toString(16).padStart(8, '0')}: ${cells.join(' ')}`);
    }
    return lines.join('\n');
  }
  return undefined;
}

/**
 * `info p2m [d<id>]`: each domain's gfn → mfn map (HVM: its P2M; PV: the p2m list Xen keeps),
 * runs of consecutive frames collapsed to one line.
 */
function p2mText(ins: Inspectable, only: number | undefined): string {
  const doms = ins.domains().filter((d) => only === undefined || d.id === only);
  if (!doms.length) throw new Error(`d${only} does not exist (xl list shows the domains)`);
  const hex = (v: number) => `0x${v.toString(16)}`;
  const out: string[] = [];
  for (const d of doms) {
    const ranges = ins.p2m(d.id);
    const pages = ranges.reduce((n, r) => n + r.count, 0);
    out.push(`d${d.id} ${d.name} (${d.kind === 'hvm' ? 'HVM P2M' : 'PV p2m'}): ${pages} pages in ${ranges.length} run${ranges.length === 1 ? '' : 's'}`);
    for (const r of ranges) {
      out.push(r.count === 1 ? `  gfn ${hex(r.gfn)} -> mfn ${hex(r.mfn)}` : `  gfn ${hex(r.gfn)}-${hex(r.gfn + r.count - 1)} -> mfn ${hex(r.mfn)}-${hex(r.mfn + r.count - 1)} (${r.count})`);
    }
  }
  return out.join('\n');
}
