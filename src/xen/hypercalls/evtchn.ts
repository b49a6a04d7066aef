// event_channel_op (xen/common/event_channel.c), 2-level ABI.
import { EVTCHNOP, EVTCHNSTAT, DOMID, VIRQ, XEN_CONST } from '../abi';
import type { HypercallContext } from './types';
import { fail, put32, u32 } from './util';
import type { Domain } from '../domain';

function dom(ctx: HypercallContext, id: number): Domain {
  id &= 0xffff;
  if (id === DOMID.SELF) return ctx.domain;
  const d = ctx.hv.domains.get(id);
  if (!d || !d.alive) fail('ESRCH', `no domain ${id}`);
  return d;
}

export function eventChannelOp(ctx: HypercallContext): number {
  const [cmd, arg] = ctx.args;
  const { hv, domain: d, mem } = ctx;
  const ev = hv.events;
  switch (cmd) {
    case EVTCHNOP.alloc_unbound: {
      const b = mem.read(arg, 8);
      const owner = dom(ctx, b[0] | (b[1] << 8));
      if (owner !== d && !d.privileged) fail('EPERM', `d${d.id} may not allocate a port in d${owner.id}`);
      let remote = b[2] | (b[3] << 8);
      if (remote === DOMID.SELF) remote = d.id;
      const port = ev.alloc(owner);
      Object.assign(owner.evtchns[port], { state: 'unbound', vcpu: 0, remoteDom: remote, remotePort: 0, virq: 0 });
      put32(b, 4, port);
      mem.write(arg + 4, b.subarray(4, 8));
      return 0;
    }
    case EVTCHNOP.bind_interdomain: {
      const b = mem.read(arg, 12);
      const rd = dom(ctx, b[0] | (b[1] << 8));
      const rport = u32(b, 4);
      const rc = rd.evtchns[rport];
      if (!rc || rport === 0 || rc.state !== 'unbound' || (rc.remoteDom !== d.id && rc.remoteDom !== DOMID.SELF)) {
        fail('EINVAL', `d${rd.id} port ${rport} is not an unbound port offered to d${d.id}`);
      }
      const port = ev.alloc(d);
      Object.assign(d.evtchns[port], { state: 'interdomain', vcpu: 0, remoteDom: rd.id, remotePort: rport, virq: 0 });
      Object.assign(rc, { state: 'interdomain', remoteDom: d.id, remotePort: port });
      put32(b, 8, port);
      mem.write(arg + 8, b.subarray(8, 12));
      // the remote end may have sent before we bound: raise the local port as Xen does
      ev.setPending(d, port);
      return 0;
    }
    case EVTCHNOP.bind_virq: {
      const b = mem.read(arg, 12);
      const virq = u32(b, 0);
      const vcpu = u32(b, 4);
      if (virq >= XEN_CONST.NR_VIRQS) fail('EINVAL', `VIRQ ${virq} out of range`);
      if (!d.vcpus[vcpu]) fail('ENOENT', `no vcpu ${vcpu}`);
      if (!ev.isPerVcpuVirq(virq) && vcpu !== 0) fail('EINVAL', `global VIRQ ${virq} binds on vcpu 0`);
      if (d.virqPorts[vcpu][virq] !== undefined) fail('EEXIST', `VIRQ ${virq} already bound on vcpu ${vcpu}`);
      if ((virq === VIRQ.DOM_EXC || virq === VIRQ.CONSOLE) && !d.privileged) fail('EPERM', `VIRQ ${virq} is the control domain's`);
      const port = ev.alloc(d);
      Object.assign(d.evtchns[port], { state: 'virq', vcpu, remoteDom: 0, remotePort: 0, virq });
      d.virqPorts[vcpu][virq] = port;
      put32(b, 8, port);
      mem.write(arg + 8, b.subarray(8, 12));
      return 0;
    }
    case EVTCHNOP.bind_ipi: {
      const b = mem.read(arg, 8);
      const vcpu = u32(b, 0);
      if (!d.vcpus[vcpu]) fail('ENOENT', `no vcpu ${vcpu}`);
      const port = ev.alloc(d);
      Object.assign(d.evtchns[port], { state: 'ipi', vcpu, remoteDom: 0, remotePort: 0, virq: 0 });
      put32(b, 4, port);
      mem.write(arg + 4, b.subarray(4, 8));
      return 0;
    }
    case EVTCHNOP.close:
      ev.close(d, mem.read32(arg));
      return 0;
    case EVTCHNOP.send:
      ev.send(ctx.vcpu, mem.read32(arg));
      return 0;
    case EVTCHNOP.status: {
      const b = mem.read(arg, 24);
      const sd = dom(ctx, b[0] | (b[1] << 8));
      if (sd !== d && !d.privileged) fail('EPERM', `d${d.id} may not query d${sd.id}`);
      const port = u32(b, 4);
      if (port >= sd.evtchns.length && port <= sd.maxEvtchns) {
        put32(b, 8, EVTCHNSTAT.closed);
        mem.write(arg, b);
        return 0;
      }
      const c = port === 0 ? undefined : sd.evtchns[port];
      if (!c && port !== 0) fail('EINVAL', `port ${port} out of range`);
      const stat = !c ? EVTCHNSTAT.closed : EVTCHNSTAT[c.state === 'free' ? 'closed' : c.state];
      put32(b, 8, stat);
      put32(b, 12, c?.vcpu ?? 0);
      b.fill(0, 16);
      if (c?.state === 'unbound') b.set([c.remoteDom & 0xff, c.remoteDom >> 8], 16);
      if (c?.state === 'interdomain') {
        b.set([c.remoteDom & 0xff, c.remoteDom >> 8], 16);
        put32(b, 20, c.remotePort);
      }
      if (c?.state === 'virq') put32(b, 16, c.virq);
      mem.write(arg, b);
      return 0;
    }
    case EVTCHNOP.bind_vcpu: {
      const b = mem.read(arg, 8);
      const c = ev.port(d, u32(b, 0));
      const vcpu = u32(b, 4);
      if (!d.vcpus[vcpu]) fail('ENOENT', `no vcpu ${vcpu}`);
      if (c.state === 'virq' && ev.isPerVcpuVirq(c.virq)) fail('EINVAL', 'per-vCPU VIRQs cannot move');
      if (c.state === 'free') fail('EINVAL', 'port not bound');
      c.vcpu = vcpu;
      return 0;
    }
    case EVTCHNOP.unmask: {
      const port = mem.read32(arg);
      ev.port(d, port);
      const si = hv.shared(d);
      si.setMasked(port, false);
      // evtchn_2l_unmask: a pending port raises the selector and upcall now
      const c = d.evtchns[port];
      const v = d.vcpus[c.vcpu] ?? d.vcpus[0];
      if (si.pending(port) && si.setPendingSel(v.id, port >>> 5) && !si.upcallPending(v.id)) {
        si.setUpcallPending(v.id, 1);
        if (v.blocked && v.pollPorts === null) hv.wakeFromBlock(v);
      }
      return 0;
    }
    case EVTCHNOP.reset: {
      const b = mem.read(arg, 2);
      const td = dom(ctx, b[0] | (b[1] << 8));
      if (td !== d && !d.privileged) fail('EPERM', 'reset of another domain');
      ev.closeAll(td);
      return 0;
    }
    default:
      return fail('ENOSYS', `event_channel_op cmd ${cmd}`);
  }
}
