/**
 * dom0's connected block and network back ends, and how they run.
 *
 * Each connection (a vbd's Blkback or a vif's Netback with its event channel) is a record in one
 * per-hypervisor table, so a snapshot can save and restore them all (the back ends restore in
 * place; the xenstore watches and teardown handlers that reach them look them up here by key,
 * never through a captured variable).
 *
 * With dom0 the back ends run as dom0, as on Xen: on connect dom0 binds the front end's offered
 * port (EVTCHNOP_bind_interdomain's effect), so the front end's send makes dom0's port pending
 * and wakes dom0's vCPU; while dom0's vCPU is current the toolstack's injector asks `next` here
 * first, which serves every ring with requests waiting and then issues the back ends'
 * notifications as dom0's own EVTCHNOP_send hypercalls. The trace shows dom0 scheduled, running
 * and sending; the work is charged to dom0's pCPU (BACKEND_REQUEST_COST per request), so it is
 * dom0's running time. dom0 does not block while a ring has requests (the rings are
 * the truth, as RING_FINAL_CHECK_FOR_REQUESTS makes them in Linux; dom0's small kernel clears
 * its pending bits without looking at them). Without dom0 the front end's send on its unbound
 * port calls the back end at once (a port hook), in the sender's hypercall.
 *
 * xenstored (a domain's store ring) and xenconsoled (its console ring) are ring services served
 * the same way (startRingService): dom0 binds the domain's port when it introduces the ring,
 * serves it while its vCPU is current (BACKEND_REQUEST_COST per xs_wire request answered or
 * console ring drained) and notifies with its own EVTCHNOP_send (notifyFrontEnd).
 */
import { EVTCHNOP, HYPERCALL } from '../abi';
import type { Domain, Vcpu } from '../domain';
import type { Hypervisor } from '../hypervisor';
import { registerSnapshotService } from '../snapshot-services';
import type { Blkback } from './blkback';
import type { Netback } from './netback';

export interface Connection {
  readonly kind: 'vbd' | 'vif';
  readonly feDomid: number;
  readonly devid: number;
  /** the front end's event channel */
  readonly fePort: number;
  /** dom0's end of that channel when dom0 runs the back end; 0 without dom0 */
  readonly dom0Port: number;
  readonly device: Blkback | Netback;
  /** serve the rings (Blkback.process, Netback.kick); how many requests it served */
  serve(): number;
}

/**
 * Virtual instructions dom0 spends on each ring request it serves (map the grants, copy, answer):
 * charged to dom0's pCPU while dom0 runs, so the work shows as dom0's running time.
 */
export const BACKEND_REQUEST_COST = 200;

/** A dom0 service on one domain's byte ring: xenstored's store ring, xenconsoled's console ring. */
export interface RingService {
  readonly kind: 'xenstore' | 'console';
  readonly feDomid: number;
  /** the domain's port for the ring */
  readonly fePort: number;
  /** dom0's end of that channel */
  readonly dom0Port: number;
  hasWork(): boolean;
  /** serve the ring; how many requests it served */
  serve(): number;
}

interface Dom0Work {
  /** dom0 ports to send on (the back ends' notifications), in order */
  sends: number[];
  inflight: boolean;
}

interface Table {
  conns: Map<string, Connection>;
  /** ring services by `${kind}/${domid}` */
  rings: Map<string, RingService>;
  dom0: Dom0Work;
}

const tables = new WeakMap<Hypervisor, Table>();

function entry(hv: Hypervisor): Table {
  let e = tables.get(hv);
  if (!e) tables.set(hv, (e = { conns: new Map(), rings: new Map(), dom0: { sends: [], inflight: false } }));
  return e;
}

const ringKey = (kind: RingService['kind'], domid: number): string => `${kind}/${domid}`;

export const connectionKey = (kind: Connection['kind'], feDomid: number, devid: number): string => `${kind}/${feDomid}/${devid}`;

/** The connected back ends, by connectionKey. */
export function connectionsOf(hv: Hypervisor): ReadonlyMap<string, Connection> {
  return entry(hv).conns;
}

function saver<S>(dev: { saveState(): S; restoreState(s: S): void }): () => void {
  const s = dev.saveState();
  return () => dev.restoreState(s);
}

