/**
 * The toolstack (xl + libxl in spirit): creates every configured domain and applies
 * on_poweroff / on_reboot / on_crash when one shuts down.
 *
 * With dom0 (the default) its work is a queue of operations executed as dom0's vCPU 0 while
 * dom0 runs: each domctl is a real hypercall through Xen's dispatcher, with its xen_domctl in
 * dom0's `toolstack_buffer`, so it shows in the trace as d0v0's and can be stopped on. The
 * queue is plain data (it is part of a snapshot). Without dom0 the same steps run directly.
 * dom0's block and network back ends run the same way, before the queue (backends.ts).
 */
import * as path from 'path';
import type { DomainConfig } from '../config';
import type { Hypervisor } from '../hypervisor';
import type { Domain, Vcpu } from '../domain';
import { buildFromConfig } from '../system';
import { resolveCpuSet } from '../config';
import { attachConsole } from './console';
import { introduceDomain } from './xenstore/service';
import { attachDisks } from './blkback-service';
import { attachVifs } from './netback-service';
import { dom0BackendWork } from './backends';
import { HYPERCALL, XEN_DOMCTL, XEN_DOMCTL_CDF, XEN_CONST, VIRQ } from '../abi';
import { guestIncludeDir, loadKernel } from '../kernel';
import { buildPvDomain } from '../builder';
import { XEN_SCHEDULER_CREDIT } from '../hypercalls/domctl';

/** a domain that keeps rebooting is restarted at most this many times in one run */
const MAX_RESTARTS = 16;
export const DOM0_NAME = 'Domain-0';
const DOM0_MIB = 16;
/** where in toolstack_buffer the back ends' evtchn_send goes (clear of the domctls' bytes) */
const BACKEND_BUFFER = 3072;

export type ToolstackOp =
  | { op: 'createdomain'; cfg: number; name: string; restarts: number }
  | { op: 'max_mem' | 'scheduler' | 'build' | 'unpause'; cfg: number }
  | { op: 'affinity'; cfg: number; vcpu: number }
  | { op: 'destroy'; domid: number };

export function dom0KernelPath(): string {
  return path.join(path.dirname(guestIncludeDir()), 'dom0', 'dom0.asm');
}

export class Toolstack {
  readonly configs: DomainConfig[];
  /** operations not yet done; the first is in flight when `inflight` */
  queue: ToolstackOp[] = [];
  inflight = false;
  /** domid created for each config (latest) */
  created: Record<number, number> = {};

  constructor(
    private readonly hv: Hypervisor,
    configs: readonly DomainConfig[],
    readonly withDom0: boolean,
  ) {
    this.configs = [...configs];
    hv.domainListeners.push((d) => this.onShutdown(d));
    hv.toolstackIdle = () => this.queue.length === 0;
    if (withDom0) {
      this.startDom0();
      // the back ends' work (backends.ts) comes first: a guest waiting on its ring is served
      // before the toolstack's next step
      const be = dom0BackendWork(hv, (v) => this.buffer(v) + BACKEND_BUFFER);
      hv.injector = {
        next: (v) => be.next(v) ?? this.next(v),
        done: (r) => {
          if (!be.done(r)) this.done(r);
        },
        hasWork: () => this.queue.length > 0 || be.hasWork(),
      };
      this.configs.forEach((cfg, i) => this.queueCreate(i, cfg.name, 0));
    } else {
      for (const cfg of this.configs) this.create(cfg);
    }
  }

  private startDom0(): void {
    const hv = this.hv;
    const d = hv.createDomain(DOM0_NAME, { domid: 0, privileged: true, maxPages: DOM0_MIB * 256, vcpus: 1 });
    buildPvDomain(hv, d, loadKernel(dom0KernelPath()), DOM0_MIB * 256, '');
    hv.vcpuUp(d.vcpus[0]);
    hv.unpause(d);
  }

  private queueCreate(cfg: number, name: string, restarts: number): void {
    const c = this.configs[cfg];
    this.queue.push({ op: 'createdomain', cfg, name, restarts }, { op: 'max_mem', cfg }, { op: 'scheduler', cfg });
    if (c.cpus) for (let v = 0; v < c.vcpus; v++) this.queue.push({ op: 'affinity', cfg, vcpu: v });
    this.queue.push({ op: 'build', cfg }, { op: 'unpause', cfg });
  }

  /** wake dom0 so it runs the queue (VIRQ_DOM_EXC, as Xen tells the toolstack) */
  private kick(): void {
    const d0 = this.hv.domains.get(0);
    if (!d0) return;
    this.hv.events.sendGlobalVirq(d0, VIRQ.DOM_EXC);
    this.hv.wakeFromBlock(d0.vcpus[0]);
  }

