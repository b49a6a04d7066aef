/**
 * Switching a grant table between v1 and v2 (gnttab_set_version), as Xen does it: only while no
 * grant beyond the 8 reserved ones (GNTTAB_NR_RESERVED_ENTRIES, the toolstack's console and
 * xenstore grants) is pinned; v1→v2 adds the status frames, v2→v1 gives them back (refused
 * while the guest still maps one); every other entry is wiped and the reserved ones are carried
 * over in the new layout, their GTF_reading/GTF_writing moving between the flags and the status
 * words.
 */
import { GTF, XEN_CONST } from '../abi';
import type { GrantEnv } from './env';
import { GrantEntry, GrantTable, PAGE_SIZE, decodeEntry, encodeEntry, grantToStatusFrames, pinned } from './table';

/** GNTTAB_NR_RESERVED_ENTRIES */
export const NR_RESERVED_ENTRIES = XEN_CONST.GNTTAB_NR_RESERVED_ENTRIES;

/** What set_version answers: an errno name when refused, and the version now in force. */
export interface SetVersionResult {
  errno?: 'EINVAL' | 'ENOSYS' | 'EBUSY' | 'ERANGE';
  why?: string;
  version: 1 | 2;
}

const STATUS_BITS = GTF.reading | GTF.writing;

function view(env: GrantEnv, mfn: number): DataView {
  const f = env.frame(mfn);
  return new DataView(f.buffer, f.byteOffset, PAGE_SIZE);
}

function entry(env: GrantEnv, t: GrantTable, ref: number): GrantEntry {
  const { mfn, offset } = t.where(ref);
  return decodeEntry(view(env, mfn), offset, t.version);
}

function statusWord(env: GrantEnv, t: GrantTable, ref: number): DataView & { at: number } {
  const { mfn, offset } = t.statusWhere(ref);
  return Object.assign(view(env, mfn), { at: offset });
}

/** The reserved entries as v1 records (flags carrying the status bits), or a refusal. */
function reservedAsV1(env: GrantEnv, t: GrantTable): GrantEntry[] | SetVersionResult {
  const out: GrantEntry[] = [];
  for (let ref = 0; ref < NR_RESERVED_ENTRIES; ref++) {
    const e = entry(env, t, ref);
    if (t.version === 1) {
      out.push(e);
      continue;
    }
    const type = e.flags & GTF.type_mask;
    if (type === GTF.transitive || (type === GTF.permit_access && e.frame >= 2 ** 32)) {
      return { errno: 'ERANGE', why: `reserved grant ${ref} cannot be represented in v1`, version: t.version };
    }
    const s = statusWord(env, t, ref);
    out.push(type === GTF.permit_access ? { flags: e.flags | s.getUint16(s.at, true), domid: e.domid, frame: e.frame } : { flags: 0, domid: 0, frame: 0 });
  }
  return out;
}

/** gnttab_populate_status_frames: status frames for every entry of the shared frames. */
export function populateStatusFrames(env: GrantEnv, t: GrantTable): void {
  const want = grantToStatusFrames(t.frames.length);
  while (t.statusFrames.length < want) t.statusFrames.push(env.allocSharedFrame(t.domid));
}

export function setGrantVersion(env: GrantEnv, t: GrantTable, version: number): SetVersionResult {
  if (version !== 1 && version !== 2) return { errno: 'EINVAL', why: `grant table version ${version}`, version: t.version };
  if (version === 2 && t.maxVersion === 1) return { errno: 'ENOSYS', why: `d${t.domid} is limited to grant table v1 (max_grant_version)`, version: t.version };
  if (version === t.version) return { version };
  for (const [ref, a] of t.active) {
    if (ref >= NR_RESERVED_ENTRIES && pinned(a)) {
      return { errno: 'EBUSY', why: `grant ${ref} of d${t.domid} is still in use; cannot change version from ${t.version} to ${version}`, version: t.version };
    }
  }
  const reserved = reservedAsV1(env, t);
  if (!Array.isArray(reserved)) return reserved;
  if (version === 2) populateStatusFrames(env, t);
  else {
    const busy = t.statusFrames.find((mfn) => env.sharedFrameBusy?.(t.domid, mfn));
    if (busy !== undefined) return { errno: 'EBUSY', why: `status frame 0x${busy.toString(16)} of d${t.domid} is still mapped`, version: t.version };
    for (const mfn of t.statusFrames.splice(0)) env.freeSharedFrame(mfn);
  }
  for (const mfn of t.frames) env.frame(mfn).fill(0);
  t.version = version;
  reserved.forEach((e, ref) => {
    const { mfn, offset } = t.where(ref);
    if (version === 1) return encodeEntry(view(env, mfn), offset, 1, e);
    const s = statusWord(env, t, ref);
    s.setUint16(s.at, e.flags & STATUS_BITS, true);
    encodeEntry(view(env, mfn), offset, 2, { flags: e.flags & ~STATUS_BITS, domid: e.domid, frame: e.frame });
  });
  return { version };
}
