// domctl (xen/common/domctl.c): domain control for the privileged domain's toolstack.
import { XEN_DOMCTL, XEN_DOMCTL_CDF, XEN_CONST } from '../abi';
import type { HypercallContext } from './types';
import { fail, put32, u32, requirePrivileged } from './util';
import type { Domain } from '../domain';

/** XEN_DOMCTL_SCHEDOP_* and XEN_SCHEDULER_CREDIT (domctl.h) */
const SCHEDOP_PUTINFO = 0;
const SCHEDOP_GETINFO = 1;
export const XEN_SCHEDULER_CREDIT = 5;
const U = 16;

function put64(b: Uint8Array, o: number, v: number): void {
  put32(b, o, v >>> 0);
  put32(b, o + 4, Math.floor(v / 0x100000000) >>> 0);
}

export function domctl(ctx: HypercallContext): number {
  requirePrivileged(ctx, 'domctl');
  const [ptr] = ctx.args;
  const { hv, mem } = ctx;
  const b = mem.read(ptr, 144);
  const cmd = u32(b, 0);
  if (u32(b, 4) !== XEN_CONST.XEN_DOMCTL_INTERFACE_VERSION) fail('EACCES', `domctl interface version ${u32(b, 4)} (Xen 4.17 speaks ${XEN_CONST.XEN_DOMCTL_INTERFACE_VERSION})`);
  const domid = b[8] | (b[9] << 8);
  const target = (): Domain => {
    const d = hv.domains.get(domid);
    if (!d || d.state === 'destroyed') fail('ESRCH', `no domain ${domid}`);
    return d;
  };
  switch (cmd) {
    case XEN_DOMCTL.createdomain: {
      const maxVcpus = u32(b, U + 28);
      if (maxVcpus < 1 || maxVcpus > XEN_CONST.XEN_LEGACY_MAX_VCPUS) fail('EINVAL', `max_vcpus ${maxVcpus}`);
      const kind = u32(b, U + 20) & XEN_DOMCTL_CDF.hvm ? 'hvm' : 'pv';
      const d = hv.createDomain(`domain${domid || hv.nextDomid}`, { maxPages: 0, vcpus: maxVcpus, domid: domid || undefined, kind });
      const maxPort = u32(b, U + 32);
      if (maxPort > 0) d.maxEvtchns = Math.min(maxPort, 1023);
      b[8] = d.id & 0xff;
      b[9] = d.id >> 8;
      mem.write(ptr, b);
      return 0;
    }
    case XEN_DOMCTL.destroydomain: {
      const d = target();
      if (d.privileged) fail('EPERM', 'dom0 cannot be destroyed');
      hv.destroyDomain(d);
      return 0;
    }
    case XEN_DOMCTL.pausedomain: {
      const d = target();
      if (d === ctx.domain) fail('EINVAL', 'a domain cannot pause itself');
      hv.pause(d);
      return 0;
    }
    case XEN_DOMCTL.unpausedomain:
      hv.unpause(target());
      return 0;
    case XEN_DOMCTL.getdomaininfo: {
      const d = target();
      b.fill(0, U);
      b[U] = d.id & 0xff;
      b[U + 1] = d.id >> 8;
      // XEN_DOMINF_dying 1, shutdown 2, paused 4, blocked 8, running 16, hvm 32; shutdown code << 16
      const info = hv.domainInfo(d);
      let flags = 0;
      if (info.state === 'dying' || info.state === 'destroyed') flags |= 1;
      if (info.state === 'shutdown' || info.state === 'crashed') flags |= 2 | ((d.shutdownCode & 0xff) << 16);
      if (info.state === 'paused') flags |= 4;
      if (info.state === 'blocked') flags |= 8;
      if (info.state === 'running') flags |= 16;
      put32(b, U + 4, flags >>> 0);
      put64(b, U + 8, d.pages);
      put64(b, U + 16, d.maxPages);
      put64(b, U + 48, d.sharedInfoMfn);
      put64(b, U + 56, d.cpuTimeNs);
      put32(b, U + 64, d.vcpus.filter((v) => v.up).length);
      put32(b, U + 68, d.vcpus.length - 1);
      mem.write(ptr, b);
      return 0;
    }
    case XEN_DOMCTL.max_mem: {
      const d = target();
      const kb = u32(b, U) + u32(b, U + 4) * 0x100000000;
      d.maxPages = Math.floor(kb / 4);
      return 0;
    }
    case XEN_DOMCTL.max_vcpus: {
      const d = target();
      if (u32(b, U) !== d.vcpus.length) fail('EINVAL', `max_vcpus must match createdomain's ${d.vcpus.length}`);
      return 0;
    }
    case XEN_DOMCTL.setvcpuaffinity: {
      const d = target();
      const v = d.vcpus[u32(b, U)];
      if (!v) fail('ENOENT', `no vcpu ${u32(b, U)}`);
      // the hard map is a guest handle to a bitmap of nr_bits pCPUs
      const map = u32(b, U + 8);
      const bits = u32(b, U + 16);
      const bytes = mem.read(map, Math.ceil(bits / 8));
      const cpus: number[] = [];
      for (let c = 0; c < Math.min(bits, hv.pcpus.length); c++) if (bytes[c >> 3] & (1 << (c & 7))) cpus.push(c);
      if (!cpus.length) fail('EINVAL', 'empty affinity');
      v.affinity = cpus.length === hv.pcpus.length ? [] : cpus;
      return 0;
    }
    case XEN_DOMCTL.scheduler_op: {
      const d = target();
      if (u32(b, U) !== XEN_SCHEDULER_CREDIT) fail('EINVAL', `scheduler ${u32(b, U)} (xensim runs credit, ${XEN_SCHEDULER_CREDIT})`);
      const op = u32(b, U + 4);
      if (op === SCHEDOP_PUTINFO) {
        const weight = b[U + 8] | (b[U + 9] << 8);
        const cap = b[U + 10] | (b[U + 11] << 8);
        if (weight) d.weight = weight;
        d.cap = cap;
        return 0;
      }
      if (op === SCHEDOP_GETINFO) {
        b[U + 8] = d.weight & 0xff;
        b[U + 9] = d.weight >> 8;
        b[U + 10] = d.cap & 0xff;
        b[U + 11] = d.cap >> 8;
        mem.write(ptr, b);
        return 0;
      }
      return fail('EINVAL', `scheduler_op cmd ${op}`);
    }
    default:
      return fail('ENOSYS', `domctl cmd ${cmd}`);
  }
}
