/**
 * Block devices of a domain, as libxl and the blkback driver set them up together: for each
 * `disk = [...]` entry the toolstack writes the vbd front and back directories; blkback (this
 * module's watch) goes to InitWait, and when the front end says Initialised (ring-ref and
 * event-channel published) maps the ring, binds the front end's port and goes Connected. The
 * front end's notifications on that port make blkback serve the ring.
 */
import { VDISK, XenbusState } from '../abi';
import type { DiskSpec } from '../config';
import type { Domain } from '../domain';
import type { Hypervisor } from '../hypervisor';
import { backendGrantTables } from '../grant/xen-env';
import { Blkback, FileDisk, SECTOR_SIZE } from './blkback';
import { XsClient, addDevice, onDomainGone, readState, switchState, watchAsDom0, xenstoreOf } from './xenstore';

/** Linux's xen-blkfront device numbers: xvdX is major 202, 16 minors per disk; hdX 3/22, sdX 8. */
export function vdevNumber(vdev: string): number | undefined {
  const m = /^(xvd|hd|sd)([a-z]+)(\d*)$/.exec(vdev);
  if (!m) return undefined;
  let disk = 0;
  for (const ch of m[2]) disk = disk * 26 + (ch.charCodeAt(0) - 96);
  disk -= 1;
  const part = m[3] ? Number(m[3]) : 0;
  if (m[1] === 'xvd') return disk < 16 && part < 16 ? (202 << 8) | (disk << 4) | part : (1 << 28) | (disk << 8) | part;
  if (m[1] === 'sd') return disk < 16 && part < 16 ? (8 << 8) | (disk << 4) | part : undefined;
  return disk < 2 && part < 64 ? (3 << 8) | (disk << 6) | part : disk < 4 && part < 64 ? (22 << 8) | ((disk - 2) << 6) | part : undefined;
}

/** Running back ends, for the debugger and tests. */
export const blkbacks = new WeakMap<Hypervisor, Map<string, Blkback>>();

export function attachDisks(hv: Hypervisor, d: Domain): void {
  for (const disk of d.config?.disks ?? []) attachDisk(hv, d, disk);
}

function attachDisk(hv: Hypervisor, d: Domain, disk: DiskSpec): void {
  const devid = vdevNumber(disk.vdev);
  if (devid === undefined || !disk.target || disk.devtype !== 'disk') return;
  const file = new FileDisk(disk.target, disk.access === 'ro');
  const xs = new XsClient(xenstoreOf(hv), 0);
  const { fe, be } = addDevice(xs, {
    type: 'vbd',
    feDomid: d.id,
    beDomid: 0,
    devid,
    backend: {
      params: disk.target,
      type: 'file',
      mode: disk.access === 'ro' ? 'r' : 'w',
      dev: disk.vdev,
      'sector-size': String(SECTOR_SIZE),
      sectors: String(file.sectors),
      info: String(disk.access === 'ro' ? VDISK.READONLY : 0),
      'feature-flush-cache': '1',
      'feature-barrier': '1',
    },
    frontend: { 'virtual-device': String(devid), 'device-type': 'disk' },
  });
  switchState(xs, be, XenbusState.InitWait);
  let blk: Blkback | undefined;
  let port = 0;
  const key = `${d.id}/${devid}`;
  const unwatch = watchAsDom0(hv, `${fe}/state`, () => {
    const st = readState(xs, fe);
    if ((st === XenbusState.Initialised || st === XenbusState.Connected) && !blk) {
      const ringRef = Number(xs.tryRead(`${fe}/ring-ref`));
      port = Number(xs.tryRead(`${fe}/event-channel`));
      const ch = d.evtchns[port];
      if (!Number.isInteger(ringRef) || !ch || ch.state !== 'unbound' || ch.remoteDom !== 0) {
        xs.write(`${be}/hotplug-error`, 'bad ring-ref or event-channel');
        return;
      }
      const b = new Blkback({
        beDomid: 0,
        feDomid: d.id,
        ringRef,
        disk: file,
        grants: backendGrantTables(hv),
        frame: (mfn) => hv.machine.writable(mfn),
        notify: () => {
          if (d.alive) hv.events.setPending(d, port);
        },
      });
      if (b.connect() !== 0) {
        xs.write(`${be}/hotplug-error`, b.broken ?? 'cannot map the ring');
        return;
      }
      blk = b;
      let map = blkbacks.get(hv);
      if (!map) blkbacks.set(hv, (map = new Map()));
      map.set(key, b);
      hv.portHooks.set(`${d.id}:${port}`, () => {
        b.process();
      });
      switchState(xs, be, XenbusState.Connected);
    } else if (st === XenbusState.Closing && blk) {
      blk.disconnect();
      hv.portHooks.delete(`${d.id}:${port}`);
      blk = undefined;
      switchState(xs, be, XenbusState.Closing);
      switchState(xs, be, XenbusState.Closed);
    }
  });
  onDomainGone(hv, d.id, () => {
    unwatch();
    if (blk) blk.disconnect();
    hv.portHooks.delete(`${d.id}:${port}`);
    blkbacks.get(hv)?.delete(key);
    file.close();
    xs.rm(`/local/domain/0/backend/vbd/${d.id}`);
  });
}
