/**
 * Xen's emulation of privileged instructions a PV guest kernel executes in ring 1
 * (emulate_privileged_op in xen/arch/x86/pv/emul-priv-op.c): reads of the control registers,
 * and port I/O for a domain given the ports (the hardware domain has them all). Everything else
 * stays a #GP bounced to the guest. The simulated machine has no devices behind its ports: reads
 * see an empty bus (all ones) and writes are dropped, except port 0xE9, the debug console
 * (Bochs/QEMU convention), whose bytes join the domain's console.
 */
import { Cpu, CS } from '../cpu/cpu';
import type { Hypervisor } from './hypervisor';
import type { Vcpu } from './domain';

export const DEBUG_CONSOLE_PORT = 0xe9;

/** Whether domain `d` may use I/O port `port` (ioports_access_permitted). */
function portPermitted(v: Vcpu, port: number): boolean {
  const io = v.domain.ioports;
  return io === 'all' || io.includes(port);
}

/** Returns the instruction length emulated, or 0 when this is not Xen's to emulate. */
export function emulatePrivileged(hv: Hypervisor, v: Vcpu, cpu: Cpu): number {
  const lin = (cpu.segBase[CS] + cpu.eip) >>> 0;
  const b = hv.memOf(v).tryRead(lin, 3);
  if (!b) return 0;
  if (b[0] === 0x0f && b[1] === 0x20 && b[2] >> 6 === 3) {
    const crn = (b[2] >> 3) & 7;
    let val: number;
    if (crn === 0) val = (cpu.cr0 & ~0x8) | (v.fpuTs ? 0x8 : 0);
    else if (crn === 2) val = hv.shared(v.domain).cr2(v.id);
    else if (crn === 3) val = cpu.cr3;
    else if (crn === 4) val = cpu.cr4;
    else return 0;
    cpu.r[b[2] & 7] = val | 0;
    return 3;
  }
  return portIo(hv, v, cpu, b);
}

function portIo(hv: Hypervisor, v: Vcpu, cpu: Cpu, b: Uint8Array): number {
  let i = 0;
  let size: 1 | 2 | 4 = 4;
  if (b[0] === 0x66) {
    size = 2;
    i = 1;
  }
  const op = b[i];
  if (op < 0xe4 || (op > 0xe7 && op < 0xec) || op > 0xef) return 0;
  if (!(op & 1)) size = 1;
  const imm = op < 0xec;
  const port = imm ? b[i + 1] : cpu.r[2] & 0xffff;
  const len = i + 1 + (imm ? 1 : 0);
  for (let k = 0; k < size; k++) if (!portPermitted(v, port + k)) return 0;
  if (op & 2) {
    // out: nothing listens but the debug console
    if (port === DEBUG_CONSOLE_PORT) hv.consoleWrite(v.domain, String.fromCharCode(cpu.r[0] & 0xff), 'serial');
  } else {
    const mask = size === 4 ? -1 : size === 2 ? 0xffff : 0xff;
    cpu.r[0] = (cpu.r[0] & ~mask) | mask;
  }
  return len;
}
