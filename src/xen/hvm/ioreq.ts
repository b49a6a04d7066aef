/**
 * Xen's side of the ioreq round trip (xen/common/ioreq.c, xen/arch/x86/hvm/io.c): the default
 * ioreq server of an HVM domain, with one slot per vCPU in the shared ioreq page
 * (HVM_PARAM_IOREQ_PFN, a frame of the HVM domain that dom0's device model maps) and one event
 * channel per vCPU between the domain (vp_eport, consumed by Xen itself) and dom0.
 *
 * An I/O exit Xen does not handle itself posts an ioreq_t (STATE_IOREQ_READY), notifies the
 * device model through vp_eport and blocks the vCPU (hvm_wait_for_io). The device model, a dom0
 * service (dm/service.ts), answers (STATE_IORESP_READY) and notifies back; Xen wakes the vCPU
 * and, before its next VM entry, completes the instruction: an IN writes al/ax/eax, an INS's
 * data the device model has already written to guest memory (data_is_ptr); an MMIO access
 * (IOREQ_TYPE_COPY, vcpu.ts) has its instruction run again with the answer. As on Xen, an
 * IN/OUT's rip is past the instruction while it waits, and rep ins/outs go one element per
 * round trip (the CPU leaves rip on the instruction between iterations).
 *
 * Without dom0 there is nobody to forward to: the device model then runs in Xen's context at
 * the notification, and the vCPU does not block.
 */
import type { Hypervisor } from '../hypervisor';
import type { Domain, Vcpu } from '../domain';
import { DOMID, HVM_PARAM, IOREQ_DIR } from '../abi';
import type { DeviceModel } from '../dm';
import { Ioreq, completeIoreq, ioreqState, postIoreq, IOREQ_STATE } from '../dm/ioreq';
import { PAGE_SIZE } from '../machine';
import type { ServedIoreqs } from '../dm/service';
import { hvmState } from './state';

/** A request of one vCPU, from its exit until its completion at VM entry. */
export interface InflightIoreq {
  req: Ioreq;
  /** the device that decodes it (for the trace) */
  device: string;
  /** notified to the device model (the vCPU waits from then on) */
  sent: boolean;
  /** the device model answered and notified back */
  answered: boolean;
}

/** The server's state as plain data (snapshots). */
export interface IoreqServerState {
  /** per vCPU: the domain's vp_eport and dom0's port bound to it (0: no device model domain) */
  ports: { eport: number; remote: number }[];
  inflight: (InflightIoreq | null)[];
  /** the device model does not answer (a hung QEMU; for tests and demonstrations) */
  stalled: boolean;
  /** torn down with its domain */
  destroyed: boolean;
}

export class IoreqServer implements ServedIoreqs {
  state: IoreqServerState;

  constructor(
    private readonly hv: Hypervisor,
    readonly domain: Domain,
    readonly dm: DeviceModel,
    /** the domain running the device model, or null: Xen runs it itself */
    readonly dmDomid: number | null,
  ) {
    this.state = { ports: [], inflight: domain.vcpus.map(() => null), stalled: false, destroyed: false };
    if (dmDomid === null) {
      this.state.ports = domain.vcpus.map(() => ({ eport: 0, remote: 0 }));
      return;
    }
    const dmd = hv.domains.get(dmDomid)!;
    for (const v of domain.vcpus) {
      // alloc_unbound_xen_event_channel in the domain, then the device model binds it
      const eport = hv.events.alloc(domain);
      Object.assign(domain.evtchns[eport], { state: 'unbound', vcpu: v.id, remoteDom: dmDomid, remotePort: 0, virq: 0 });
      const remote = hv.events.alloc(dmd);
      Object.assign(dmd.evtchns[remote], { state: 'interdomain', vcpu: 0, remoteDom: domain.id, remotePort: eport, virq: 0 });
      Object.assign(domain.evtchns[eport], { state: 'interdomain', remotePort: remote });
      this.state.ports.push({ eport, remote });
    }
    this.hook();
  }

  /** Xen consumes the domain's ends: a send from the device model completes that vCPU's request. */
  hook(): void {
    this.state.ports.forEach((p, i) => {
      if (p.eport) this.hv.xenConsumers.set(`${this.domain.id}:${p.eport}`, () => this.answered(i));
    });
  }

