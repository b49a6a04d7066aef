// Test helper: an ImageInfo over an assembled program (the hypervisor builds the real one from
// the domain's kernel; this lets the translation code be tested without a running machine).
import { assemble } from '../../src/asm';
import type { ImageInfo } from '../../src/xen/inspect';

export interface AsmImage {
  image: ImageInfo;
  bytes: Uint8Array;
  origin: number;
  /** reads like Inspectable.readMemory over the program, unmapped elsewhere */
  read: (address: number, length: number) => (number | undefined)[];
}

export function asmImage(source: string, file = '/src/kernel.asm'): AsmImage {
  const r = assemble(source, { file });
  if (r.errors.length) throw new Error(r.errors.map((e) => e.message).join('\n'));
  const labels = r.symbols.filter((s) => s.kind === 'label').sort((a, b) => a.address - b.address);
  const image: ImageInfo = {
    lineAt: (gva) => {
      const e = r.lineMap.lookup(gva);
      return e ? { file: e.file, line: e.line } : undefined;
    },
    addressesOf: (f, line) => r.lineMap.addresses(f, line),
    symbolAt: (gva) => {
      let best;
      for (const s of labels) if (s.address <= gva) best = s;
      return best ? { name: best.name, address: best.address } : undefined;
    },
    symbolAddress: (name) => labels.find((s) => s.name === name)?.address,
    files: () => [file],
  };
  const read = (address: number, length: number) => {
    const out: (number | undefined)[] = [];
    for (let i = 0; i < length; i++) {
      const off = address + i - r.origin;
      out.push(off >= 0 && off < r.image.length ? r.image[off] : undefined);
    }
    return out;
  };
  return { image, bytes: r.image, origin: r.origin, read };
}
