/**
 * xenstored running in dom0 of a hypervisor: one XenStore per Hypervisor. When the toolstack has
 * built a domain it writes the domain's tree and introduces its store ring (store_mfn and the
 * unbound store_evtchn the builder put in start_info); a send on that port makes xenstored serve
 * the ring, and xenstored's replies raise the port in the guest.
 */
import type { Hypervisor } from '../../hypervisor';
import type { Domain } from '../../domain';
import { XsClient } from './client';
import { domainUuid, writeDomainTree } from './domain-tree';
import { grantTablesOf } from '../../grant/xen-env';
import { XenStore, type XenStoreState } from './xenstored';
import { registerSnapshotService } from '../../snapshot-services';
import { notifyFrontEnd, startRingService, stopRingService } from '../backends';

const stores = new WeakMap<Hypervisor, XenStore>();

registerSnapshotService({
  name: 'xenstored',
  save: (hv) => stores.get(hv)?.saveState(),
  // A store first used after the snapshot is dropped; the next use makes a fresh one.
  restore: (hv, s) => (s ? stores.get(hv)?.restoreState(s as XenStoreState) : stores.delete(hv)),
});

export function xenstoreOf(hv: Hypervisor): XenStore {
  let xs = stores.get(hv);
  if (!xs) {
    xs = new XenStore({
      mapRing: (domid, mfn, port) => {
        const d = hv.domains.get(domid);
        if (!d || !d.alive || !hv.mm.valid(mfn) || hv.mm.info[mfn].owner !== domid) return undefined;
        if (d.evtchns[port]?.state !== 'unbound') return undefined;
        return ringAccess(hv, d, mfn, port);
      },
    });
    stores.set(hv, xs);
  }
  return xs;
}

function ringAccess(hv: Hypervisor, d: Domain, mfn: number, port: number) {
  return {
    page: () => hv.machine.writable(mfn),
    notify: () => notifyFrontEnd(hv, d, 'xenstore', port),
  };
}

const goneHandlers = new WeakMap<Hypervisor, Map<number, (() => void)[]>>();

// Teardown handlers a domain's destruction consumed must be back after restoring to before it
// (closures over objects restored in place, so kept by reference).
registerSnapshotService({
  name: 'domain-gone-handlers',
  save: (hv) => new Map([...(goneHandlers.get(hv) ?? [])].map(([id, fns]) => [id, [...fns]])),
  restore: (hv, s) => {
    const m = goneHandlers.get(hv);
    if (!m) return;
    m.clear();
    for (const [id, fns] of s as Map<number, (() => void)[]>) m.set(id, [...fns]);
  },
});

/**
 * Run `fn` when domain `domid` shuts down or crashes (the toolstack tearing its devices down):
 * back ends disconnect before Xen frees the domain's memory, so none keeps using a frame that
 * may belong to someone else next.
 */
export function onDomainGone(hv: Hypervisor, domid: number, fn: () => void): void {
  let m = goneHandlers.get(hv);
  if (!m) {
    const table = new Map<number, (() => void)[]>();
    goneHandlers.set(hv, table);
    hv.domainListeners.push((d) => {
      // a preserved domain stays, devices and all, until someone destroys it
      const cfg = d.config;
      const action = cfg && (d.shutdownReason === 'crash' ? cfg.onCrash : d.shutdownReason === 'reboot' ? cfg.onReboot : cfg.onPoweroff);
      if (action === 'preserve') return;
      const fns = table.get(d.id) ?? [];
      table.delete(d.id);
      // last registered first: devices go before the store and the grant table
      for (const f of fns.reverse()) f();
    });
    m = table;
  }
  const list = m.get(domid) ?? [];
  list.push(fn);
  m.set(domid, list);
}

const dom0Watches = new WeakMap<Hypervisor, Map<string, (path: string) => void>>();

// dom0's watch callbacks must match xenstored's restored watch list token for token.
registerSnapshotService({
  name: 'dom0-watches',
  save: (hv) => new Map(dom0Watches.get(hv) ?? []),
  restore: (hv, s) => {
    // a store made after the snapshot is gone (restored first): the next watch makes the
    // table again and hooks it to the next store
    if (!stores.has(hv)) dom0Watches.delete(hv);
    const t = dom0Watches.get(hv);
    if (!t) return;
    t.clear();
    for (const [token, cb] of s as Map<string, (path: string) => void>) t.set(token, cb);
  },
});

/**
 * A watch of dom0's own services (back ends): `cb(path)` for each change under `path`. The
 * first event (xenstored fires one on registration) is delivered too.
 */
export function watchAsDom0(hv: Hypervisor, path: string, cb: (path: string) => void): () => void {
  const xs = xenstoreOf(hv);
  let table = dom0Watches.get(hv);
  if (!table) {
    const t = new Map<string, (path: string) => void>();
    dom0Watches.set(hv, t);
    xs.onWatch.set(0, (p, token) => t.get(token)?.(p));
    table = t;
  }
  const token = `dom0:${table.size}:${path}`;
  table.set(token, cb);
  const client = new XsClient(xs, 0);
  client.watch(path, token);
  return () => {
    table!.delete(token);
    client.unwatch(path, token);
  };
}

/** The toolstack's xenstore part of creating a domain (libxl: domain tree, then xs_introduce_domain). */
export function introduceDomain(hv: Hypervisor, d: Domain): void {
  const xs = xenstoreOf(hv);
  const dom0 = new XsClient(xs, 0);
  writeDomainTree(dom0, {
    domid: d.id,
    name: d.name,
    memoryKiB: d.maxPages * 4,
    vcpus: d.vcpus.length,
    store: d.storePort ? { mfn: d.storeMfn, port: d.storePort } : undefined,
    console: d.consolePort ? { mfn: d.consoleMfn, port: d.consolePort } : undefined,
  });
  // last: the domain's grant table goes, releasing the mappings it held of others' grants
  onDomainGone(hv, d.id, () => grantTablesOf(hv).destroy(d.id));
  onDomainGone(hv, d.id, () => releaseDomain(hv, d));
  if (!d.storePort) return;
  dom0.introduce(d.id, d.storeMfn, d.storePort);
  // xenstored serves the ring as dom0 (backends.ts), each xs_wire request answered its work
  startRingService(hv, d, { kind: 'xenstore', fePort: d.storePort }, { hasWork: () => xs.pending(d.id), serve: () => xs.serve(d.id).requests });
}

/** Domain gone: xenstored forgets it and the toolstack removes its nodes (libxl domain destroy). */
export function releaseDomain(hv: Hypervisor, d: Domain): void {
  const xs = stores.get(hv);
  if (!xs) return;
  const dom0 = new XsClient(xs, 0);
  if (xs.isIntroduced(d.id)) dom0.release(d.id);
  dom0.rm(`/local/domain/${d.id}`);
  dom0.rm(`/vm/${domainUuid(d.id)}`);
  stopRingService(hv, 'xenstore', d.id, d.storePort);
}