  // ------------------------------------------------------------------ running as dom0

  private buffer(v: Vcpu): number {
    const at = v.domain.image?.symbolAddress('toolstack_buffer');
    if (at === undefined) throw new Error('internal: dom0 kernel has no toolstack_buffer');
    return at;
  }

  /** The next domctl to issue as dom0, after doing any non-hypercall steps in between. */
  private next(v: Vcpu): { nr: number; args: number[] } | null {
    while (!this.inflight && this.queue.length) {
      const op = this.queue[0];
      if (op.op === 'build') {
        this.build(op.cfg);
        this.queue.shift();
        continue;
      }
      const buf = this.buffer(v);
      const b = this.domctl(op);
      if (!b) {
        this.queue.shift();
        continue;
      }
      this.hv.memOf(v).write(buf, b);
      this.inflight = true;
      return { nr: HYPERCALL.domctl, args: [buf, 0, 0, 0, 0] };
    }
    return null;
  }

  /** The xen_domctl for an operation, or null when there is nothing to ask Xen. */
  private domctl(op: ToolstackOp): Uint8Array | null {
    const b = new Uint8Array(144);
    const dv = new DataView(b.buffer);
    dv.setUint32(4, XEN_CONST.XEN_DOMCTL_INTERFACE_VERSION, true);
    const domid = op.op === 'destroy' ? op.domid : op.op === 'createdomain' ? 0 : this.created[op.cfg];
    if (domid === undefined) return null;
    dv.setUint16(8, domid, true);
    const U = 16;
    switch (op.op) {
      case 'createdomain': {
        const c = this.configs[op.cfg];
        dv.setUint32(0, XEN_DOMCTL.createdomain, true);
        if (c.type !== 'pv') dv.setUint32(U + 20, XEN_DOMCTL_CDF.hvm | (c.hap ? XEN_DOMCTL_CDF.hap : 0), true);
        dv.setUint32(U + 28, c.vcpus, true);
        dv.setUint32(U + 32, c.maxEventChannels, true);
        return b;
      }
      case 'max_mem': {
        dv.setUint32(0, XEN_DOMCTL.max_mem, true);
        dv.setUint32(U, this.configs[op.cfg].maxmem * 1024, true);
        return b;
      }
      case 'scheduler': {
        const c = this.configs[op.cfg];
        dv.setUint32(0, XEN_DOMCTL.scheduler_op, true);
        dv.setUint32(U, XEN_SCHEDULER_CREDIT, true);
        dv.setUint32(U + 4, 0, true); // XEN_DOMCTL_SCHEDOP_putinfo
        dv.setUint16(U + 8, c.cpuWeight, true);
        dv.setUint16(U + 10, c.cap, true);
        return b;
      }
      case 'affinity': {
        // the bitmap goes in the second half of the buffer page
        const c = this.configs[op.cfg];
        const set = c.cpus!.kind === 'all-vcpus' ? c.cpus!.set : c.cpus!.sets[op.vcpu] ?? c.cpus!.sets[c.cpus!.sets.length - 1];
        const cpus = resolveCpuSet(set, this.hv.pcpus.length);
        const out = new Uint8Array(2048 + 8);
        out.set(b);
        const odv = new DataView(out.buffer);
        odv.setUint32(0, XEN_DOMCTL.setvcpuaffinity, true);
        odv.setUint32(U, op.vcpu, true);
        const d0 = this.hv.domains.get(0)!;
        odv.setUint32(U + 8, this.buffer(d0.vcpus[0]) + 2048, true);
        odv.setUint32(U + 16, 64, true);
        for (const c2 of cpus) out[2048 + (c2 >> 3)] |= 1 << (c2 & 7);
        return out;
      }
      case 'unpause':
        dv.setUint32(0, XEN_DOMCTL.unpausedomain, true);
        return b;
      case 'destroy':
        dv.setUint32(0, XEN_DOMCTL.destroydomain, true);
        return b;
      default:
        return null;
    }
  }

  private done(result: number): void {
    const op = this.queue.shift();
    this.inflight = false;
    if (!op) return;
    if (op.op === 'createdomain') {
      if (result < 0) {
        // drop the rest of this domain's creation
        this.queue = this.queue.filter((o) => !('cfg' in o) || o.cfg !== op.cfg);
        return;
      }
      const d0 = this.hv.domains.get(0)!;
      const b = this.hv.memOf(d0.vcpus[0]).read(this.buffer(d0.vcpus[0]), 16);
      const domid = b[8] | (b[9] << 8);
      this.created[op.cfg] = domid;
      const d = this.hv.domains.get(domid)!;
      d.name = op.name;
      d.config = this.configs[op.cfg];
      d.restarts = op.restarts;
    }
  }

