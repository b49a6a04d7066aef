// The "grant table" rows of a domain for the debugger's Xen scope and the Domains view:
// the entries it grants (read from its table frames without writing them) and the grants it
// has mapped from others (its maptrack).
import { GTF, flagNames } from '../abi';
import type { Hypervisor } from '../hypervisor';
import type { XenStateNode } from '../inspect';
import { existingGrantTables } from './xen-env';
import { GrantEntry, GrantTable, decodeEntry } from './table';

/** The entry and its status bits as the guest sees them, read without creating any frame. */
function peekEntry(hv: Hypervisor, t: GrantTable, ref: number): (GrantEntry & { status: number }) | undefined {
  const view = (mfn: number | undefined) => {
    const bytes = mfn === undefined ? undefined : hv.machine.peek(mfn);
    return bytes && new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
  const { mfn, offset } = t.where(ref);
  const dv = view(mfn);
  if (!dv) return undefined;
  const e = decodeEntry(dv, offset, t.version);
  if (t.version === 1) return { ...e, status: 0 };
  const s = t.statusWhere(ref);
  return { ...e, status: view(s.mfn)?.getUint16(s.offset, true) ?? 0 };
}

export function grantStateOf(hv: Hypervisor, domid: number): XenStateNode | undefined {
  const t = existingGrantTables(hv)?.table(domid);
  if (!t) return undefined;
  const granted: XenStateNode[] = [];
  for (let ref = 0; ref < t.nrEntries; ref++) {
    const e = peekEntry(hv, t, ref);
    if (!e || (e.flags & GTF.type_mask) === GTF.invalid) continue;
    const what = (e.flags & GTF.type_mask) === GTF.transitive ? `via d${e.transDomid} ref ${e.transGref}` : `frame 0x${e.frame.toString(16)}`;
    const sub = t.version === 2 && e.flags & GTF.sub_page ? ` bytes ${e.pageOff}+${e.length}` : '';
    granted.push({ name: `ref ${ref}`, value: `to d${e.domid} ${what}${sub} ${flagNames('GTF', e.flags | e.status)}` });
  }
  const mapped: XenStateNode[] = [];
  t.maptrack.forEach((m, handle) => {
    if (m) mapped.push({ name: `handle ${handle}`, value: `d${m.domid} ref ${m.ref} mfn 0x${m.mfn.toString(16)} at 0x${m.hostAddr.toString(16)}` });
  });
  return {
    name: 'grant table',
    value: `v${t.version}, ${t.frames.length} frame(s)${t.statusFrames.length ? ` + ${t.statusFrames.length} status` : ''}, ${granted.length} granted, ${mapped.length} mapped`,
    children: [
      { name: 'granted', value: String(granted.length), children: granted },
      { name: 'mapped', value: String(mapped.length), children: mapped },
    ],
  };
}
