/**
 * Snapshot/restore of the whole machine in process: machine memory, page information, every
 * domain's and vCPU's hypervisor state, the CPUs, the scheduler and the clock. Machine frames
 * and page information are copy-on-write versions (versions.ts): a snapshot copies only what
 * was written since the previous snapshot or restore, and a restore rewrites only what differs.
 * The rest is a deep copy. Domains created after the snapshot disappear on restore; domains are
 * never removed from the hypervisor's table (destroyed ones stay as such), so every domain of
 * the snapshot still has its object to restore into.
 *
 * State kept beside the hypervisor is saved through snapshot-services.ts: grant tables
 * (grant/xen-env.ts), xenstored with its connections and dom0's watch callbacks, the teardown
 * handlers (dom0/xenstore/service.ts), HVM domains with their device models (hvm/snapshot.ts),
 * the block and network back ends' connections and dom0's pending notifications
 * (dom0/backends.ts), the bridges (dom0/netback-service.ts) and the disk image files
 * (dom0/blkback-service.ts). The console back end keeps no state of its own (its
 * ring indices are guest memory). Port hooks are kept by reference.
 * Disk files: blkback writes a real file, and the file always holds the simulated disk at the
 * machine's current point. From the first snapshot on, each image file keeps a journal (the
 * sectors' content before they were first written, and the latest data of each written sector);
 * a snapshot keeps a copy of the journal's map (sector buffers shared, never copied), and a
 * restore writes every sector that differs back to the snapshot's content and fsyncs before the
 * machine runs again (dom0/file-disk.ts). So nothing acknowledged in the restored past is lost,
 * and continuing rewrites the same data: after restore and continue the file holds exactly what
 * the original run left. Any snapshot of the run restores so (the journal's base is common to
 * all); the file is rewritten by the restore itself, not on a later flush.
 */
import type { Hypervisor } from './hypervisor';
import type { Toolstack } from './dom0/toolstack';
import type { MachineSnapshot } from './inspect';
import type { CpuState } from '../cpu/state';
import type { MmState } from './mm';
import { Domain, Vcpu } from './domain';
import { restoreServices, saveServices } from './snapshot-services';
import { restoreFields, saveFields } from './snapshot-fields';
// the services that register with snapshot-services (loaded here so none is missed)
import './grant/xen-env';
import './dom0/xenstore/service';
import './hvm/snapshot';
import './dom0/blkback-service';
import './dom0/netback-service';

type VcpuRef = [number, number] | null;

interface SavedVcpu {
  fields: Record<string, unknown>;
  cpu: CpuState;
}

interface SavedDomain {
  id: number;
  fields: Record<string, unknown>;
  vcpus: SavedVcpu[];
}

interface FullSnapshot extends MachineSnapshot {
  readonly memory: ReturnType<Hypervisor['machine']['saveMemory']>;
  readonly mm: MmState;
  readonly scalars: { roundStart: number; cursor: number; instructions: number; nextTick: number; nextDomid: number };
  readonly pcpus: { current: VcpuRef; used: number }[];
  readonly sched: { runq: VcpuRef[][]; ticks: number; lastBurn: number[] };
  readonly domains: SavedDomain[];
  /** services beside the hypervisor, by snapshot-services name */
  readonly services: Map<string, unknown>;
  /** the back ends' port hooks: closures over objects that are restored in place, kept by reference */
  readonly portHooks: Map<string, () => void>;
  readonly toolstack: { queue: Toolstack['queue']; inflight: boolean; created: Record<number, number> };
}

/** Fields that are references to shared, immutable things (not state). */
const DOMAIN_REFS = new Set(['vcpus', 'config', 'image']);
const VCPU_REFS = new Set(['domain']);

const fieldsOf = saveFields;

const ref = (v: Vcpu | null): VcpuRef => (v ? [v.domain.id, v.id] : null);

export function takeSnapshot(hv: Hypervisor, ts: Toolstack): MachineSnapshot {
  const snap: FullSnapshot = {
    timeNs: hv.roundStart,
    instructions: hv.instructions,
    memory: hv.machine.saveMemory(),
    mm: hv.mm.saveState(),
    scalars: { roundStart: hv.roundStart, cursor: hv.cursor, instructions: hv.instructions, nextTick: hv.nextTick, nextDomid: hv.nextDomid },
    pcpus: hv.pcpus.map((p) => ({ current: ref(p.current), used: p.used })),
    sched: { runq: hv.sched.runq.map((q) => q.map(ref)), ticks: hv.sched.ticks, lastBurn: [...hv.sched.lastBurn] },
    services: saveServices(hv),
    portHooks: new Map(hv.portHooks),
    toolstack: structuredClone({ queue: ts.queue, inflight: ts.inflight, created: ts.created }),
    domains: [...hv.domains.values()].map((d) => ({
      id: d.id,
      fields: fieldsOf(d, DOMAIN_REFS),
      vcpus: d.vcpus.map((v) => ({ fields: fieldsOf(v, VCPU_REFS), cpu: hv.cpuOf(v).snapshot() })),
    })),
  };
  return snap;
}

export function restoreSnapshot(hv: Hypervisor, ts: Toolstack, s: MachineSnapshot): void {
  const snap = s as FullSnapshot;
  if (!snap.memory || !snap.domains) throw new TypeError('not a snapshot of this machine');
  hv.machine.restoreMemory(snap.memory);
  hv.stoppedAtExit.clear();
  hv.mm.restoreState(snap.mm);
  Object.assign(hv, snap.scalars);
  // domains: keep the snapshot's, in its order; forget later ones
  const keep = new Map<number, Domain>();
  for (const sd of snap.domains) {
    const d = hv.domains.get(sd.id);
    if (!d) throw new Error(`internal: domain ${sd.id} of the snapshot is gone`);
    Object.assign(d, restoreFields(sd.fields));
    sd.vcpus.forEach((sv, i) => {
      const v = d.vcpus[i];
      Object.assign(v, restoreFields(sv.fields));
      hv.cpuOf(v).restore(sv.cpu);
    });
    keep.set(d.id, d);
  }
  for (const [id, d] of hv.domains) {
    if (keep.has(id)) continue;
    for (const v of d.vcpus) {
      hv.cpus.delete(v);
      hv.platforms.delete(v);
    }
  }
  hv.portHooks.clear();
  for (const [k, f] of snap.portHooks) hv.portHooks.set(k, f);
  hv.domains.clear();
  for (const [id, d] of keep) hv.domains.set(id, d);
  const vcpuOf = (r: VcpuRef): Vcpu | null => (r ? hv.domains.get(r[0])!.vcpus[r[1]] : null);
  snap.pcpus.forEach((p, i) => {
    hv.pcpus[i].current = vcpuOf(p.current);
    hv.pcpus[i].used = p.used;
  });
  hv.sched.runq = snap.sched.runq.map((q) => q.map((r) => vcpuOf(r)!));
  hv.sched.ticks = snap.sched.ticks;
  hv.sched.lastBurn = [...snap.sched.lastBurn];
  Object.assign(ts, structuredClone(snap.toolstack));
  restoreServices(hv, snap.services);
}
