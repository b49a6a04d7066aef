/**
 * HVM domains as the hypervisor's run loop sees them: a vCPU's Cpu on an HvmPlatform, Xen's
 * view of its memory, what happens at VM entry (timers brought up to date, the pending
 * interrupt offered honouring IF) and after a run (vmcall → hypercall action, hlt → block,
 * exit costs charged), and the device model started for the domain by the builder.
 */
import { Cpu } from '../../cpu/cpu';
import type { RunResult } from '../../cpu/cpu';
import type { Hypervisor } from '../hypervisor';
import type { Domain, Vcpu } from '../domain';
import type { GuestMemory } from '../guestmem';
import type { Kernel } from '../kernel';
import { EXIT_COST_XEN, HvmPlatform, pendingVector, interruptible } from './vcpu';
import { HvmGuestMemory } from './guestmem';
import { hvmState } from './state';
import { buildHvmDomain } from './builder';
import { DeviceModel } from '../dm';
import { handleExceptionExit, handleInstructionExit, requestNmi } from './exits';
import { IoreqServer } from './ioreq';
import { startDeviceModelService } from '../dm/service';
import { onDomainGone } from '../dom0/xenstore';
import type { Ioreq } from '../dm/ioreq';
import { interruptionInfo, IOREQ_DIR, IOREQ_TYPE, X86_EVENTTYPE } from '../abi';

export { HVM_HYPERCALL_TABLE } from './hypercalls';
export { hvmState, exitCounts, vgaScreen } from './state';
export { HvmPlatform } from './vcpu';
export { setDebugging } from './exits';

/** XEN_DOMCTL_sendtrigger NMI (`xl trigger <dom> nmi`) for one vCPU of an HVM domain. */
export function hvmSendNmi(hv: Hypervisor, v: Vcpu): void {
  requestNmi(hv, v, hvmPlatformOf(v));
}

const platforms = new WeakMap<Vcpu, HvmPlatform>();

export function hvmPlatformOf(v: Vcpu): HvmPlatform {
  const p = platforms.get(v);
  if (!p) throw new Error(`internal: ${v.name} is not an HVM vCPU`);
  return p;
}

/** The Cpu of a new HVM vCPU. */
export function createHvmCpu(hv: Hypervisor, v: Vcpu): Cpu {
  const platform = new HvmPlatform(hv, v);
  const cpu = new Cpu(platform);
  platform.cpu = cpu;
  platforms.set(v, platform);
  return cpu;
}

export function hvmGuestMemory(hv: Hypervisor, v: Vcpu): GuestMemory {
  return new HvmGuestMemory(hv.machine, v.domain, hv.cpuOf(v));
}

/**
 * VM entry: an answered ioreq completes its instruction (handle_hvm_io_completion); timers are
 * brought up to date; the interrupt to inject is chosen now when the guest can take it
 * (vmx_intr_assist), else the line stays raised for the CPU to take in an interrupt window.
 * Traced after an exit or with an injection. False when the vCPU may not enter (its ioreq is
 * still with the device model).
 */
export function hvmBeforeEntry(hv: Hypervisor, v: Vcpu): boolean {
  const p = hvmPlatformOf(v);
  const st = hvmState(v.domain);
  const cpu = p.cpu;
  if (st.ioreq && !st.ioreq.complete(v, (req, data) => ioCompleted(p, req, data))) return false;
  p.mmioEntry();
  st.dm?.advance(hv.now());
  // an instruction run again for its MMIO answers goes before any event, as Xen finishes its
  // emulation before it enters the guest
  const holdEvents = p.mmioPending;
  // an NMI goes first (one event per entry); it waits while the guest's NMI handler runs
  const nmi = !holdEvents && p.nmiPending && !cpu.nmiBlocked;
  if (nmi) p.nmiPending = false;
  if (holdEvents && p.injecting === null) cpu.clearIrq();
  else if (!nmi && p.injecting === null && pendingVector(hv, v, false) !== null) {
    if (interruptible(cpu) && cpu.shadow === 0) p.injecting = pendingVector(hv, v, true);
    cpu.setIrq(0);
  } else if (!nmi && p.injecting === null) cpu.clearIrq();
  if (p.exited || p.injecting !== null || nmi) {
    const exitCycles = p.exited ? Math.round((hv.pcpuNow(v.pcpu) - p.exitTime) / hv.machine.nsPerInstruction) : undefined;
    p.exited = false;
    if (hv.wants('vm-entry')) hv.emit({ kind: 'vm-entry', ...hv.base(v), rip: cpu.eip >>> 0, vector: nmi ? 2 : p.injecting ?? undefined, exitCycles });
  }
  if (nmi) cpu.nmi();
  p.cost = 0;
  return true;
}

