// Hypercall records built from the raw registers, decoded with Xen's names.
import { GuestReader, decodeHypercall, formatResult } from '../xen/abi';
import { HypercallEntryRecord, HypercallExitRecord, TraceBase } from './records';

/** The entry record for hypercall `nr` with argument registers [ebx, ecx, edx, esi, edi]. */
export function hypercallEntry(base: TraceBase, nr: number, regs: readonly number[], read?: GuestReader): HypercallEntryRecord {
  const d = decodeHypercall(nr, regs, read);
  return { ...base, kind: 'hypercall-entry', nr, name: d.name, subop: d.subop, args: d.args, text: d.text };
}

/** The exit record matching `entry`, with the guest's eax. */
export function hypercallExit(base: TraceBase, entry: Pick<HypercallEntryRecord, 'nr' | 'name' | 'subop'>, eax: number): HypercallExitRecord {
  return { ...base, kind: 'hypercall-exit', nr: entry.nr, name: entry.name, subop: entry.subop, result: eax | 0, resultText: formatResult(eax) };
}
