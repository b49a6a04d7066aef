/**
 * The VM exits that end the vCPU's run — an instruction the controls intercept (the CPU leaves
 * it unretired, EIP at it) or an exception in the exception bitmap — handled after the run as
 * xen/arch/x86/hvm/vmx/vmx.c's vmx_vmexit_handler does:
 *  - CR_ACCESS: vmx_cr_access → hvm_mov_to_cr / hvm_mov_from_cr / clts / lmsw (hvm_set_cr0):
 *    the guest's CR changes (TLB and PDPTEs kept coherent), then update_guest_eip; a value
 *    the checks refuse injects #GP(0) at the instruction instead;
 *  - INVLPG: hvm_invlpg → paging_invlpg drops the translation, then update_guest_eip;
 *  - RDTSC: hvm_rdtsc_intercept returns the guest's virtual TSC in EDX:EAX;
 *  - EXCEPTION_NMI: #PF under shadow paging is the guest's own fault here (sh_page_fault finds
 *    nothing to fix up) and is reinjected with CR2; #UD checks for the forced-emulation prefix
 *    (`ud2; .ascii "xen"`, hvm_ud_intercept) and else reinjects; #DB and #BP pause the domain
 *    for an attached debugger (domain_pause_for_debugger), else go back to the guest.
 * And NMI injection (requestNmi): delivered through the guest's IDT vector 2 at the next VM
 * entry, or — while the guest's NMI handler has not yet executed iret — at the entry after the
 * PENDING_VIRT_NMI exit that NMI-window exiting takes once it has.
 */
import type { Cpu } from '../../cpu/cpu';
import type { CpuEvent, InterceptedInstruction } from '../../cpu/platform';
import { Vec } from '../../cpu/fault';
import type { Hypervisor } from '../hypervisor';
import type { Domain, Vcpu } from '../domain';
import type { ExitReasonName } from '../abi';
import { X86_EVENTTYPE, crAccessQualification, interruptionInfo } from '../abi';

/** What an exit handler needs from the vCPU's platform (HvmPlatform). */
export interface ExitHost {
  readonly vcpu: Vcpu;
  readonly cpu: Cpu;
  /** record the exit; `then` (Xen's handling) runs once it is traced */
  exit(reason: ExitReasonName, qualification: number, handler: string, cost: number, then?: () => void, stop?: boolean, interruptionInfo?: number): void;
}

/** virtual instructions an exit handled inside Xen costs: vcpu.ts's EXIT_COST_XEN (not imported: vcpu.ts imports this module) */
const COST = 40;
/** `ud2; .ascii "xen"`: Xen's forced emulation prefix */
const FEP = [0x0f, 0x0b, 0x78, 0x65, 0x6e];
const DR6_TRAP_BITS = 0x600f; // B0-B3, BD, BS: the #DB exit qualification

const debugging = new WeakSet<Domain>();

/** XEN_DOMCTL_setdebugging: with a debugger attached Xen intercepts #BP and pauses on #DB/#BP. */
export function setDebugging(domain: Domain, on: boolean): void {
  if (on) debugging.add(domain);
  else debugging.delete(domain);
}

export function isDebugging(domain: Domain): boolean {
  return debugging.has(domain);
}

export function handleInstructionExit(p: ExitHost, insn: InterceptedInstruction): void {
  const cpu = p.cpu;
  const next = () => {
    cpu.eip = (cpu.eip + insn.length) | 0; // update_guest_eip
  };
  // the run has already ended: nothing to stop
  const exit = (reason: ExitReasonName, qual: number, handler: string, then: () => void) => p.exit(reason, qual, `xen:${handler}`, COST, then, false);
  switch (insn.kind) {
    case 'cr': {
      const a = insn.access;
      const fn = a.type === 'mov-to' ? 'hvm_mov_to_cr' : a.type === 'mov-from' ? 'hvm_mov_from_cr' : a.type === 'clts' ? 'vmx_cr_access' : 'hvm_set_cr0';
      exit('CR_ACCESS', crAccessQualification(a), fn, () => {
        if (a.type === 'mov-from') {
          cpu.r[a.gpr] = a.cr === 0 ? cpu.cr0 : a.cr === 2 ? cpu.cr2 : a.cr === 3 ? cpu.cr3 : cpu.cr4;
          next();
        } else if (cpu.loadControlRegister(a.cr, a.value)) next();
        else cpu.inject(Vec.GP, 'fault', 0); // X86EMUL_EXCEPTION: #GP(0), EIP stays at the mov
      });
      return;
    }
    case 'invlpg':
      exit('INVLPG', insn.linear, 'hvm_invlpg', () => {
        cpu.flushTlbPage(insn.linear | 0);
        next();
      });
      return;
    case 'rdtsc':
      exit('RDTSC', 0, 'hvm_rdtsc_intercept', () => {
        const t = cpu.tsc();
        cpu.r[0] = Number(t & 0xffffffffn) | 0;
        cpu.r[2] = Number((t >> 32n) & 0xffffffffn) | 0;
        next();
      });
      return;
  }
}