  /** the builder step of libxl (done in dom0's time, without hypercalls of its own here) */
  private build(cfg: number): void {
    const domid = this.created[cfg];
    const d = domid === undefined ? undefined : this.hv.domains.get(domid);
    if (!d) return;
    try {
      this.populate(d, this.configs[cfg]);
    } catch (e) {
      // a kernel that cannot be built: say so on dom0's console and give the domain up
      const d0 = this.hv.domains.get(0)!;
      this.hv.consoleWrite(d0, `toolstack: cannot build ${d.name}: ${(e as Error).message}\n`, 'serial');
      this.queue = this.queue.filter((o) => !('cfg' in o) || o.cfg !== cfg);
      this.hv.destroyDomain(d);
    }
  }

  private populate(d: Domain, cfg: DomainConfig): void {
    d.weight = cfg.cpuWeight;
    d.cap = cfg.cap;
    const storeEvtchn = this.offer(d);
    const consoleEvtchn = this.offer(d);
    buildFromConfig(this.hv, d, cfg, { storeEvtchn, consoleEvtchn });
    attachConsole(this.hv, d, d.consoleMfn, d.consolePort);
    // xenstored: the domain's tree and its store ring (split-driver hook)
    introduceDomain(this.hv, d);
    attachDisks(this.hv, d);
    attachVifs(this.hv, d);
    d.vcpus[0].up = true;
  }

  // ------------------------------------------------------------------ without dom0

  create(cfg: DomainConfig, name = cfg.name): Domain {
    const hv = this.hv;
    const d = hv.createDomain(name, { maxPages: cfg.maxmem * 256, vcpus: cfg.vcpus, config: cfg, kind: cfg.type === 'pv' ? 'pv' : 'hvm' });
    if (cfg.cpus) {
      d.vcpus.forEach((v, i) => {
        const set = cfg.cpus!.kind === 'all-vcpus' ? cfg.cpus!.set : cfg.cpus!.sets[i] ?? cfg.cpus!.sets[cfg.cpus!.sets.length - 1];
        v.affinity = resolveCpuSet(set, hv.pcpus.length);
      });
    }
    this.populate(d, cfg);
    hv.vcpuUp(d.vcpus[0]);
    hv.unpause(d);
    return d;
  }

  /** an unbound port in `d` that dom0 may bind */
  private offer(d: Domain): number {
    const port = this.hv.events.alloc(d);
    Object.assign(d.evtchns[port], { state: 'unbound', vcpu: 0, remoteDom: 0, remotePort: 0, virq: 0 });
    return port;
  }

  /** libxl's reaction to a domain's shutdown, as its config asks (xl.cfg on_poweroff/on_reboot/on_crash). */
  private onShutdown(d: Domain): void {
    const cfg = d.config;
    if (!cfg || d.privileged) return;
    const action = d.shutdownReason === 'crash' ? cfg.onCrash : d.shutdownReason === 'reboot' ? cfg.onReboot : cfg.onPoweroff;
    const hv = this.hv;
    const note = (event: 'restarted' | 'renamed' | 'preserved', detail: string) => {
      if (hv.wants('domain')) hv.emit({ kind: 'domain', ...hv.base(null), domid: d.id, event, name: d.name, reason: detail });
    };
    const cfgIndex = this.configs.indexOf(cfg);
    const destroy = () => {
      if (this.withDom0) this.queue.push({ op: 'destroy', domid: d.id });
      else hv.destroyDomain(d);
    };
    switch (action) {
      case 'preserve':
        note('preserved', `on_${d.shutdownReason} = preserve`);
        return;
      case 'restart':
      case 'rename-restart': {
        if (d.restarts >= MAX_RESTARTS) {
          note('preserved', `restarted ${MAX_RESTARTS} times; left shut down`);
          return;
        }
        destroy();
        if (action === 'rename-restart') {
          d.name = `${d.name}-${d.id}`;
          note('renamed', d.name);
        }
        if (this.withDom0) this.queueCreate(cfgIndex, cfg.name, d.restarts + 1);
        else this.create(cfg, cfg.name).restarts = d.restarts + 1;
        note('restarted', cfg.name);
        break;
      }
      default:
        // destroy, and coredump-*: xensim keeps no core files; destroy as libxl does after dumping
        destroy();
    }
    if (this.withDom0) this.kick();
  }
}