  /** The shared ioreq page (machine frame behind HVM_PARAM_IOREQ_PFN), or null when gone. */
  page(): Uint8Array | null {
    if (!this.domain.alive) return null;
    const gfn = Number(hvmState(this.domain).params.get(HVM_PARAM.IOREQ_PFN) ?? -1n);
    const mfn = gfn >= 0 ? this.domain.p2m.get(gfn) : -1;
    return mfn < 0 ? null : this.hv.machine.writable(mfn);
  }

  /** hvm_send_ioreq, first half (inside the exit): the request goes into the vCPU's slot. */
  post(v: Vcpu, req: Omit<Ioreq, 'vpEport'>, device: string): boolean {
    const page = this.page();
    if (!page || this.state.inflight[v.id]) return false;
    if (ioreqState(page, v.id) !== IOREQ_STATE.NONE) {
      this.hv.crash(this.domain, `ioreq slot of vCPU ${v.id} is busy (state ${ioreqState(page, v.id)}) at a new request`);
      return false;
    }
    const full: Ioreq = { ...req, vpEport: this.state.ports[v.id].eport };
    postIoreq(page, v.id, full);
    this.state.inflight[v.id] = { req: full, device, sent: false, answered: false };
    hvmState(this.domain).ioreqs++;
    return true;
  }

  /** Second half (after the exit is traced): notify the device model and wait for it. */
  notify(v: Vcpu): void {
    const io = this.state.inflight[v.id];
    if (!io || io.sent) return;
    io.sent = true;
    this.trace(v, 'send', io);
    const p = this.state.ports[v.id];
    if (this.dmDomid === null) {
      // no device model domain: Xen's own stand-in answers at once
      this.serve(v.id, null);
      return;
    }
    // notify_via_xen_event_channel: dom0's end becomes pending (and dom0 wakes)
    if (this.hv.wants('event-send')) this.hv.emit({ kind: 'event-send', ...this.hv.base(v), port: p.eport, remoteDomid: this.dmDomid, remotePort: p.remote, channel: 'interdomain' });
    const dmd = this.hv.domains.get(this.dmDomid);
    if (dmd) this.hv.events.setPending(dmd, p.remote);
    if (!io.answered) {
      // hvm_wait_for_io: only the device model's answer wakes the vCPU
      this.hv.block(v);
      v.pollPorts = [];
    }
  }

  /** The device model's next request: the lowest vCPU's that waits (ServedIoreqs). */
  serveNext(dm: Vcpu): boolean {
    const slot = this.state.inflight.findIndex((io) => io !== null && io.sent && !io.answered);
    return slot >= 0 && this.serve(slot, dm);
  }

  /** Whether the device model has a request to take. */
  hasWork(): boolean {
    if (this.state.stalled || !this.domain.alive) return false;
    return this.state.inflight.some((io) => io !== null && io.sent && !io.answered);
  }

  /**
   * The device model's turn (as `dmVcpu`, dom0's vCPU, or as Xen when null): serve the request
   * in `slot` and notify back. Returns whether there was one.
   */
  serve(slot: number, dmVcpu: Vcpu | null): boolean {
    const io = this.state.inflight[slot];
    const page = this.page();
    if (!io || io.answered) return false;
    const r = page ? this.dm.serve(page, slot, this.guestPhys()) : null;
    if (!r) {
      // the guest wrote over its own slot (the page is in its physmap): Xen gives up on it
      io.answered = true;
      this.hv.crash(this.domain, `weird ioreq state in vCPU ${slot}'s slot of the ioreq page`);
      return true;
    }
    if (this.hv.wants('ioreq')) this.hv.emit({ ...this.record(io, 'dm', slot), ...this.hv.base(dmVcpu), domid: dmVcpu ? dmVcpu.domain.id : DOMID.XEN, vcpu: dmVcpu ? dmVcpu.id : 0 });
    if (dmVcpu && this.dmDomid !== null) {
      const p = this.state.ports[slot];
      const ch = dmVcpu.domain.evtchns[p.remote];
      // the domain may be gone (its exit port powered it off and its ports closed)
      if (ch && ch.state === 'interdomain') this.hv.events.send(dmVcpu, p.remote);
      else io.answered = true;
    } else this.answered(slot);
    return true;
  }

