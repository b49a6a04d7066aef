/**
 * What time-travel snapshots really hold. Machine frames and page information are saved as
 * copy-on-write versions (versions.ts, by the machine and the memory manager), so a frame or a
 * page-information record unchanged between snapshots is one object shared by all of them;
 * these functions count the distinct ones against what full copies would be.
 *
 * This reads the memory and page-information parts of snapshot.ts's snapshot shape; it is the
 * one place outside snapshot.ts that knows them.
 */
import type { MachineSnapshot } from '../inspect';
import type { MemoryVersion } from '../machine';
import type { MmState } from '../mm';
import { chunkBytes, distinctEntries, entriesOf, tableBytes } from '../versions';

interface WithMemory {
  memory?: MemoryVersion;
  mm?: MmState;
}

const memoryOf = (s: MachineSnapshot) => (s as MachineSnapshot & WithMemory).memory;
const mmOf = (s: MachineSnapshot) => (s as MachineSnapshot & WithMemory).mm;

/** A rough size of one saved page-information record (7 fields on the host's heap). */
const INFO_RECORD_BYTES = 64;

/** Distinct frame bytes held by a set of snapshots. */
export function distinctFrameBytes(snaps: readonly MachineSnapshot[]): number {
  const versions = snaps.map(memoryOf).filter((v): v is MemoryVersion => !!v);
  let n = 0;
  for (const f of distinctEntries(versions).entries) n += f.byteLength;
  return n;
}

/** Frame bytes the snapshots would hold as full copies. */
export function fullCopyFrameBytes(snaps: readonly MachineSnapshot[]): number {
  let n = 0;
  for (const s of snaps) {
    const v = memoryOf(s);
    if (v) for (const f of entriesOf(v)) n += f.byteLength;
  }
  return n;
}

/**
 * Everything the copy-on-write parts of the snapshots hold: distinct frame bytes, distinct page
 * information records, and the chunk tables that index both.
 */
export function snapshotBytes(snaps: readonly MachineSnapshot[]): { frames: number; info: number; tables: number; total: number } {
  const mem = snaps.map(memoryOf).filter((v): v is MemoryVersion => !!v);
  const mms = snaps.map(mmOf).filter((v): v is MmState => !!v);
  const m = distinctEntries(mem);
  const i = distinctEntries(mms.map((s) => s.info));
  let frames = 0;
  for (const f of m.entries) frames += f.byteLength;
  const info = i.entries.size * INFO_RECORD_BYTES + mms.reduce((n, s) => n + s.freeList.length * 8, 0);
  const tables = chunkBytes(m.chunks + i.chunks) + mem.reduce((n, v) => n + tableBytes(v), 0) + mms.reduce((n, s) => n + tableBytes(s.info), 0);
  return { frames, info, tables, total: frames + info + tables };
}
