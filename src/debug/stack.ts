/**
 * Guest call stacks from EIP and the EBP chain (the frame layout `push ebp; mov ebp, esp`
 * gives: [ebp] = caller's ebp, [ebp+4] = return address), named from the image's symbols and
 * placed by its line map.
 */
import type { ImageInfo } from '../xen/inspect';

export interface GuestFrame {
  /** where the frame executes: eip for the top frame, a return address below it */
  pc: number;
  /** the address whose line the frame shows (the call instruction for return addresses) */
  lineAddress: number;
  name: string;
  source?: { file: string; line: number };
  /** for callers: their esp and ebp as they will be when the callee returns (unwound) */
  unwound?: { esp: number; ebp: number };
}

/** Deep enough for any real guest; a corrupt chain that loops is cut by the ordering check. */
export const MAX_FRAMES = 64;

export function symbolName(image: ImageInfo | undefined, address: number): string {
  const s = image?.symbolAt(address);
  if (!s) return `0x${(address >>> 0).toString(16)}`;
  const off = (address - s.address) >>> 0;
  return off ? `${s.name}+0x${off.toString(16)}` : s.name;
}

/**
 * Hypercall-page stubs (`mov eax, nr; int 0x82; ret`) make no frame: their caller's return
 * address is at [esp]. Guests name the page `hypercall_page` (ours, Linux) or each stub
 * `HYPERCALL_<name>` (XTF).
 */
function frameless(name: string): boolean {
  return name === 'hypercall_page' || name.startsWith('HYPERCALL_');
}

export function guestFrames(eip: number, ebp: number, read32: (gva: number) => number | undefined, image: ImageInfo | undefined, max = MAX_FRAMES, esp?: number): GuestFrame[] {
  const frame = (pc: number, lineAddress: number): GuestFrame => ({ pc, lineAddress, name: symbolName(image, pc), source: image?.lineAt(lineAddress) });
  const frames = [frame(eip >>> 0, eip >>> 0)];
  const sym = image?.symbolAt(eip >>> 0);
  if (esp !== undefined && sym && frameless(sym.name)) {
    if (sym.name === 'hypercall_page') frames[0].name = `${sym.name}[${Math.floor(((eip >>> 0) - sym.address) / 32)}]`;
    const ret = read32(esp >>> 0);
    if (ret !== undefined && ret !== 0) frames.push({ ...frame(ret >>> 0, (ret - 1) >>> 0), unwound: { esp: (esp + 4) >>> 0, ebp: ebp >>> 0 } });
  }
  let bp = ebp >>> 0;
  while (frames.length < max && bp !== 0) {
    const ret = read32((bp + 4) >>> 0);
    const next = read32(bp);
    if (ret === undefined || next === undefined || ret === 0) break;
    // The call that pushed `ret` ends just before it, so its line is the one at ret-1.
    frames.push({ ...frame(ret >>> 0, (ret - 1) >>> 0), unwound: { esp: (bp + 8) >>> 0, ebp: next >>> 0 } });
    // Stacks grow down: each caller's frame is higher. Anything else is not a frame chain.
    if (next !== 0 && next <= bp) break;
    bp = next >>> 0;
  }
  return frames;
}