registerSnapshotService({
  name: 'backend-connections',
  save: (hv) => {
    const e = tables.get(hv);
    if (!e) return undefined;
    return {
      // each back end takes back exactly the state type it saved (BlkbackState, NetbackState)
      conns: [...e.conns].map(([key, c]) => ({ key, c, restore: saver<unknown>(c.device as { saveState(): unknown; restoreState(s: unknown): void }) })),
      // the services keep no state of their own (xenstored is saved apart; a console ring is the page)
      rings: new Map(e.rings),
      dom0: structuredClone(e.dom0),
    };
  },
  restore: (hv, s) => {
    const e = tables.get(hv);
    if (!e) return;
    const saved = s as { conns: { key: string; c: Connection; restore: () => void }[]; rings: Map<string, RingService>; dom0: Dom0Work } | undefined;
    e.conns.clear();
    for (const { key, c, restore } of saved?.conns ?? []) {
      restore();
      e.conns.set(key, c);
    }
    e.rings = new Map(saved?.rings ?? []);
    e.dom0 = structuredClone(saved?.dom0 ?? { sends: [], inflight: false });
  },
});

/** Whether dom0 runs (a toolstack with dom0 injects its work): back ends then run as dom0. */
function dom0Of(hv: Hypervisor): Domain | undefined {
  const d0 = hv.domains.get(0);
  return hv.injector && d0?.alive ? d0 : undefined;
}

/**
 * Connect a back end on the front end's offered port `fePort` of `fe`. `make(notify)` builds
 * it; `notify` raises the front end's port (as dom0's send when dom0 runs it). Returns the
 * connection, or the back end's complaint when it cannot connect.
 */
export function connect(
  hv: Hypervisor,
  fe: Domain,
  spec: { kind: Connection['kind']; devid: number; fePort: number },
  make: (notify: () => void) => { device: Blkback | Netback; serve(): number; connect(): string | undefined },
): Connection | string {
  const key = connectionKey(spec.kind, fe.id, spec.devid);
  const d0 = dom0Of(hv);
  const e = entry(hv);
  let dom0Port = 0;
  const notify = (): void => {
    if (!fe.alive) return;
    if (dom0Port) {
      if (!e.dom0.sends.includes(dom0Port)) e.dom0.sends.push(dom0Port);
    } else hv.events.setPending(fe, spec.fePort);
  };
  const b = make(notify);
  const why = b.connect();
  if (why !== undefined) return why;
  if (d0) {
    dom0Port = bindAsDom0(hv, d0, fe, spec.fePort, true);
  } else {
    hv.portHooks.set(`${fe.id}:${spec.fePort}`, () => void b.serve());
  }
  const c: Connection = { kind: spec.kind, feDomid: fe.id, devid: spec.devid, fePort: spec.fePort, dom0Port, device: b.device, serve: () => b.serve() };
  e.conns.set(key, c);
  return c;
}

/** EVTCHNOP_bind_interdomain as dom0: the front end's offered port becomes the channel's far end. */
function bindAsDom0(hv: Hypervisor, d0: Domain, fe: Domain, fePort: number, raise: boolean): number {
  const port = hv.events.alloc(d0);
  Object.assign(d0.evtchns[port], { state: 'interdomain', vcpu: 0, remoteDom: fe.id, remotePort: fePort, virq: 0 });
  Object.assign(fe.evtchns[fePort], { state: 'interdomain', remoteDom: 0, remotePort: port });
  // requests queued before the binding are served when dom0 runs (Xen raises a new binding)
  if (raise) hv.events.setPending(d0, port);
  return port;
}

/** dom0's end of a channel it bound, closed: its pending notifications go with it. */
function unbindAsDom0(hv: Hypervisor, e: Table, port: number): void {
  e.dom0.sends = e.dom0.sends.filter((p) => p !== port);
  const d0 = hv.domains.get(0);
  // still bound, or left unbound by the front end closing its end first: dom0's port is ours
  const st = d0?.evtchns[port]?.state;
  if (d0 && (st === 'interdomain' || st === 'unbound')) hv.events.close(d0, port);
}

/**
 * Serve `fe`'s ring of `kind` on its port `fePort`: as dom0 when dom0 runs (dom0 binds the port
 * now, as xenstored and xenconsoled do when a domain is introduced), else in the sender's
 * hypercall (a port hook).
 */
