// Numbers back to Xen's names, for the trace, the debugger and error messages.
import { FAMILIES, XEN_ERRNO } from './generated';

export type FamilyName = keyof typeof FAMILIES;

// Several names can share a value (UVMF_LOCAL = UVMF_MULTI, EAGAIN = EWOULDBLOCK); the first
// one the header defines with that value wins, which is the one Xen itself prints.
const reverse = new Map<FamilyName, Map<number, string>>();

function reverseOf(family: FamilyName): Map<number, string> {
  let m = reverse.get(family);
  if (!m) {
    m = new Map();
    for (const [k, v] of Object.entries(FAMILIES[family].values)) if (!m.has(v)) m.set(v, k);
    reverse.set(family, m);
  }
  return m;
}

/** `nameOf('EVTCHNOP', 4)` → `'EVTCHNOP_send'`; undefined when the number has no name. */
export function nameOf(family: FamilyName, value: number): string | undefined {
  const k = reverseOf(family).get(value);
  return k === undefined ? undefined : FAMILIES[family].prefix + k;
}

/** The member key without its prefix: `keyOf('EVTCHNOP', 4)` → `'send'`. */
export function keyOf(family: FamilyName, value: number): string | undefined {
  return reverseOf(family).get(value);
}

/** Like nameOf, but always a string: unknown numbers print as `EVTCHNOP_?(99)`. */
export function describe(family: FamilyName, value: number): string {
  return nameOf(family, value) ?? `${FAMILIES[family].prefix}?(${value})`;
}

/** A flags word as `SIF_PRIVILEGED|SIF_INITDOMAIN|0x100` (unknown bits in hex). */
export function flagNames(family: FamilyName, value: number): string {
  const f = FAMILIES[family];
  const parts: string[] = [];
  let rest = value >>> 0;
  for (const [k, bit] of Object.entries(f.values)) {
    // Only single bits: multi-bit masks and zero-valued names (GTF_invalid) would double-count.
    if (bit !== 0 && (bit & (bit - 1)) === 0 && (rest & bit) !== 0) {
      parts.push(f.prefix + k);
      rest &= ~bit;
    }
  }
  if (rest !== 0) parts.push(`0x${(rest >>> 0).toString(16)}`);
  return parts.length === 0 ? '0' : parts.join('|');
}

const errnoByValue = new Map<number, string>();
for (const [k, v] of Object.entries(XEN_ERRNO)) if (!errnoByValue.has(v)) errnoByValue.set(v, k);

/** `errnoName(38)` → `'ENOSYS'` (positive errno, as in errno.h). */
export function errnoName(errno: number): string | undefined {
  return errnoByValue.get(errno);
}

/**
 * A hypercall's eax as a person reads it: `-ENOSYS` for a negated Xen errno, otherwise the
 * signed decimal value (addresses and masks read better in hex: pass hex = true).
 */
export function formatResult(eax: number, hex = false): string {
  const v = eax | 0;
  if (v < 0 && v >= -4095) {
    const name = errnoName(-v);
    if (name) return `-${name}`;
  }
  return hex ? `0x${(eax >>> 0).toString(16)}` : String(v);
}
