// One human-readable line per record, for the CLI and logs.
import { IoreqRecord, TraceRecord } from './records';

export interface FormatOptions {
  /** Names domains (`d1 web`); default `d<domid>`. */
  readonly domainName?: (domid: number) => string;
}

const hex = (v: number) => `0x${(v >>> 0).toString(16)}`;

/** Virtual time as seconds with nanosecond digits: `   0.001234567`. */
export function formatTime(ns: number): string {
  const s = Math.floor(ns / 1e9);
  const frac = String(Math.floor(ns % 1e9)).padStart(9, '0');
  return `${String(s).padStart(4)}.${frac}`;
}

/** `ioreq send d1v0 pio write 0x3f8/1 = 0x48 (uart)` */
export function ioreqText(r: IoreqRecord): string {
  const what = `${r.type === 0 ? 'pio' : 'copy'} ${r.dir} ${hex(r.addr)}/${r.size}${r.count > 1 ? ` x${r.count}` : ''}`;
  return `ioreq ${r.phase} d${r.targetDomid}v${r.targetVcpu} ${what}${r.data !== undefined ? ` = ${hex(r.data)}` : ''} (${r.device})`;
}

function body(r: TraceRecord): string {
  switch (r.kind) {
    case 'hypercall-entry':
      return `hypercall ${r.text}`;
    case 'hypercall-exit':
      return `hypercall ${r.name}${r.subop ? `(${r.subop})` : ''} = ${r.resultText}`;
    case 'ring-transition':
      return `ring ${r.from} -> ${r.to} (${r.cause})${r.toEip !== undefined ? ` at ${hex(r.toEip)}` : ''}`;
    case 'event-send':
      return `event send port ${r.port} -> d${r.remoteDomid} port ${r.remotePort} (${r.virq ?? r.channel})`;
    case 'event-deliver':
      return `event deliver port ${r.port}${r.virq ? ` (${r.virq})` : ''}${r.upcall ? ' upcall' : ''}`;
    case 'trap-bounce':
      return `trap bounce vector ${r.vector}${r.errorCode !== undefined ? ` error ${hex(r.errorCode)}` : ''}${r.cr2 !== undefined ? ` cr2 ${hex(r.cr2)}` : ''} -> ${hex(r.cs)}:${hex(r.eip)}`;
    case 'fault':
      return `fault ${r.name} at ${hex(r.eip)} ring ${r.ring}${r.errorCode !== undefined ? ` error ${hex(r.errorCode)}` : ''}${r.cr2 !== undefined ? ` cr2 ${hex(r.cr2)}` : ''} -> ${r.outcome}`;
    case 'schedule':
      return `schedule d${r.prevDomid}v${r.prevVcpu} -> d${r.domid}v${r.vcpu} (${r.reason}${r.priority ? `, ${r.priority}` : ''}${r.credit !== undefined ? `, credit ${r.credit}` : ''})`;
    case 'vm-exit':
      return `vm exit ${r.reasonName} at ${hex(r.rip)}${r.qualification !== undefined ? ` qual ${hex(r.qualification)}` : ''}${r.interruptionInfo !== undefined ? ` intr ${hex(r.interruptionInfo)}` : ''}${r.gpa !== undefined ? ` gpa ${hex(r.gpa)}` : ''}`;
    case 'vm-entry':
      return `vm entry at ${hex(r.rip)}${r.vector !== undefined ? ` inject ${hex(r.vector)}` : ''}${r.exitCycles !== undefined ? ` (${r.exitCycles} cycles since the exit)` : ''}`;
    case 'ioreq':
      return ioreqText(r);
    case 'domain':
      return `domain ${r.name} ${r.event}${r.reason ? ` (${r.reason})` : ''}`;
    case 'console':
      return `console ${JSON.stringify(r.text)}`;
  }
}

export function formatRecord(r: TraceRecord, opts: FormatOptions = {}): string {
  const dom = opts.domainName ? opts.domainName(r.domid) : `d${r.domid}`;
  return `[${formatTime(r.time)}] p${r.pcpu} ${dom} v${r.vcpu} ${body(r)}`;
}
