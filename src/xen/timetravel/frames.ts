/**
 * Copy-on-write sharing of machine frames between time-travel snapshots. A snapshot's memory is
 * a map mfn → frame bytes; a frame whose bytes did not change since the previous snapshot is
 * the previous snapshot's very array, so each snapshot costs only the frames written since.
 * Saved frames are never written (Machine.restoreMemory copies out of them), so sharing is safe.
 *
 * This reads the memory part of snapshot.ts's snapshot shape (`memory.frames`); it is the one
 * place that knows it, so the machine's frame store itself stays untouched.
 */
import type { MachineSnapshot } from '../inspect';

interface WithMemory {
  memory?: { frames?: Map<number, Uint8Array> };
}

function framesOf(s: MachineSnapshot): Map<number, Uint8Array> | undefined {
  return (s as MachineSnapshot & WithMemory).memory?.frames;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  // compare 32 bits at a time: frames are 4 KiB aligned buffers
  if (a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0 && a.length % 4 === 0) {
    const x = new Uint32Array(a.buffer, a.byteOffset, a.length / 4);
    const y = new Uint32Array(b.buffer, b.byteOffset, b.length / 4);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  }
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Makes `next` share every unchanged frame with `prev` (in place); returns how many frames of
 * `next` are its own (written since `prev`).
 */
export function shareFrames(prev: MachineSnapshot | undefined, next: MachineSnapshot): { own: number; shared: number } {
  const nf = framesOf(next);
  if (!nf) return { own: 0, shared: 0 };
  const pf = prev ? framesOf(prev) : undefined;
  let own = 0;
  let shared = 0;
  for (const [mfn, bytes] of nf) {
    const old = pf?.get(mfn);
    if (old && old !== bytes && equal(old, bytes)) {
      nf.set(mfn, old);
      shared++;
    } else own++;
  }
  return { own, shared };
}

/** Distinct frame bytes held by a set of snapshots (what they really cost). */
export function distinctFrameBytes(snaps: readonly MachineSnapshot[]): number {
  const seen = new Set<Uint8Array>();
  for (const s of snaps) for (const f of framesOf(s)?.values() ?? []) seen.add(f);
  let n = 0;
  for (const f of seen) n += f.byteLength;
  return n;
}

/** Frame bytes the snapshots would hold as full copies. */
export function fullCopyFrameBytes(snaps: readonly MachineSnapshot[]): number {
  let n = 0;
  for (const s of snaps) for (const f of framesOf(s)?.values() ?? []) n += f.byteLength;
  return n;
}
