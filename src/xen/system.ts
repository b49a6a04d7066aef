/**
 * A whole simulated Xen system, as front ends see it: the hypervisor with its domains, built
 * from xl configs, behind the Inspectable contract (inspect.ts) the debugger and CLI read.
 */
import type { CpuState } from '../cpu/state';
import { CS } from '../cpu/cpu';
import type { DomainConfig } from './config';
import { Hypervisor, HypervisorOptions } from './hypervisor';
import type { Domain, Vcpu } from './domain';
import { KernelError, loadKernel } from './kernel';
import { buildPvDomain } from './builder';
import { buildHvm } from './hvm';
import { hvmTranslate } from './hvm/guestmem';
import { walkPae } from './guestmem';
import { PAGE_SIZE } from './machine';
import type { AddressSpace, DomainInfo, ImageInfo, Inspectable, MachineSnapshot, P2mRange, RunOptions, StepOptions, StopInfo, VcpuInfo, XenStateNode } from './inspect';
import { xenStateOf } from './xenstate';
import { Toolstack } from './dom0/toolstack';
import { takeSnapshot, restoreSnapshot } from './snapshot';

export interface SystemOptions extends HypervisorOptions {
  /** start dom0 with its kernel and let its toolstack create the domains (default true) */
  dom0?: boolean;
}

export class XenSystem implements Inspectable {
  readonly hv: Hypervisor;
  readonly toolstack: Toolstack;

  constructor(configs: readonly DomainConfig[], opts: SystemOptions = {}) {
    this.hv = new Hypervisor(opts);
    // every kernel must load before anything starts (the toolstack builds them later, as dom0)
    for (const c of configs) {
      loadKernel(kernelOf(c));
    }
    this.toolstack = new Toolstack(this.hv, configs, opts.dom0 ?? true);
  }

  get trace() {
    return this.hv.trace;
  }

  /**
   * The furthest any pCPU has got: pCPUs run a round one after another, so the round's start
   * alone said 0 s for a run that ended inside its first round (the CLI's summary, the status
   * bar at an early stop). Never behind a stop's own time, and never decreasing.
   */
  now(): number {
    let t = this.hv.roundStart;
    for (let p = 0; p < this.hv.pcpus.length; p++) t = Math.max(t, this.hv.pcpuNow(p));
    return t;
  }

  instructionsRetired(): number {
    return this.hv.instructions;
  }

  pcpuCount(): number {
    return this.hv.pcpus.length;
  }

  domain(domid: number): Domain {
    const d = this.hv.domains.get(domid);
    if (!d) throw new RangeError(`no domain ${domid}`);
    return d;
  }

  private vcpu(domid: number, vcpu: number): Vcpu {
    const v = this.domain(domid).vcpus[vcpu];
    if (!v) throw new RangeError(`d${domid} has no vcpu ${vcpu}`);
    return v;
  }

  domains(): DomainInfo[] {
    return [...this.hv.domains.values()].map((d) => this.hv.domainInfo(d));
  }

  vcpus(domid: number): VcpuInfo[] {
    return this.domain(domid).vcpus.map((v) => this.hv.vcpuInfo(v));
  }

  cpuState(domid: number, vcpu: number): CpuState {
    return this.hv.cpuOf(this.vcpu(domid, vcpu)).snapshot();
  }

  setRegisters(domid: number, vcpu: number, regs: Partial<Pick<CpuState, 'r' | 'eip' | 'eflags'>>): void {
    const cpu = this.hv.cpuOf(this.vcpu(domid, vcpu));
    if (regs.r) regs.r.forEach((x, i) => i < 8 && x !== undefined && (cpu.r[i] = x | 0));
    if (regs.eip !== undefined) cpu.eip = regs.eip | 0;
    if (regs.eflags !== undefined) cpu.setEflags(regs.eflags);
    cpu.afterPlatformCall();
  }

  /** machine address of one byte in a space, or undefined */
  private ma(domid: number, space: AddressSpace, a: number, vcpu: number, write: boolean): number | undefined {
    if (space === 'ma') return a < this.hv.machine.nrFrames * PAGE_SIZE ? a : undefined;
    const d = this.domain(domid);
    if (space === 'gpa') {
      const mfn = d.p2m.get(Math.floor(a / PAGE_SIZE));
      return mfn < 0 ? undefined : mfn * PAGE_SIZE + (a & 0xfff);
    }
    const v = d.vcpus[vcpu] ?? d.vcpus[0];
    if (!v) return undefined;
    const cpu = this.hv.cpuOf(v);
    if (d.kind === 'hvm') {
      const gpa = hvmTranslate(this.hv.machine, d, cpu, a >>> 0, write);
      return gpa === undefined ? undefined : this.ma(domid, 'gpa', gpa, vcpu, write);
    }
    return walkPae(this.hv.machine, cpu.cr3 >>> 0, a >>> 0);
  }