  /** The answer arrived on vp_eport: wake the vCPU (completion happens at its VM entry). */
  private answered(slot: number): void {
    const io = this.state.inflight[slot];
    if (!io) return;
    io.answered = true;
    const v = this.domain.vcpus[slot];
    if (v && v.blocked) this.hv.wakeFromBlock(v);
  }

  /** Whether `v` still waits for the device model. */
  waiting(v: Vcpu): boolean {
    const io = this.state.inflight[v.id];
    return io !== null && io !== undefined && !io.answered;
  }

  /**
   * handle_hvm_io_completion, before VM entry: take the answer and hand it to `done`, which
   * finishes the instruction (an IN's accumulator; an MMIO access's instruction runs again).
   * Returns false while the request is still outstanding (the vCPU must not enter).
   */
  complete(v: Vcpu, done: (req: Ioreq, data: number) => void): boolean {
    const io = this.state.inflight[v.id];
    if (!io) return true;
    if (!io.answered) return false;
    const page = this.page();
    const data = page ? completeIoreq(page, v.id) : undefined;
    this.state.inflight[v.id] = null;
    if (data === undefined) {
      this.hv.crash(this.domain, `weird ioreq state in vCPU ${v.id}'s slot of the ioreq page`);
      return false;
    }
    done(io.req, data);
    if (this.hv.wants('ioreq')) this.hv.emit({ ...this.record(io, 'complete', v.id, data), ...this.hv.base(v) });
    return true;
  }

  /** Teardown with the domain: dom0's ends are closed, Xen forgets its consumers. */
  destroy(): void {
    if (this.state.destroyed) return;
    this.state.destroyed = true;
    const dmd = this.dmDomid === null ? undefined : this.hv.domains.get(this.dmDomid);
    for (const p of this.state.ports) {
      if (!p.eport) continue;
      this.hv.xenConsumers.delete(`${this.domain.id}:${p.eport}`);
      const ch = dmd?.evtchns[p.remote];
      if (dmd && ch && ch.state !== 'free' && ch.remoteDom === this.domain.id) this.hv.events.close(dmd, p.remote);
    }
    this.state.inflight = this.state.inflight.map(() => null);
  }

  private trace(v: Vcpu, phase: 'send', io: InflightIoreq): void {
    if (this.hv.wants('ioreq')) this.hv.emit({ ...this.record(io, phase, v.id), ...this.hv.base(v) });
  }

  private record(io: InflightIoreq, phase: 'send' | 'dm' | 'complete', slot: number, data?: number) {
    const r = io.req;
    return {
      kind: 'ioreq' as const,
      phase,
      targetDomid: this.domain.id,
      targetVcpu: slot,
      type: r.type,
      dir: r.dir === IOREQ_DIR.READ ? ('read' as const) : ('write' as const),
      addr: r.addr,
      size: r.size,
      count: r.count,
      dataIsPtr: r.dataIsPtr,
      data: phase === 'complete' ? data : r.dir === IOREQ_DIR.READ ? undefined : r.data,
      device: io.device,
    };
  }

  /** Guest-physical memory as the device model maps it (data_is_ptr requests). */
  private guestPhys(): { read(gpa: number, len: number): Uint8Array; write(gpa: number, data: Uint8Array): void } {
    const d = this.domain;
    const m = this.hv.machine;
    const each = (gpa: number, len: number, write: boolean, f: (frame: Uint8Array, off: number, k: number, n: number) => void) => {
      for (let k = 0; k < len; ) {
        const a = gpa + k;
        const mfn = d.p2m.get(Math.floor(a / PAGE_SIZE));
        const off = a & 0xfff;
        const n = Math.min(PAGE_SIZE - off, len - k);
        if (mfn >= 0) f(write ? m.writable(mfn) : m.readable(mfn), off, k, n);
        k += n;
      }
    };
    return {
      read: (gpa, len) => {
        const out = new Uint8Array(len).fill(0xff);
        each(gpa, len, false, (f, off, k, n) => out.set(f.subarray(off, off + n), k));
        return out;
      },
      write: (gpa, data) => each(gpa, data.length, true, (f, off, k, n) => f.set(data.subarray(k, k + n), off)),
    };
  }
}
