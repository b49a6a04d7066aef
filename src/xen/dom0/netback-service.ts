/**
 * Network devices of a domain (libxl's vif setup and netback's xenbus side): for each
 * `vif = [...]` entry the toolstack writes the vif front and back directories (mac, bridge);
 * netback goes InitWait, and when the front end has published tx-ring-ref, rx-ring-ref and
 * event-channel (Initialised or Connected) it maps both rings, joins the vif to its bridge
 * (`bridge=`, default xenbr0) and goes Connected. The front end's kicks make it serve both rings (as dom0: backends.ts).
 */
import { XenbusState } from '../abi';
import type { Domain } from '../domain';
import type { Hypervisor } from '../hypervisor';
import { backendGrantTables } from '../grant/xen-env';
import { Bridge, type BridgeState, Netback } from './netback';
import { connect, connectionKey, connectionsOf, disconnect } from './backends';
import { watchFrontend } from './backend-watch';
import { registerSnapshotService } from '../snapshot-services';
import { XsClient, addDevice, onDomainGone, switchState, xenstoreOf } from './xenstore';

const bridges = new WeakMap<Hypervisor, Map<string, Bridge>>();

// A bridge's ports are netbacks (restored in place by backends.ts) or dom0 endpoints, by reference.
registerSnapshotService({
  name: 'bridges',
  save: (hv) => {
    const m = bridges.get(hv);
    return m && [...m.values()].map((b) => ({ b, state: b.saveState() }));
  },
  restore: (hv, s) => {
    const m = bridges.get(hv);
    if (!m) return;
    m.clear();
    for (const { b, state } of (s as { b: Bridge; state: BridgeState }[] | undefined) ?? []) {
      b.restoreState(state);
      m.set(b.name, b);
    }
  },
});

/** The named bridge of a hypervisor's dom0 (made on first use). */
export function bridgeOf(hv: Hypervisor, name: string): Bridge {
  let m = bridges.get(hv);
  if (!m) bridges.set(hv, (m = new Map()));
  let b = m.get(name);
  if (!b) m.set(name, (b = new Bridge(name)));
  return b;
}

/** Running vifs, by "domid/devid", for the debugger and tests. */
export function netbacksOf(hv: Hypervisor): Map<string, Netback> {
  const out = new Map<string, Netback>();
  for (const c of connectionsOf(hv).values()) if (c.kind === 'vif') out.set(`${c.feDomid}/${c.devid}`, c.device as Netback);
  return out;
}

/** xl's default MAC for vif `i` of domain `domid` when none is given (00:16:3e is Xen's OUI). */
export function defaultMac(domid: number, i: number): string {
  return ['00', '16', '3e', (domid >> 8) & 0xff, domid & 0xff, i & 0xff].map((x) => (typeof x === 'number' ? x.toString(16).padStart(2, '0') : x)).join(':');
}

export function attachVifs(hv: Hypervisor, d: Domain): void {
  (d.config?.vifs ?? []).forEach((vif, devid) => {
    const xs = new XsClient(xenstoreOf(hv), 0);
    const mac = vif.mac ?? defaultMac(d.id, devid);
    const bridge = vif.bridge ?? 'xenbr0';
    const { fe, be } = addDevice(xs, {
      type: 'vif',
      feDomid: d.id,
      beDomid: 0,
      devid,
      backend: { mac, bridge, handle: String(devid), 'feature-rx-copy': '1', 'feature-sg': '1' },
      frontend: { mac, handle: String(devid) },
    });
    switchState(xs, be, XenbusState.InitWait);
    const key = connectionKey('vif', d.id, devid);
    const unwatch = watchFrontend(hv, xs, { fe, be, key }, () => {
      const tx = Number(xs.tryRead(`${fe}/tx-ring-ref`));
      const rx = Number(xs.tryRead(`${fe}/rx-ring-ref`));
      const port = Number(xs.tryRead(`${fe}/event-channel`));
      const ch = d.evtchns[port];
      if (!Number.isInteger(tx) || !Number.isInteger(rx) || !ch || ch.state !== 'unbound' || ch.remoteDom !== 0) return 'bad ring references or event-channel';
      return connect(hv, d, { kind: 'vif', devid, fePort: port }, (notify) => {
        const n = new Netback({
          beDomid: 0,
          feDomid: d.id,
          txRef: tx,
          rxRef: rx,
          grants: backendGrantTables(hv),
          frame: (mfn) => hv.machine.writable(mfn),
          notify,
          bridge: bridgeOf(hv, bridge),
          name: `vif${d.id}.${devid}`,
        });
        return { device: n, serve: () => n.kick(), connect: () => (n.connect() === 0 ? undefined : n.broken ?? 'cannot map the rings') };
      });
    });
    onDomainGone(hv, d.id, () => {
      unwatch();
      disconnect(hv, key);
      xs.rm(`/local/domain/0/backend/vif/${d.id}`);
    });
  });
}