export function startRingService(hv: Hypervisor, fe: Domain, spec: { kind: RingService['kind']; fePort: number }, work: { hasWork(): boolean; serve(): number }): void {
  const d0 = dom0Of(hv);
  if (!d0 || fe.evtchns[spec.fePort]?.state !== 'unbound') {
    hv.portHooks.set(`${fe.id}:${spec.fePort}`, () => void work.serve());
    return;
  }
  // bound as the domain is built, before it runs: nothing can be queued yet
  const dom0Port = bindAsDom0(hv, d0, fe, spec.fePort, false);
  entry(hv).rings.set(ringKey(spec.kind, fe.id), { kind: spec.kind, feDomid: fe.id, fePort: spec.fePort, dom0Port, hasWork: work.hasWork, serve: work.serve });
}

/** dom0's service of `domid`'s ring of `kind`, if dom0 serves it. */
export function ringServiceOf(hv: Hypervisor, kind: RingService['kind'], domid: number): RingService | undefined {
  return tables.get(hv)?.rings.get(ringKey(kind, domid));
}

/** Stop serving `domid`'s ring of `kind` (its domain gone), unbinding dom0's port. */
export function stopRingService(hv: Hypervisor, kind: RingService['kind'], domid: number, fePort: number): void {
  const e = entry(hv);
  const s = e.rings.get(ringKey(kind, domid));
  if (!s) {
    hv.portHooks.delete(`${domid}:${fePort}`);
    return;
  }
  e.rings.delete(ringKey(kind, domid));
  unbindAsDom0(hv, e, s.dom0Port);
}

/** A ring service telling its domain there is something in the ring: dom0's own send when dom0 serves it. */
export function notifyFrontEnd(hv: Hypervisor, fe: Domain, kind: RingService['kind'], fePort: number): void {
  if (!fe.alive) return;
  const e = entry(hv);
  const s = e.rings.get(ringKey(kind, fe.id));
  if (!s) {
    hv.events.setPending(fe, fePort);
    return;
  }
  if (!e.dom0.sends.includes(s.dom0Port)) e.dom0.sends.push(s.dom0Port);
  // outside dom0's own work (console input, a watch fired by a teardown) dom0 wakes to send it
  const v0 = hv.domains.get(0)?.vcpus[0];
  if (v0?.blocked) hv.wakeFromBlock(v0);
}

/** Disconnect the back end of `key` (front end closing, or its domain gone), unbinding dom0's port. */
export function disconnect(hv: Hypervisor, key: string): void {
  const e = entry(hv);
  const c = e.conns.get(key);
  if (!c) return;
  c.device.disconnect();
  e.conns.delete(key);
  if (c.dom0Port) unbindAsDom0(hv, e, c.dom0Port);
  else hv.portHooks.delete(`${c.feDomid}:${c.fePort}`);
}

/**
 * dom0's back-end work for the toolstack's injector: serve the rings with requests, then return
 * the next notification as dom0's EVTCHNOP_send (its evtchn_send at `buffer` in dom0's memory).
 */
export function dom0BackendWork(hv: Hypervisor, buffer: (v: Vcpu) => number): { next(v: Vcpu): { nr: number; args: number[] } | null; done(result: number): boolean; hasWork(): boolean } {
  return {
    next(v) {
      const e = tables.get(hv);
      if (!e || e.dom0.inflight) return null;
      let served = 0;
      for (const r of e.rings.values()) if (r.hasWork()) served += r.serve();
      for (const c of e.conns.values()) if (c.dom0Port && c.device.hasWork()) served += c.serve();
      // the hypervisor's own accounting: time passes on dom0's pCPU as its vCPU does the work
      hv.pcpus[v.pcpu].used += served * BACKEND_REQUEST_COST;
      const port = e.dom0.sends[0];
      if (port === undefined) return null;
      const at = buffer(v);
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, port, true);
      hv.memOf(v).write(at, b);
      e.dom0.inflight = true;
      return { nr: HYPERCALL.event_channel_op, args: [EVTCHNOP.send, at, 0, 0, 0] };
    },
    /** the result of our send; false when the hypercall was not ours */
    done() {
      const e = tables.get(hv);
      if (!e?.dom0.inflight) return false;
      e.dom0.inflight = false;
      e.dom0.sends.shift();
      return true;
    },
    hasWork() {
      const e = tables.get(hv);
      if (!e) return false;
      if (e.dom0.sends.length) return true;
      for (const r of e.rings.values()) if (r.hasWork()) return true;
      for (const c of e.conns.values()) if (c.dom0Port && c.device.hasWork()) return true;
      return false;
    },
  };
}
