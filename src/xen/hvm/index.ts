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
import { HvmPlatform, pendingVector, interruptible } from './vcpu';
import { HvmGuestMemory } from './guestmem';
import { hvmState } from './state';
import { buildHvmDomain } from './builder';
import { DeviceModel } from '../dm';
import { handleExceptionExit, handleInstructionExit } from './exits';

export { HVM_HYPERCALL_TABLE } from './hypercalls';
export { hvmState, exitCounts } from './state';
export { HvmPlatform } from './vcpu';
export { setDebugging } from './exits';

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

/** VM entry: timers up to date, the interrupt line reflecting what is pending; traced after an exit. */
export function hvmBeforeEntry(hv: Hypervisor, v: Vcpu): void {
  const p = hvmPlatformOf(v);
  const st = hvmState(v.domain);
  st.dm?.advance(hv.pcpuNow(v.pcpu));
  const cpu = p.cpu;
  if (pendingVector(hv, v, false) !== null) cpu.setIrq(0);
  else cpu.clearIrq();
  if (p.exited) {
    p.exited = false;
    if (hv.wants('vm-entry')) hv.emit({ kind: 'vm-entry', ...hv.base(v), rip: cpu.eip >>> 0 });
  }
  p.cost = 0;
}

export interface HvmAfterRun {
  /** virtual instructions the exits of this run cost */
  cost: number;
  hypercall?: { nr: number; args: number[] };
}

/** After a run: collect a vmcall for the hypervisor to run as an action; block on hlt. */
export function hvmAfterRun(hv: Hypervisor, v: Vcpu, res: RunResult): HvmAfterRun {
  const p = hvmPlatformOf(v);
  if (res.instruction) handleInstructionExit(p, res.instruction);
  else if (res.event) handleExceptionExit(hv, p, res.event);
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

/** Build an HVM domain and start its device model (a dom0 service). */
export function buildHvm(hv: Hypervisor, d: Domain, k: Kernel, nrPages: number, cmdline: string, ports: { storeEvtchn?: number; consoleEvtchn?: number }): void {
  buildHvmDomain(hv, d, k, nrPages, cmdline, ports);
  const st = hvmState(d);
  const v0 = d.vcpus[0];
  let line = '';
  st.dm = new DeviceModel({
    now: () => hv.pcpuNow(v0.pcpu),
    console: (b) => {
      line += String.fromCharCode(b);
      if (b === 0x0a) {
        hv.consoleWrite(d, line, 'serial');
        line = '';
      }
    },
    poweroff: (code) => {
      hv.shutdown(d, 'poweroff', code);
      hvmPlatformOf(v0).cpu.requestStop();
    },
    irqChanged: () => {
      if (v0.blocked && pendingVector(hv, v0, false) !== null) hv.wakeFromBlock(v0);
    },
  });
  const dm = st.dm;
  hv.timerSources.push({
    next: () => (d.alive ? dm.nextDeadline() : Infinity),
    fire: (now) => {
      if (d.alive) dm.advance(now);
    },
  });
}