/** The interruption type VMX reports for an event the CPU raised. */
function eventType(ev: CpuEvent): number {
  if (ev.kind === 'external') return ev.vector === Vec.NMI ? X86_EVENTTYPE.NMI : X86_EVENTTYPE.EXT_INTR;
  if (ev.kind === 'soft') return ev.instructionLength === 1 && (ev.vector === Vec.BP || ev.vector === Vec.OF) ? X86_EVENTTYPE.SW_EXCEPTION : X86_EVENTTYPE.SW_INTERRUPT;
  if (ev.kind === 'trap' && ev.vector === Vec.DB && ev.instructionLength > 0) return X86_EVENTTYPE.PRI_SW_EXCEPTION; // icebp
  return X86_EVENTTYPE.HW_EXCEPTION;
}

/** Is this event one the exception bitmap can intercept (exceptions, not interrupts)? */
export function bitmapApplies(ev: CpuEvent): boolean {
  const t = eventType(ev);
  return t === X86_EVENTTYPE.HW_EXCEPTION || t === X86_EVENTTYPE.SW_EXCEPTION || t === X86_EVENTTYPE.PRI_SW_EXCEPTION;
}

export function handleExceptionExit(hv: Hypervisor, p: ExitHost, ev: CpuEvent): void {
  const cpu = p.cpu;
  const d = p.vcpu.domain;
  const info = interruptionInfo(ev.vector, eventType(ev), ev.errorCode !== undefined);
  const qual = ev.vector === Vec.PF ? (ev.cr2 ?? 0) : ev.vector === Vec.DB ? cpu.dr[6] & DR6_TRAP_BITS : 0;
  const exit = (handler: string, then: () => void) => p.exit('EXCEPTION_NMI', qual >>> 0, `xen:${handler}`, COST, then, false, info);
  const reinject = () => cpu.inject(ev.vector, ev.kind, ev.errorCode);
  switch (ev.vector) {
    case Vec.PF:
      exit('sh_page_fault', () => {
        cpu.cr2 = (ev.cr2 ?? 0) | 0;
        reinject();
      });
      return;
    case Vec.UD:
      exit('hvm_ud_intercept', () => {
        const lin = (cpu.segBase[1] + cpu.eip) >>> 0;
        const bytes = hv.hvmFep ? hv.memOf(p.vcpu).tryRead(lin, FEP.length) : null;
        // With the prefix Xen's x86_emulate runs the next instruction inside this exit; here it
        // runs natively on resume, so one that exits by itself (cpuid) takes its own exit too.
        if (bytes && FEP.every((b, i) => bytes[i] === b)) cpu.eip = (cpu.eip + FEP.length) | 0;
        else reinject();
      });
      return;
    case Vec.DB:
    case Vec.BP:
      if (debugging.has(d)) {
        exit('domain_pause_for_debugger', () => hv.pause(d));
        return;
      }
      exit(ev.vector === Vec.DB ? 'vmx_vmexit_handler' : 'hvm_inject_event', reinject);
      return;
    default:
      exit('hvm_inject_hw_exception', reinject);
  }
}

/**
 * XEN_DOMCTL_sendtrigger with XEN_DOMCTL_SENDTRIGGER_NMI (`xl trigger <dom> nmi`): the vCPU's
 * nmi_pending is set and it is kicked; hvmBeforeEntry injects it.
 */
export function requestNmi(hv: Hypervisor, v: Vcpu, p: { nmiPending: boolean }): void {
  p.nmiPending = true;
  if (v.blocked) hv.wakeFromBlock(v);
}
