/**
 * The nodes the toolstack writes for a new domain (libxl__domain_make and
 * libxl__build_post, in spirit): /local/domain/<id> owned by the domain, with domid, name,
 * vm, memory, cpu availability, the store and console ring references, the directories it may
 * write (device, data, control/shutdown), and /vm/<uuid> readable by it.
 */
import type { XsClient } from './client';

export interface DomainTreeInfo {
  domid: number;
  name: string;
  memoryKiB: number;
  vcpus: number;
  store?: { mfn: number; port: number };
  console?: { mfn: number; port: number };
}

/** A uuid per domid, deterministic (xensim has no random numbers). */
export function domainUuid(domid: number): string {
  return `00000000-0000-0000-0000-${domid.toString(16).padStart(12, '0')}`;
}

export function domainPath(domid: number): string {
  return `/local/domain/${domid}`;
}

export function writeDomainTree(xs: XsClient, info: DomainTreeInfo): void {
  const dom = domainPath(info.domid);
  const vm = `/vm/${domainUuid(info.domid)}`;
  const own = [`n${info.domid}`];
  const ro = ['n0', `r${info.domid}`];
  for (;;) {
    const t = xs.transactionStart();
    xs.mkdir(dom, t);
    xs.setPerms(dom, own, t);
    xs.mkdir(vm, t);
    xs.setPerms(vm, ro, t);
    xs.write(`${vm}/name`, info.name, t);
    xs.write(`${vm}/uuid`, domainUuid(info.domid), t);
    xs.write(`${dom}/domid`, String(info.domid), t);
    xs.write(`${dom}/name`, info.name, t);
    xs.write(`${dom}/vm`, vm, t);
    xs.write(`${dom}/memory/static-max`, String(info.memoryKiB), t);
    xs.write(`${dom}/memory/target`, String(info.memoryKiB), t);
    for (let i = 0; i < info.vcpus; i++) xs.write(`${dom}/cpu/${i}/availability`, 'online', t);
    for (const d of ['device', 'data', 'drivers', 'feature', 'attr', 'error']) xs.mkdir(`${dom}/${d}`, t);
    xs.mkdir(`${dom}/control`, t);
    xs.setPerms(`${dom}/control`, ro, t);
    xs.write(`${dom}/control/shutdown`, '', t);
    xs.setPerms(`${dom}/control/shutdown`, own, t);
    if (info.store) {
      xs.write(`${dom}/store/port`, String(info.store.port), t);
      xs.write(`${dom}/store/ring-ref`, String(info.store.mfn), t);
    }
    if (info.console) {
      xs.write(`${dom}/console/port`, String(info.console.port), t);
      xs.write(`${dom}/console/ring-ref`, String(info.console.mfn), t);
      xs.write(`${dom}/console/limit`, '1048576', t);
      xs.write(`${dom}/console/type`, 'xenconsoled', t);
    }
    if (xs.transactionEnd(t)) return;
  }
}
