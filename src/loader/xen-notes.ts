// Xen's ELF notes (owner "Xen", types from elfnote.h) decoded by type, as the domain
// builder reads them: numeric notes are little-endian numbers of the note's own size,
// string notes end at their NUL.
import { ElfNote } from './elf';
import { LoaderError } from './errors';
import { XEN_ELFNOTE } from './xen-elfnote';

export type XenElfNoteName = keyof typeof XEN_ELFNOTE;

export interface XenFeature {
  /** A XENFEAT_* name without the prefix, e.g. `writable_page_tables`. */
  readonly name: string;
  /** Prefixed with '!' in the note: the kernel cannot run without it. */
  readonly required: boolean;
}

export interface XenNotes {
  readonly entry?: number;
  readonly hypercallPage?: number;
  readonly virtBase?: number;
  readonly paddrOffset?: number;
  readonly xenVersion?: string;
  readonly guestOs?: string;
  readonly guestVersion?: string;
  readonly loader?: string;
  /** "yes", "no", "bimodal" or "yes,bimodal" */
  readonly paeMode?: string;
  readonly features?: readonly XenFeature[];
  readonly bsdSymtab?: string;
  readonly hvStartLow?: number;
  /** mask/value pairs */
  readonly l1MfnValid?: readonly (readonly [number, number])[];
  readonly suspendCancel?: number;
  readonly initP2m?: number;
  readonly modStartPfn?: number;
  readonly supportedFeatures?: number;
  readonly phys32Entry?: number;
  /** Every note in the Xen namespace, in image order, by Xen's name where it has one. */
  readonly all: readonly { readonly name: XenElfNoteName | undefined; readonly type: number; readonly desc: Uint8Array }[];
}

const NAME_BY_TYPE = new Map<number, XenElfNoteName>(
  (Object.entries(XEN_ELFNOTE) as [XenElfNoteName, number][]).map(([k, v]) => [v, k]),
);

function numeric(file: string, name: string, desc: Uint8Array): number {
  const dv = new DataView(desc.buffer, desc.byteOffset, desc.byteLength);
  switch (desc.length) {
    case 1:
      return dv.getUint8(0);
    case 2:
      return dv.getUint16(0, true);
    case 4:
      return dv.getUint32(0, true);
    case 8: {
      const v = dv.getBigUint64(0, true);
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new LoaderError(file, `Xen note ${name}: value 0x${v.toString(16)} does not fit`);
      return Number(v);
    }
    default:
      throw new LoaderError(file, `Xen note ${name}: numeric note of ${desc.length} bytes (expected 1, 2, 4 or 8)`);
  }
}

function str(desc: Uint8Array): string {
  const nul = desc.indexOf(0);
  return new TextDecoder('latin1').decode(nul < 0 ? desc : desc.subarray(0, nul));
}

/** Decodes the "Xen" notes of an image; other owners are ignored. */
export function decodeXenNotes(notes: readonly ElfNote[], file: string): XenNotes {
  const n: { -readonly [K in keyof XenNotes]: XenNotes[K] } = { all: [] };
  const all: { name: XenElfNoteName | undefined; type: number; desc: Uint8Array }[] = [];
  for (const note of notes) {
    if (note.owner !== 'Xen') continue;
    const name = NAME_BY_TYPE.get(note.type);
    all.push({ name, type: note.type, desc: note.desc });
    const num = () => numeric(file, name ?? String(note.type), note.desc);
    switch (name) {
      case 'ENTRY': n.entry = num(); break;
      case 'HYPERCALL_PAGE': n.hypercallPage = num(); break;
      case 'VIRT_BASE': n.virtBase = num(); break;
      case 'PADDR_OFFSET': n.paddrOffset = num(); break;
      case 'XEN_VERSION': n.xenVersion = str(note.desc); break;
      case 'GUEST_OS': n.guestOs = str(note.desc); break;
      case 'GUEST_VERSION': n.guestVersion = str(note.desc); break;
      case 'LOADER': n.loader = str(note.desc); break;
      case 'PAE_MODE': n.paeMode = str(note.desc); break;
      case 'FEATURES':
        n.features = str(note.desc)
          .split('|')
          .filter((f) => f !== '')
          .map((f) => (f.startsWith('!') ? { name: f.slice(1), required: true } : { name: f, required: false }));
        break;
      case 'BSD_SYMTAB': n.bsdSymtab = str(note.desc); break;
      case 'HV_START_LOW': n.hvStartLow = num(); break;
      case 'L1_MFN_VALID': {
        const half = note.desc.length % 16 === 0 ? 8 : 4;
        const pairs: [number, number][] = [];
        for (let o = 0; o + 2 * half <= note.desc.length; o += 2 * half) {
          pairs.push([numeric(file, name, note.desc.subarray(o, o + half)), numeric(file, name, note.desc.subarray(o + half, o + 2 * half))]);
        }
        n.l1MfnValid = pairs;
        break;
      }
      case 'SUSPEND_CANCEL': n.suspendCancel = num(); break;
      case 'INIT_P2M': n.initP2m = num(); break;
      case 'MOD_START_PFN': n.modStartPfn = num(); break;
      case 'SUPPORTED_FEATURES': n.supportedFeatures = num(); break;
      case 'PHYS32_ENTRY': n.phys32Entry = num(); break;
      default: break; // INFO, crash/dumpcore notes and unknown types: kept in `all` only
    }
  }
  n.all = all;
  return n;
}
