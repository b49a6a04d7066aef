/**
 * Data breakpoints: what `dataBreakpointInfo` offers, the dataId that names a watched range
 * (`d1:gva:0x100040/4`: a domain's guest-virtual range and its length), the per-domain debug
 * register budget, and the text a hit is reported with. The simulator arms them as
 * RunOptions.watchpoints on the domain's vCPUs (src/xen/watch.ts): x86's DR0–DR3, so at most
 * four aligned 1/2/4/8-byte pieces per domain, compared with linear addresses (gva; an HVM
 * guest's through its own paging).
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Inspectable, Watchpoint, WatchValue } from '../xen/inspect';
import { watchPieces } from '../xen/watch';
import { formatMemoryReference, MemoryReferenceError, parseMemoryReference } from './memref';

/** Debug registers a domain's data breakpoints share (DR0–DR3). */
export const DEBUG_REGISTERS = 4;

/** A watched range of one domain, as a dataId names it. */
export interface DataRange {
  domid: number;
  gva: number;
  length: number;
}

export type DataAccess = Watchpoint['access'];
export const DATA_ACCESS_TYPES: DataAccess[] = ['read', 'write', 'readWrite'];

const SIZE_NAMES: Record<number, string> = { 1: 'byte', 2: 'word', 4: 'dword', 8: 'qword' };

export function formatDataId(r: DataRange): string {
  return `${formatMemoryReference({ space: 'gva', domid: r.domid, address: r.gva })}/${r.length}`;
}

/** Reads a dataId back; throws Error saying what one looks like. */
export function parseDataId(id: string): DataRange {
  const m = /^(.*)\/(\d+)$/.exec(String(id));
  if (!m) throw new Error(`dataId '${id}' is not d<domid>:gva:<addr>/<bytes> (ask dataBreakpointInfo for one)`);
  const ref = parseMemoryReference(m[1]);
  if (ref.space !== 'gva' || ref.domid === undefined) throw new Error(`dataId '${id}': data breakpoints watch guest-virtual addresses`);
  return { domid: ref.domid, gva: ref.address, length: Number(m[2]) };
}

/** Debug registers a range takes (aligned 1/2/4/8-byte pieces), or an error for a bad length. */
export function registersFor(r: DataRange): number {
  if (!Number.isInteger(r.length) || r.length < 1 || r.length > 32) throw new Error(`${r.length} bytes cannot be watched (1 to 32 bytes: four debug registers of up to 8 bytes)`);
  return watchPieces({ ...r, access: 'write' }).length;
}

function domainLabel(ins: Inspectable, domid: number): string {
  const d = ins.domains().find((x) => x.id === domid);
  return d ? `d${domid} ${d.name}` : `d${domid}`;
}

/** `counter`, `message+3`: the symbol a gva is in, when the image knows one. */
function symbolText(ins: Inspectable, domid: number, gva: number): string | undefined {
  const s = ins.image(domid)?.symbolAt(gva);
  if (!s) return undefined;
  const off = (gva - s.address) >>> 0;
  return off === 0 ? s.name : off < 0x1000 ? `${s.name}+${off}` : undefined;
}

/** `dword at 0x100040 (counter) in d1 hello`: what a range is, for descriptions. */
export function describeRange(ins: Inspectable, r: DataRange, what?: string): string {
  const size = SIZE_NAMES[r.length] ?? `${r.length} bytes`;
  const sym = symbolText(ins, r.domid, r.gva);
  const names = [what, sym].filter((x) => x !== undefined && x !== `0x${r.gva.toString(16)}`);
  return `${size} at 0x${(r.gva >>> 0).toString(16)}${names.length ? ` (${names.join(', ')})` : ''} in ${domainLabel(ins, r.domid)}`;
}

/**
 * The body of a dataBreakpointInfo answer for a range (or why there is none). A range of an
 * unknown domain, or one longer than the debug registers can cover, gets dataId null.
 */
export function dataInfo(ins: Inspectable, r: DataRange, what?: string): DebugProtocol.DataBreakpointInfoResponse['body'] {
  if (!ins.domains().some((d) => d.id === r.domid)) return { dataId: null, description: `d${r.domid} does not exist` };
  let regs: number;
  try {
    regs = registersFor(r);
  } catch (e) {
    return { dataId: null, description: (e as Error).message };
  }
  if (regs > DEBUG_REGISTERS) return { dataId: null, description: `${describeRange(ins, r, what)} needs ${regs} debug registers (aligned 1/2/4/8-byte pieces); a domain has ${DEBUG_REGISTERS}` };
  return { dataId: formatDataId(r), description: describeRange(ins, r, what), accessTypes: DATA_ACCESS_TYPES, canPersist: false };
}

/** `byte [x]` / `[x]`: the address and size an expression names in memory, else undefined. */
export function memoryOperand(text: string): { address: string; size?: number } | undefined {
  const m = /^\s*(byte|word|dword|qword)?\s*\[(.*)\]\s*$/i.exec(text);
  if (!m) return undefined;
  const size = m[1] ? { byte: 1, word: 2, dword: 4, qword: 8 }[m[1].toLowerCase() as 'byte'] : undefined;
  return { address: m[2], size };
}

/** An asAddress name that is a memory reference (`d2:gva:0x1000`), else undefined (an expression). */
export function addressReference(text: string, thread: { domid: number; vcpu: number }): { domid: number; address: number } | undefined {
  try {
    const ref = parseMemoryReference(text, thread);
    if (ref.space !== 'gva') throw new Error(`'${text}': data breakpoints watch guest-virtual addresses (the debug registers compare linear addresses), not ${ref.space}`);
    return { domid: ref.domid!, address: ref.address };
  } catch (e) {
    if (e instanceof MemoryReferenceError) return undefined;
    throw e;
  }
}

/** Little-endian value of up to 4 bytes (what a condition's `value` and `old` are). */
export function valueOf(bytes: number[]): number | undefined {
  if (bytes.length === 0) return undefined;
  let v = 0;
  for (let i = Math.min(bytes.length, 4) - 1; i >= 0; i--) v = v * 256 + bytes[i];
  return v >>> 0;
}

function valueText(bytes: number[]): string {
  if (bytes.length === 0) return '(unreadable)';
  if (bytes.length <= 4) return `0x${valueOf(bytes)!.toString(16).padStart(bytes.length * 2, '0')}`;
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** Which access a hit was: a 'write' watch sees writes; otherwise a change says it was one. */
export function accessOf(w: Watchpoint, v: WatchValue | undefined): 'read' | 'write' {
  if (w.access === 'write') return 'write';
  if (w.access === 'read' || !v) return 'read';
  return v.before.join() !== v.after.join() ? 'write' : 'read';
}

/** The stopped event's description: the range, the access, the vCPU and old → new. */
export function describeHit(ins: Inspectable, w: Watchpoint, v: WatchValue | undefined, vcpu: number, eip: number): string {
  const access = accessOf(w, v);
  const change = !v ? '' : access === 'write' ? `: ${valueText(v.before)} → ${valueText(v.after)}` : `: value ${valueText(v.after)}`;
  return `data breakpoint: ${access} of ${describeRange(ins, w)} by vcpu${vcpu}${change} (eip 0x${(eip >>> 0).toString(16)}, after the access)`;
}