/** Xen 4.17's LOCAL_TIMER_VECTOR (asm/irq-vectors.h): the pCPU's timer interrupt. */
export const LOCAL_TIMER_VECTOR = 0xfa;

/**
 * A physical interrupt for the pCPU while an HVM vCPU runs on it: Xen's scheduler tick. The
 * guest leaves with EXIT_REASON_EXTERNAL_INTERRUPT (Xen acknowledges interrupts on exit, so the
 * interruption information names the vector), Xen handles it (do_IRQ, then its softirqs) and
 * enters the guest again. Traced at once: no guest run is in progress at a round's end.
 */
export function hvmExternalInterrupt(v: Vcpu, vector: number): void {
  const p = hvmPlatformOf(v);
  p.exit('EXTERNAL_INTERRUPT', 0, 'xen:do_IRQ', EXIT_COST_XEN, undefined, false, interruptionInfo(vector, X86_EVENTTYPE.EXT_INTR, false));
  p.traceExits();
}

/** An answered ioreq: an IN's value into its accumulator; an MMIO access for its instruction's next attempt. */
function ioCompleted(p: HvmPlatform, req: Ioreq, data: number): void {
  if (req.type === IOREQ_TYPE.COPY) p.mmioCompleted(req, data);
  else if (req.dir === IOREQ_DIR.READ && !req.dataIsPtr) setAccumulator(p.cpu, data, req.size);
}

/** An IN's answer into al, ax or eax (the rest of eax kept). */
function setAccumulator(cpu: Cpu, data: number, size: number): void {
  if (size === 4) cpu.r[0] = data | 0;
  else if (size === 2) cpu.r[0] = (cpu.r[0] & ~0xffff) | (data & 0xffff);
  else cpu.r[0] = (cpu.r[0] & ~0xff) | (data & 0xff);
}

export interface HvmAfterRun {
  /** virtual instructions the exits of this run cost */
  cost: number;
  hypercall?: { nr: number; args: number[] };
}

/** A #DB taken for the debugger's armed watchpoints: the hypervisor's intercepted() handles it, not an exit handler. */
export function watchIntercept(hv: Hypervisor, v: Vcpu, res: RunResult): boolean {
  return res.stop === 'intercept' && res.event?.vector === 1 && hv.interceptsDebugTrap(v);
}

/** After a run: collect a vmcall for the hypervisor to run as an action; block on hlt. */
export function hvmAfterRun(hv: Hypervisor, v: Vcpu, res: RunResult): HvmAfterRun {
  const p = hvmPlatformOf(v);
  if (res.instruction) handleInstructionExit(p, res.instruction);
  else if (res.stop === 'intercept' && res.event && !watchIntercept(hv, v, res)) handleExceptionExit(hv, p, res.event);
  p.traceExits();
  p.mmioAfterRun(res.retired);
  const out: HvmAfterRun = { cost: p.cost };
  p.cost = 0;
  if (p.hypercall) {
    out.hypercall = p.hypercall;
    p.hypercall = null;
  }
  if (res.stop === 'hlt' && v.domain.alive) hvmHalt(hv, v);
  return out;
}

