/**
 * 2-level event channels (xen/common/event_channel.c, event_2l.c): per-domain ports with their
 * binding, the pending/mask bitmaps and selector in shared_info, and the upcall decision.
 */
import type { Hypervisor } from './hypervisor';
import type { Domain, EventChannel, Vcpu } from './domain';
import { VIRQ, XEN_ERRNO, keyOf } from './abi';
import { XenError } from './mm';

export const EVTCHN_2L_NR_CHANNELS = 1024;
/** VIRQs bound per vCPU (the rest are global, delivered to vCPU 0) */
const PER_VCPU_VIRQS = new Set<number>([VIRQ.TIMER, VIRQ.DEBUG, VIRQ.XENOPROF, VIRQ.XENPMU]);

const err = (e: keyof typeof XEN_ERRNO, msg: string) => new XenError(-XEN_ERRNO[e], msg);

export class EventChannels {
  constructor(private readonly hv: Hypervisor) {}

  initDomain(d: Domain): void {
    d.maxEvtchns = Math.min(d.config?.maxEventChannels ?? 1023, EVTCHN_2L_NR_CHANNELS - 1);
    d.evtchns = [{ state: 'free', vcpu: 0, remoteDom: 0, remotePort: 0, virq: 0 }];
    d.evtchns[0].state = 'free'; // port 0 is never allocated
    d.virqPorts = d.vcpus.map(() => []);
  }

  port(d: Domain, port: number): EventChannel {
    const c = Number.isInteger(port) && port > 0 ? d.evtchns[port] : undefined;
    if (!c) throw err('EINVAL', `port ${port} is not valid in d${d.id}`);
    return c;
  }

  /** get_free_port: the lowest free port above 0, growing the table; -ENOSPC past the limit. */
  alloc(d: Domain): number {
    for (let p = 1; p < d.evtchns.length; p++) if (d.evtchns[p].state === 'free') return p;
    const p = d.evtchns.length;
    if (p > d.maxEvtchns) throw err('ENOSPC', `d${d.id} has no free event channel (max ${d.maxEvtchns})`);
    d.evtchns.push({ state: 'free', vcpu: 0, remoteDom: 0, remotePort: 0, virq: 0 });
    return p;
  }

  virqName(d: Domain, port: number): string | undefined {
    const c = port > 0 ? d.evtchns[port] : undefined;
    return c && c.state === 'virq' ? `VIRQ_${keyOf('VIRQ', c.virq) ?? c.virq}` : undefined;
  }

  isPerVcpuVirq(virq: number): boolean {
    return PER_VCPU_VIRQS.has(virq);
  }

  /** evtchn_2l_set_pending: set the bit; if newly pending and unmasked, raise the selector and upcall. */
  setPending(d: Domain, port: number): void {
    const c = d.evtchns[port];
    if (!c || !d.alive) return;
    const v = d.vcpus[c.vcpu] ?? d.vcpus[0];
    if (!v) return;
    const si = this.hv.shared(d);
    if (si.pending(port)) return;
    si.setPending(port, true);
    let upcall = false;
    if (!si.masked(port) && si.setPendingSel(v.id, port >>> 5) && !si.upcallPending(v.id)) {
      // vcpu_mark_events_pending: raise the upcall and kick the vCPU
      si.setUpcallPending(v.id, 1);
      upcall = true;
    }
    if (this.hv.wants('event-deliver')) this.hv.emit({ kind: 'event-deliver', ...this.hv.base(v), port, virq: this.virqName(d, port), upcall: false });
    if (v.blocked && (v.pollPorts === null ? upcall : v.pollPorts.includes(port))) this.hv.wakeFromBlock(v);
  }

  /** Whether Xen should bounce an upcall before the vCPU runs guest code again. */
  upcallDeliverable(v: Vcpu): boolean {
    if (!v.eventCallback || !v.domain.sharedInfoMfn || v.id >= 32) return false;
    const si = this.hv.shared(v.domain);
    return si.upcallPending(v.id) !== 0 && si.upcallMask(v.id) === 0;
  }

  sendVirq(v: Vcpu, virq: number): void {
    const port = v.domain.virqPorts[v.id]?.[virq] ?? (this.isPerVcpuVirq(virq) ? undefined : v.domain.virqPorts[0]?.[virq]);
    if (port === undefined) return;
    this.setPending(v.domain, port);
  }

  /** A global VIRQ (VIRQ_DOM_EXC, VIRQ_CONSOLE) to a domain, on whichever vCPU bound it. */
  sendGlobalVirq(d: Domain, virq: number): void {
    const port = d.virqPorts[0]?.[virq];
    if (port !== undefined) this.setPending(d, port);
  }

  /** EVTCHNOP_send from `v` on its port `port`. */
  send(v: Vcpu, port: number): void {
    const d = v.domain;
    const c = this.port(d, port);
    switch (c.state) {
      case 'interdomain': {
        const rd = this.hv.domains.get(c.remoteDom);
        if (this.hv.wants('event-send')) this.hv.emit({ kind: 'event-send', ...this.hv.base(v), port, remoteDomid: c.remoteDom, remotePort: c.remotePort, channel: 'interdomain' });
        const xen = this.hv.xenConsumers.get(`${c.remoteDom}:${c.remotePort}`);
        if (xen) xen();
        else if (rd) this.setPending(rd, c.remotePort);
        return;
      }
      case 'ipi':
        if (this.hv.wants('event-send')) this.hv.emit({ kind: 'event-send', ...this.hv.base(v), port, remoteDomid: d.id, remotePort: port, channel: 'ipi' });
        this.setPending(d, port);
        return;
      case 'unbound':
        // a back end living in the toolstack (console) listens on this port
        this.hv.portHooks.get(`${d.id}:${port}`)?.();
        // Xen drops sends on an unbound port silently (the remote end is not connected yet).
        if (this.hv.wants('event-send')) this.hv.emit({ kind: 'event-send', ...this.hv.base(v), port, remoteDomid: c.remoteDom, remotePort: 0, channel: 'unbound' });
        return;
      default:
        throw err('EINVAL', `port ${port} is ${c.state}; only interdomain and IPI ports can be sent on`);
    }
  }

  /** evtchn_close: unbinds both ends of an interdomain channel. */
  close(d: Domain, port: number): void {
    const c = this.port(d, port);
    switch (c.state) {
      case 'free':
        throw err('EINVAL', `port ${port} is not bound`);
      case 'virq':
        for (const vp of d.virqPorts) if (vp[c.virq] === port) delete vp[c.virq];
        break;
      case 'interdomain': {
        const rd = this.hv.domains.get(c.remoteDom);
        const rc = rd?.evtchns[c.remotePort];
        if (rc && rc.state === 'interdomain' && rc.remoteDom === d.id && rc.remotePort === port) {
          rc.state = 'unbound';
          rc.remoteDom = d.id;
          rc.remotePort = 0;
        }
        break;
      }
      default:
        break;
    }
    Object.assign(c, { state: 'free', vcpu: 0, remoteDom: 0, remotePort: 0, virq: 0 });
    const si = this.hv.shared(d);
    si.setPending(port, false);
  }

  /** Tear down every port of a dying domain (peers' ends go back to unbound). */
  closeAll(d: Domain): void {
    for (let p = 1; p < d.evtchns.length; p++) if (d.evtchns[p].state !== 'free') this.close(d, p);
  }
}
