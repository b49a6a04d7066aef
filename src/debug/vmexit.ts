/**
 * `vmexit:<REASON>` breakpoint names and the `reason` name in vmexit conditions, over the VMX
 * exit reason table of the hypervisor's ABI (src/xen/abi/vmx.ts). Accepts `IO_INSTRUCTION`,
 * `EXIT_REASON_IO_INSTRUCTION` and `io_instruction` alike.
 */
import type { CpuState } from '../cpu/state';
import type { VmExitRecord } from '../trace/records';
import { EXIT_REASON } from '../xen/abi/vmx';
import type { Row } from './variables';

export const EXIT_REASONS: Readonly<Record<string, number>> = EXIT_REASON;

/** `IO_INSTRUCTION` / `EXIT_REASON_IO_INSTRUCTION` / `io_instruction` → 30; undefined if unknown. */
export function exitReasonNumber(name: string): number | undefined {
  const key = name.toUpperCase().replace(/^EXIT_REASON_/, '');
  return EXIT_REASONS[key];
}

/** An IO_INSTRUCTION exit's qualification (SDM table 28-5): size-1 in bits 2:0, direction in bit 3, port in bits 31:16. */
export function ioExit(qualification: number): { port: number; size: number; in: number } {
  return { port: qualification >>> 16, size: (qualification & 7) + 1, in: (qualification >>> 3) & 1 };
}

const hex = (v: number, digits = 1) => `0x${(v >>> 0).toString(16).padStart(digits, '0')}`;

/**
 * The VM exit a vCPU stopped at, as rows of the Xen scope: reason, rip, qualification, the
 * handler and, for I/O, port, size, direction and (for out) the value, from the guest's
 * eax as the exit left it.
 */
export function vmExitRows(r: VmExitRecord, s: CpuState): Row[] {
  const reason = r.reasonName.replace(/^EXIT_REASON_/, '');
  const rows: Row[] = [
    { name: 'reason', value: `${reason} (${r.reason})` },
    { name: 'rip', value: hex(r.rip, 8) },
  ];
  if (r.qualification !== undefined) rows.push({ name: 'qualification', value: hex(r.qualification) });
  if (r.handler) rows.push({ name: 'handler', value: r.handler });
  if (r.reason === EXIT_REASONS.IO_INSTRUCTION && r.qualification !== undefined) {
    const io = ioExit(r.qualification);
    rows.push({ name: 'port', value: hex(io.port) }, { name: 'size', value: String(io.size) }, { name: 'direction', value: io.in ? 'in' : 'out' });
    if (!io.in) {
      const v = io.size === 4 ? s.r[0] >>> 0 : s.r[0] & (io.size === 2 ? 0xffff : 0xff);
      const ch = io.size === 1 && v >= 0x20 && v < 0x7f ? ` '${String.fromCharCode(v)}'` : v === 0x0a ? " '\\n'" : '';
      rows.push({ name: 'value', value: `${hex(v, io.size * 2)}${ch}` });
    }
  }
  return rows.map((x) => ({ ...x, readOnly: true }));
}

/** One line for exceptionInfo's details: `IO_INSTRUCTION out port 0x3f8 size 1 value 0x48 'H'`. */
export function vmExitSummary(r: VmExitRecord, s: CpuState): string {
  const rows = vmExitRows(r, s);
  const get = (n: string) => rows.find((x) => x.name === n)?.value;
  const reason = r.reasonName.replace(/^EXIT_REASON_/, '');
  if (!get('port')) return `${reason} at rip ${get('rip')}${get('qualification') ? `, qualification ${get('qualification')}` : ''}`;
  return `${reason} ${get('direction')} port ${get('port')} size ${get('size')}${get('value') ? ` value ${get('value')}` : ''} at rip ${get('rip')}`;
}
