// Decodes a hypercall's registers (and, given a guest-memory reader, its argument structure)
// into Xen's names: `event_channel_op(EVTCHNOP_send, port=3)`.
import { AbiField, AbiStruct } from './types';
import { LAYOUTS, XEN_CONST } from './generated';
import { FamilyName, describe, flagNames, formatResult, keyOf, nameOf } from './names';
import { HYPERCALLS, HypercallSpec, StructName } from './hypercalls';

/** Reads guest-virtual memory of the calling vCPU; undefined when unmapped. */
export type GuestReader = (gva: number, size: number) => Uint8Array | undefined;

export interface DecodedField {
  readonly name: string;
  /** 64-bit values that do not fit a double are bigint. */
  readonly value: number | bigint;
  readonly text: string;
}

export interface DecodedHypercall {
  readonly nr: number;
  /** Xen's name (`event_channel_op`), or `hypercall_<nr>` for an unnumbered slot. */
  readonly name: string;
  /** The sub-op's Xen name (`EVTCHNOP_send`) for multiplexed hypercalls. */
  readonly subop?: string;
  readonly args: readonly DecodedField[];
  /** Fields of the argument structure, when it could be read. */
  readonly fields?: readonly DecodedField[];
  /** `event_channel_op(EVTCHNOP_send, port=3)` */
  readonly text: string;
}

/** Structure members holding a number of a known family (shown by name). */
const FIELD_FAMILY: Readonly<Record<string, { family: FamilyName; flags?: boolean }>> = {
  'sched_shutdown.reason': { family: 'SHUTDOWN' },
  'sched_remote_shutdown.reason': { family: 'SHUTDOWN' },
  'evtchn_bind_virq.virq': { family: 'VIRQ' },
  'evtchn_status.status': { family: 'EVTCHNSTAT' },
  'evtchn_op.cmd': { family: 'EVTCHNOP' },
  'callback_register.type': { family: 'CALLBACKTYPE' },
  'callback_register.flags': { family: 'CALLBACKF', flags: true },
  'callback_unregister.type': { family: 'CALLBACKTYPE' },
  'xen_add_to_physmap.space': { family: 'XENMAPSPACE' },
  'xen_hvm_param.index': { family: 'HVM_PARAM' },
  'vcpu_set_singleshot_timer.flags': { family: 'VCPU_SSHOTTMR', flags: true },
  'mmuext_op.cmd': { family: 'MMUEXT' },
  'xen_domctl.cmd': { family: 'XEN_DOMCTL' },
  'xen_domctl_createdomain.flags': { family: 'XEN_DOMCTL_CDF', flags: true },
  'gnttab_map_grant_ref.flags': { family: 'GNTMAP', flags: true },
  'gnttab_map_grant_ref.status': { family: 'GNTST' },
  'gnttab_unmap_grant_ref.status': { family: 'GNTST' },
  'gnttab_setup_table.status': { family: 'GNTST' },
  'gnttab_query_size.status': { family: 'GNTST' },
  'gnttab_copy.status': { family: 'GNTST' },
  'gnttab_get_status_frames.status': { family: 'GNTST' },
  'gnttab_swap_grant_ref.status': { family: 'GNTST' },
};

/** Structures this large show only their first members inline. */
const MAX_INLINE_FIELDS = 8;

function hex(v: number | bigint): string {
  return `0x${v.toString(16)}`;
}

function domidText(v: number): string {
  return v >= XEN_CONST.DOMID_FIRST_RESERVED ? (nameOf('DOMID', v) ?? String(v)) : String(v);
}

function isLeaf(struct: AbiStruct, path: string): boolean {
  const prefix = path + '.';
  return !Object.keys(struct.fields).some((k) => k.startsWith(prefix));
}

function readField(bytes: Uint8Array, f: AbiField, signed: boolean): number | bigint {
  const dv = new DataView(bytes.buffer, bytes.byteOffset + f.offset, f.size);
  switch (f.size) {
    case 1:
      return signed ? dv.getInt8(0) : dv.getUint8(0);
    case 2:
      return signed ? dv.getInt16(0, true) : dv.getUint16(0, true);
    case 4:
      return signed ? dv.getInt32(0, true) : dv.getUint32(0, true);
    default: {
      const v = signed ? dv.getBigInt64(0, true) : dv.getBigUint64(0, true);
      return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    }
  }
}

/**
 * The members of a structure read from guest memory, leaves only, without padding and
 * arrays. `bytes` must hold at least the structure's size.
 */
export function decodeStruct(name: StructName, bytes: Uint8Array): DecodedField[] {
  const struct: AbiStruct = LAYOUTS[name];
  const out: DecodedField[] = [];
  for (const [path, f] of Object.entries(struct.fields)) {
    if (f.count !== undefined || /(^|\.)_?pad\d*$|(^|\.)_/.test(path) || !isLeaf(struct, path)) continue;
    if (f.size !== 1 && f.size !== 2 && f.size !== 4 && f.size !== 8) continue;
    if (f.offset + f.size > bytes.length) continue;
    const signed = /^(int|int\d+_t|long|long long|grant_status_t|int16_t|int32_t|int64_t)$/.test(f.type);
    const value = readField(bytes, f, signed);
    const hint = FIELD_FAMILY[`${name}.${path}`];
    let text: string;
    if (hint && typeof value === 'number') {
      text = hint.flags ? flagNames(hint.family, value) : describe(hint.family, value);
    } else if (f.type === 'domid_t' && typeof value === 'number') {
      text = domidText(value);
    } else if (typeof value === 'bigint' || value > 0xffff || /pfn|mfn|addr|frame|ptr|val|gfn|va$|handle|^__guest/.test(path + f.type)) {
      text = typeof value === 'number' && value >= 0 && value < 10 ? String(value) : hex(value);
    } else {
      text = String(value);
    }
    out.push({ name: path, value, text });
  }
  return out;
}