  readMemory(domid: number, space: AddressSpace, address: number, length: number, vcpu = 0): (number | undefined)[] {
    const out: (number | undefined)[] = [];
    for (let i = 0; i < length; i++) {
      const ma = this.ma(domid, space, address + i, vcpu, false);
      out.push(ma === undefined ? undefined : this.hv.machine.peek(Math.floor(ma / PAGE_SIZE))?.[ma & 0xfff] ?? 0);
    }
    return out;
  }

  writeMemory(domid: number, space: AddressSpace, address: number, data: Uint8Array, vcpu = 0): number {
    for (let i = 0; i < data.length; i++) {
      const ma = this.ma(domid, space, address + i, vcpu, true);
      if (ma === undefined) return i;
      this.hv.machine.writable(Math.floor(ma / PAGE_SIZE))[ma & 0xfff] = data[i];
    }
    return data.length;
  }

  translate(domid: number, vcpu: number, gva: number): { gpa: number; ma: number } | undefined {
    const v = this.vcpu(domid, vcpu);
    if (v.domain.kind === 'hvm') {
      const gpa = hvmTranslate(this.hv.machine, v.domain, this.hv.cpuOf(v), gva >>> 0);
      const ma = gpa === undefined ? undefined : this.ma(domid, 'gpa', gpa, vcpu, false);
      return gpa === undefined || ma === undefined ? undefined : { gpa, ma };
    }
    const ma = walkPae(this.hv.machine, this.hv.cpuOf(v).cr3 >>> 0, gva >>> 0);
    if (ma === undefined) return undefined;
    const pfn = this.hv.mm.m2p(Math.floor(ma / PAGE_SIZE));
    return { gpa: pfn * PAGE_SIZE + (ma & 0xfff), ma };
  }

  image(domid: number): ImageInfo | undefined {
    return this.hv.domains.get(domid)?.image;
  }

  xenState(domid: number, vcpu: number): XenStateNode[] {
    return xenStateOf(this.hv, this.vcpu(domid, vcpu));
  }

  p2m(domid: number): P2mRange[] {
    return this.domain(domid).p2m.ranges();
  }

  run(options: RunOptions): StopInfo {
    return this.hv.run(options);
  }

  step(domid: number, vcpu: number, options?: StepOptions): StopInfo {
    return this.hv.step(domid, vcpu, options);
  }

  snapshot(): MachineSnapshot {
    return takeSnapshot(this.hv, this.toolstack);
  }

  restore(snapshot: MachineSnapshot): void {
    restoreSnapshot(this.hv, this.toolstack, snapshot);
  }

  /** linear eip of a vCPU (for stop reports) */
  eipOf(domid: number, vcpu: number): number {
    const cpu = this.hv.cpuOf(this.vcpu(domid, vcpu));
    return (cpu.segBase[CS] + cpu.eip) >>> 0;
  }
}

/** Build a PV domain from its config straight away (the toolstack's build step). */
export function buildFromConfig(hv: Hypervisor, d: Domain, cfg: DomainConfig, ports: { storeEvtchn?: number; consoleEvtchn?: number } = {}): void {
  const k = loadKernel(kernelOf(cfg));
  if (cfg.type !== 'pv') {
    buildHvm(hv, d, k, cfg.memory * 256, cfg.cmdline, ports);
    return;
  }
  buildPvDomain(hv, d, k, cfg.memory * 256, cfg.cmdline, ports);
}

/** The image a config boots: PV `kernel`; HVM/PVH without firmware, `firmware_override` or `kernel`. */
export function kernelOf(cfg: DomainConfig): string {
  const file = cfg.type === 'pv' ? cfg.kernel : cfg.firmware ?? cfg.kernel;
  if (!file) throw new KernelError(`${cfg.file}: no kernel given (${cfg.type === 'pv' ? 'kernel' : 'firmware_override'} = "...")`);
  return file;
}
