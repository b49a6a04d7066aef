// The ELF loader on the real XTF kernels, checked against binutils (readelf, objcopy).
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { xtfDir } from './shared-dir';
import { ElfImage, LoaderError, PT_LOAD, SymbolMap, XEN_ELFNOTE, decodeXenNotes, loadElf, loadFlat, parseElf32 } from '../../src/loader';

const kernels = fs.existsSync(xtfDir)
  ? fs.readdirSync(xtfDir).filter((f) => f.startsWith('test-') && !f.endsWith('.cfg')).sort()
  : [];

function readelf(args: string[], file: string): string {
  return execFileSync('readelf', [...args, file], { encoding: 'utf8' });
}

const TYPE_NAMES: Record<string, string> = { NOTYPE: 'notype', OBJECT: 'object', FUNC: 'func', SECTION: 'section', FILE: 'file' };

describe('loader: ELF32 on the XTF kernels (oracle: readelf)', function () {
  this.timeout(30000);
  before(function () {
    if (kernels.length === 0) {
      // eslint-disable-next-line no-console
      console.log(`    SKIP: no XTF kernels in ${xtfDir}`);
      this.skip();
    }
  });

  it('finds the nine kernels', () => assert.strictEqual(kernels.length, 9));

  for (const k of kernels) {
    describe(k, () => {
      const file = path.join(xtfDir, k);
      let img: ElfImage;
      before(() => {
        img = parseElf32(new Uint8Array(fs.readFileSync(file)), file);
      });

      it('entry and program headers match readelf -hlW', () => {
        const entry = /Entry point address:\s+0x([0-9a-f]+)/.exec(readelf(['-h'], file))!;
        assert.strictEqual(img.entry, parseInt(entry[1], 16));
        const rows = readelf(['-lW'], file)
          .split('\n')
          .map((l) => /^\s+(LOAD|NOTE|GNU_STACK|\w+)\s+0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+) /.exec(l))
          .filter((m): m is RegExpExecArray => m !== null);
        assert.strictEqual(img.segments.length, rows.length);
        rows.forEach((m, i) => {
          const s = img.segments[i];
          assert.deepStrictEqual(
            [s.offset, s.vaddr, s.paddr, s.filesz, s.memsz],
            m.slice(2, 7).map((x) => parseInt(x, 16)),
          );
          assert.strictEqual(s.type === PT_LOAD, m[1] === 'LOAD');
        });
      });

      it('symbols match readelf -sW', () => {
        const rows = readelf(['-sW'], file)
          .split('\n')
          .map((l) => /^\s*(\d+): ([0-9a-f]+)\s+(\d+) (\w+)\s+(\w+)\s+\w+\s+(\w+)\s?(.*)$/.exec(l))
          .filter((m): m is RegExpExecArray => m !== null);
        assert.ok(rows.length > 50);
        assert.strictEqual(img.symbols.length, rows.length);
        for (const m of rows) {
          const s = img.symbols[Number(m[1])];
          const ndx = m[6] === 'UND' ? 0 : m[6] === 'ABS' ? 0xfff1 : Number(m[6]);
          assert.deepStrictEqual(
            [s.name, s.value, s.size, s.type, s.bind.toUpperCase(), s.shndx],
            [m[7], parseInt(m[2], 16), Number(m[3]), TYPE_NAMES[m[4]] ?? m[4], m[5], ndx],
            `symbol ${m[1]}`,
          );
        }
      });

      it('Xen notes match readelf -n and decode by type', () => {
        const text = readelf(['-n'], file);
        const notes = [...text.matchAll(/^\s+(\S+)\s+0x([0-9a-f]+)\s+(.*)\n\s+description data: ([0-9a-f ]*)$/gm)];
        assert.ok(notes.length > 0);
        assert.strictEqual(img.notes.length, notes.length);
        notes.forEach((m, i) => {
          const n = img.notes[i];
          assert.strictEqual(n.owner, m[1]);
          assert.strictEqual(n.desc.length, parseInt(m[2], 16));
          assert.deepStrictEqual([...n.desc], m[4].trim().split(/\s+/).map((b) => parseInt(b, 16)));
          const t = /\(0x([0-9a-f]+)\)/.exec(m[3]);
          if (t) assert.strictEqual(n.type, parseInt(t[1], 16));
        });
        const xen = decodeXenNotes(img.notes, file);
        const le = (d: Uint8Array) => new DataView(d.buffer, d.byteOffset, d.byteLength).getUint32(0, true);
        const str = (d: Uint8Array) => Buffer.from(d.subarray(0, d.indexOf(0) < 0 ? d.length : d.indexOf(0))).toString('latin1');
        for (const n of img.notes) {
          if (n.type === XEN_ELFNOTE.PHYS32_ENTRY) assert.strictEqual(xen.phys32Entry, le(n.desc));
          if (n.type === XEN_ELFNOTE.HYPERCALL_PAGE) assert.strictEqual(xen.hypercallPage, le(n.desc));
          if (n.type === XEN_ELFNOTE.GUEST_OS) assert.strictEqual(xen.guestOs, str(n.desc));
          if (n.type === XEN_ELFNOTE.LOADER) assert.strictEqual(xen.loader, str(n.desc));
          if (n.type === XEN_ELFNOTE.XEN_VERSION) assert.strictEqual(xen.xenVersion, str(n.desc));
          if (n.type === XEN_ELFNOTE.PAE_MODE) assert.strictEqual(xen.paeMode, str(n.desc));
          if (n.type === XEN_ELFNOTE.FEATURES) {
            assert.strictEqual(xen.features!.map((f) => (f.required ? '!' : '') + f.name).join('|'), str(n.desc));
          }
        }
        // The environment decides the boot path: PV kernels carry the PV notes, HVM ones PHYS32_ENTRY.
        if (k.includes('pv32')) assert.ok(xen.hypercallPage !== undefined && xen.paeMode !== undefined);
        else assert.ok(xen.phys32Entry !== undefined);
        // The hypercall page note names a symbol of the image.
        if (xen.hypercallPage !== undefined) assert.strictEqual(new SymbolMap(img.symbols).lookup('hypercall_page')?.value, xen.hypercallPage);
      });

      it('loads through the writer the same bytes objcopy -O binary extracts', () => {
        const mem = new Map<number, number>();
        const placed = loadElf(img, (addr, data) => data.forEach((b, i) => mem.set(addr + i, b)));
        assert.strictEqual(placed.length, img.loads.length);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-ld-'));
        try {
          const out = path.join(dir, 'flat.bin');
          execFileSync('objcopy', ['-O', 'binary', file, out]);
          const flat = fs.readFileSync(out);
          const base = Math.min(...img.loads.map((s) => s.paddr));
          let diff = 0;
          flat.forEach((b, i) => {
            if ((mem.get(base + i) ?? 0) !== b) diff++;
          });
          assert.strictEqual(diff, 0);
          // bss is zero-filled up to p_memsz
          const last = img.loads[img.loads.length - 1];
          assert.strictEqual(mem.get(last.paddr + last.memsz - 1), 0);
          assert.strictEqual(mem.has(last.paddr + last.memsz), false);
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      });
    });
  }

  describe('symbol map', () => {
    it('finds symbols by name and names addresses inside them', () => {
      const file = path.join(xtfDir, 'test-pv32pae-example');
      const img = parseElf32(new Uint8Array(fs.readFileSync(file)), file);
      const map = SymbolMap.fromImage(img);
      const fn = img.symbols.find((s) => s.type === 'func' && s.size > 8)!;
      assert.strictEqual(map.lookup(fn.name)?.value, fn.value);
      const at = map.at(fn.value + 4)!;
      assert.strictEqual(at.offset, 4);
      assert.strictEqual(map.format(fn.value + 4), `${at.symbol.name}+0x4`);
      assert.strictEqual(map.format(0xfffffff0), '0xfffffff0');
    });
  });

  describe('bad images name the file', () => {
    const file = path.join(xtfDir, 'test-pv32pae-example');
    const good = () => new Uint8Array(fs.readFileSync(file));
    const expectError = (bytes: Uint8Array, re: RegExp) => {
      assert.throws(
        () => parseElf32(bytes, 'bad.elf'),
        (e: unknown) => e instanceof LoaderError && e.message.startsWith('bad.elf: ') && re.test(e.message),
      );
    };
    it('not ELF', () => expectError(new TextEncoder().encode('#!/bin/sh\n'), /not an ELF file/));
    it('truncated header', () => expectError(good().slice(0, 40), /truncated: ELF header/));
    it('truncated segment', () => expectError(good().slice(0, 0x2000), /truncated: program header 0 contents/));
    it('wrong class', () => {
      const b = good();
      b[4] = 2;
      expectError(b, /wrong ELF class ELFCLASS64/);
    });
    it('wrong machine', () => {
      const b = good();
      new DataView(b.buffer).setUint16(18, 62, true);
      expectError(b, /wrong machine 62/);
    });
    it('not an executable', () => {
      const b = good();
      new DataView(b.buffer).setUint16(16, 1, true);
      expectError(b, /wrong ELF type 1/);
    });
    it('overlapping PT_LOAD segments', () => {
      const b = good();
      const dv = new DataView(b.buffer);
      const phoff = dv.getUint32(28, true);
      // turn the PT_NOTE (inside the first segment's range) into a second PT_LOAD
      assert.strictEqual(dv.getUint32(phoff + 32, true), 4);
      dv.setUint32(phoff + 32, PT_LOAD, true);
      expectError(b, /overlapping PT_LOAD segments/);
    });
  });

  describe('flat images', () => {
    it('are written at their base', () => {
      const writes: [number, number[]][] = [];
      const p = loadFlat(new Uint8Array([0x90, 0xf4]), 0x100000, (a, d) => writes.push([a, [...d]]), 'x.bin');
      assert.deepStrictEqual(writes, [[0x100000, [0x90, 0xf4]]]);
      assert.strictEqual(p.memsz, 2);
      assert.throws(() => loadFlat(new Uint8Array(0), 0, () => undefined, 'x.bin'), /x\.bin: empty image/);
    });
  });
});
