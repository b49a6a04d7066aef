// The "grant table" rows of a domain for the debugger's Xen scope and the Domains view:
// the entries it grants (read from its table frames without writing them) and the grants it
// has mapped from others (its maptrack).
import { flagNames } from '../abi';
import type { Hypervisor } from '../hypervisor';
import type { XenStateNode } from '../inspect';
import { existingGrantTables } from './xen-env';

const GTF_TYPE_MASK = 3; // GTF_invalid / permit_access / accept_transfer / transitive

export function grantStateOf(hv: Hypervisor, domid: number): XenStateNode | undefined {
  const t = existingGrantTables(hv)?.table(domid);
  if (!t) return undefined;
  const granted: XenStateNode[] = [];
  for (let ref = 0; ref < t.nrEntries; ref++) {
    const { mfn, offset } = t.where(ref);
    const bytes = hv.machine.peek(mfn);
    if (!bytes) continue;
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const flags = dv.getUint16(offset, true);
    if ((flags & GTF_TYPE_MASK) === 0) continue;
    const dom = dv.getUint16(offset + 2, true);
    const frame = dv.getUint32(offset + 4, true);
    granted.push({ name: `ref ${ref}`, value: `to d${dom} frame 0x${frame.toString(16)} ${flagNames('GTF', flags)}` });
  }
  const mapped: XenStateNode[] = [];
  t.maptrack.forEach((m, handle) => {
    if (m) mapped.push({ name: `handle ${handle}`, value: `d${m.domid} ref ${m.ref} mfn 0x${m.mfn.toString(16)} at 0x${m.hostAddr.toString(16)}` });
  });
  return {
    name: 'grant table',
    value: `v${t.version}, ${t.frames.length} frame(s), ${granted.length} granted, ${mapped.length} mapped`,
    children: [
      { name: 'granted', value: String(granted.length), children: granted },
      { name: 'mapped', value: String(mapped.length), children: mapped },
    ],
  };
}