/** hvm_hlt: with IF clear the vCPU goes down (the domain powers off once all are down); else it blocks until an interrupt. */
function hvmHalt(hv: Hypervisor, v: Vcpu): void {
  const cpu = hvmPlatformOf(v).cpu;
  if (!interruptible(cpu)) {
    v.up = false;
    hv.sched.sleep(v, 'offline');
    if (v.domain.vcpus.every((x) => !x.up)) hv.shutdown(v.domain, 'poweroff', 0);
    return;
  }
  if (pendingVector(hv, v, false) !== null) return;
  hv.block(v);
}

/** What an HVM vCPU waits for in Xen, for the debugger: its ioreq with the device model. */
export function hvmWaitDescription(v: Vcpu): string | undefined {
  const io = v.domain.kind === 'hvm' ? hvmState(v.domain).ioreq?.state.inflight[v.id] : undefined;
  if (!io) return undefined;
  const r = io.req;
  const what = `${r.type === 0 ? 'port' : 'mmio'} ${r.dir === 1 ? 'read' : 'write'} 0x${r.addr.toString(16)}/${r.size} (${io.device})`;
  return `${io.answered ? 'ioreq answered, completing' : io.sent ? 'waiting for the device model' : 'sending an ioreq'}: ${what}`;
}

/**
 * The ioreq servers of the HVM domains alive, in domid order (the device model's work list).
 * A domain destroyed without a shutdown first (xl destroy) has its server torn down here, as
 * the device model notices its domain is gone.
 */
export function ioreqServers(hv: Hypervisor): IoreqServer[] {
  const out: IoreqServer[] = [];
  for (const d of hv.domains.values()) {
    const s = d.kind === 'hvm' ? hvmState(d).ioreq : null;
    if (!s) continue;
    if (d.alive) out.push(s);
    else if (d.state === 'destroyed') s.destroy();
  }
  return out;
}

/**
 * Build an HVM domain and start its device model (a dom0 service) with its ioreq server. A PVH
 * domain gets none, as on Xen (libxl starts no QEMU for it): its port I/O outside Xen's own
 * handlers reads all ones and writes go nowhere, and it powers off with SCHEDOP_shutdown.
 */
export function buildHvm(hv: Hypervisor, d: Domain, k: Kernel, nrPages: number, cmdline: string, ports: { storeEvtchn?: number; consoleEvtchn?: number }): void {
  buildHvmDomain(hv, d, k, nrPages, cmdline, ports);
  if (d.config?.type === 'pvh') return;
  const st = hvmState(d);
  const v0 = d.vcpus[0];
  st.dm = new DeviceModel({
    // the device model's clock is whoever runs it: dom0 serving a request, Xen at VM entry
    now: () => hv.now(),
    console: (b) => {
      st.serialLine += String.fromCharCode(b);
      if (b === 0x0a) {
        hv.consoleWrite(d, st.serialLine, 'serial');
        st.serialLine = '';
      }
    },
    poweroff: (code) => hv.shutdown(d, 'poweroff', code),
    irqChanged: () => {
      // a vCPU waiting for an ioreq is woken by the answer only
      if (v0.blocked && !st.ioreq?.waiting(v0) && pendingVector(hv, v0, false) !== null) hv.wakeFromBlock(v0);
    },
  });
  const dm = st.dm;
  const d0 = hv.domains.get(0);
  const server = new IoreqServer(hv, d, dm, d0 && d0.alive && d0 !== d ? 0 : null);
  st.ioreq = server;
  if (server.dmDomid !== null) startDeviceModelService(hv, () => ioreqServers(hv));
  onDomainGone(hv, d.id, () => server.destroy());
  hv.timerSources.push({
    next: () => (d.alive ? dm.nextDeadline() : Infinity),
    fire: (now) => {
      if (d.alive) dm.advance(now);
    },
  });
}
