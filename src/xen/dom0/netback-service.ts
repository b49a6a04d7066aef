/**
 * Network devices of a domain (libxl's vif setup and netback's xenbus side): for each
 * `vif = [...]` entry the toolstack writes the vif front and back directories (mac, bridge);
 * netback goes InitWait, and when the front end has published tx-ring-ref, rx-ring-ref and
 * event-channel (Initialised or Connected) it maps both rings, joins the vif to its bridge
 * (`bridge=`, default xenbr0) and goes Connected. The front end's kicks make it serve both rings.
 */
import { XenbusState } from '../abi';
import type { Domain } from '../domain';
import type { Hypervisor } from '../hypervisor';
import { backendGrantTables } from '../grant/xen-env';
import { Bridge, Netback } from './netback';
import { XsClient, addDevice, onDomainGone, readState, switchState, watchAsDom0, xenstoreOf } from './xenstore';

const bridges = new WeakMap<Hypervisor, Map<string, Bridge>>();

/** The named bridge of a hypervisor's dom0 (made on first use). */
export function bridgeOf(hv: Hypervisor, name: string): Bridge {
  let m = bridges.get(hv);
  if (!m) bridges.set(hv, (m = new Map()));
  let b = m.get(name);
  if (!b) m.set(name, (b = new Bridge(name)));
  return b;
}

/** Running vifs, by "domid/devid", for the debugger and tests. */
export const netbacks = new WeakMap<Hypervisor, Map<string, Netback>>();

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
    let nb: Netback | undefined;
    let port = 0;
    const unwatch = watchAsDom0(hv, `${fe}/state`, () => {
      const st = readState(xs, fe);
      if ((st === XenbusState.Initialised || st === XenbusState.Connected) && !nb) {
        const tx = Number(xs.tryRead(`${fe}/tx-ring-ref`));
        const rx = Number(xs.tryRead(`${fe}/rx-ring-ref`));
        port = Number(xs.tryRead(`${fe}/event-channel`));
        const ch = d.evtchns[port];
        if (!Number.isInteger(tx) || !Number.isInteger(rx) || !ch || ch.state !== 'unbound' || ch.remoteDom !== 0) {
          xs.write(`${be}/hotplug-error`, 'bad ring references or event-channel');
          return;
        }
        const n = new Netback({
          beDomid: 0,
          feDomid: d.id,
          txRef: tx,
          rxRef: rx,
          grants: backendGrantTables(hv),
          frame: (mfn) => hv.machine.writable(mfn),
          notify: () => {
            if (d.alive) hv.events.setPending(d, port);
          },
          bridge: bridgeOf(hv, bridge),
          name: `vif${d.id}.${devid}`,
        });
        if (n.connect() !== 0) {
          xs.write(`${be}/hotplug-error`, n.broken ?? 'cannot map the rings');
          return;
        }
        nb = n;
        let map = netbacks.get(hv);
        if (!map) netbacks.set(hv, (map = new Map()));
        map.set(`${d.id}/${devid}`, n);
        hv.portHooks.set(`${d.id}:${port}`, () => n.kick());
        switchState(xs, be, XenbusState.Connected);
      } else if (st === XenbusState.Closing && nb) {
        nb.disconnect();
        nb = undefined;
        switchState(xs, be, XenbusState.Closing);
        switchState(xs, be, XenbusState.Closed);
      }
    });
    onDomainGone(hv, d.id, () => {
      unwatch();
      nb?.disconnect();
      hv.portHooks.delete(`${d.id}:${port}`);
      netbacks.get(hv)?.delete(`${d.id}/${devid}`);
      xs.rm(`/local/domain/0/backend/vif/${d.id}`);
    });
  });
}