function readStruct(read: GuestReader | undefined, gva: number, name: StructName): DecodedField[] | undefined {
  if (!read || gva === 0) return undefined;
  const bytes = read(gva, LAYOUTS[name].size);
  return bytes && bytes.length >= LAYOUTS[name].size ? decodeStruct(name, bytes) : undefined;
}

function inline(fields: readonly DecodedField[]): string[] {
  const shown = fields.slice(0, MAX_INLINE_FIELDS).map((f) => `${f.name}=${f.text}`);
  if (fields.length > MAX_INLINE_FIELDS) shown.push('…');
  return shown;
}

/**
 * Decodes hypercall `nr` with argument registers `regs` = [ebx, ecx, edx, esi, edi].
 * With `read`, pointer arguments to known structures are shown by member.
 */
export function decodeHypercall(nr: number, regs: readonly number[], read?: GuestReader): DecodedHypercall {
  const spec: HypercallSpec | undefined = HYPERCALLS.get(nr);
  if (!spec) {
    const args = regs.map((r, i) => ({ name: `arg${i + 1}`, value: r >>> 0, text: hex(r >>> 0) }));
    return { nr, name: `hypercall_${nr}`, args, text: `hypercall_${nr}(${args.map((x) => x.text).join(', ')})` };
  }
  const args: DecodedField[] = [];
  const parts: string[] = [];
  let subop: string | undefined;
  let subopKey: string | undefined;
  let fields: DecodedField[] | undefined;
  let r = 0;
  const reg = (): number => (regs[r++] ?? 0) >>> 0;
  for (const arg of spec.args) {
    const t = arg.type;
    switch (t.kind) {
      case 'u64': {
        const lo = reg();
        const hi = reg();
        const big = (BigInt(hi) << 32n) | BigInt(lo);
        const value = hi < 0x200000 ? hi * 0x100000000 + lo : big;
        args.push({ name: arg.name, value, text: hex(big) });
        parts.push(`${arg.name}=${hex(big)}`);
        break;
      }
      case 'cmd': {
        const v = reg();
        subop = describe(t.family, v);
        subopKey = keyOf(t.family, v);
        args.push({ name: arg.name, value: v, text: subop });
        parts.push(subop);
        break;
      }
      case 'subop-arg': {
        const v = reg();
        const struct = subopKey !== undefined ? spec.subopStructs?.[subopKey] : undefined;
        const decoded = struct ? readStruct(read, v, struct) : undefined;
        args.push({ name: 'arg', value: v, text: hex(v) });
        if (decoded) {
          fields = decoded;
          parts.push(...inline(decoded));
        } else if (v !== 0 || struct) {
          parts.push(`arg=${hex(v)}`);
        }
        break;
      }
      case 'ptr': {
        const v = reg();
        args.push({ name: arg.name, value: v, text: hex(v) });
        const si = spec.subopInStruct;
        const decoded = t.struct ? readStruct(read, v, t.struct) : undefined;
        if (si && decoded) {
          const c = decoded.find((f) => f.name === si.field);
          if (c && typeof c.value === 'number') subop = describe(si.family, c.value);
          fields = decoded.filter((f) => f.name !== si.field);
          parts.push(...(subop ? [subop] : []), ...inline(fields));
        } else if (decoded) {
          fields = decoded;
          parts.push(`${arg.name}=${hex(v)} {${inline(decoded).join(', ')}}`);
        } else {
          parts.push(`${arg.name}=${hex(v)}`);
        }
        break;
      }
      case 'domid': {
        const v = reg() & 0xffff;
        args.push({ name: arg.name, value: v, text: domidText(v) });
        parts.push(`${arg.name}=${domidText(v)}`);
        break;
      }
      case 'enum':
      case 'flags': {
        const v = reg();
        const text = t.kind === 'flags' ? flagNames(t.family, v) : describe(t.family, v);
        args.push({ name: arg.name, value: v, text });
        parts.push(t.kind === 'enum' ? text : `${arg.name}=${text}`);
        break;
      }
      case 'int': {
        const v = reg() | 0;
        args.push({ name: arg.name, value: v, text: String(v) });
        parts.push(`${arg.name}=${v}`);
        break;
      }
      case 'uint': {
        const v = reg();
        args.push({ name: arg.name, value: v, text: String(v) });
        parts.push(`${arg.name}=${v}`);
        break;
      }
      case 'hex': {
        const v = reg();
        args.push({ name: arg.name, value: v, text: hex(v) });
        parts.push(`${arg.name}=${hex(v)}`);
        break;
      }
    }
  }
  return { nr, name: spec.name, subop, args, fields, text: `${spec.name}(${parts.join(', ')})` };
}

/** `event_channel_op(EVTCHNOP_send, port=3) = 0` / `… = -ENOSYS`. */
export function formatHypercallExit(decoded: DecodedHypercall, eax: number): string {
  return `${decoded.text} = ${formatResult(eax)}`;
}
