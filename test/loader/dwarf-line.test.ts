// DWARF line tables of the XTF kernels against `readelf --debug-dump=decodedline`.
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { LineMap, LoaderError, SymbolMap, parseDebugLine, parseElf32 } from '../../src/loader';
import { xtfDir } from './shared-dir';

const kernels = fs.existsSync(xtfDir) ? fs.readdirSync(xtfDir).filter((f) => f.startsWith('test-') && !f.endsWith('.cfg')).sort() : [];

/** readelf's decoded rows: [full path, line or '-', address, is_stmt]. */
function oracle(file: string): [string, string, number, boolean][] {
  const out: [string, string, number, boolean][] = [];
  let current = '';
  for (const l of execFileSync('readelf', ['-wL', '-W', file], { encoding: 'utf8', maxBuffer: 64 << 20 }).split('\n')) {
    const hdr = /^(?:CU: )?(\/.*):$/.exec(l);
    if (hdr) {
      current = hdr[1];
      continue;
    }
    const m = /^(\S+)\s+(\d+|-)\s+(0x[0-9a-f]+)(?:\s+\d+)?(\s+x)?\s*$/.exec(l);
    if (m) {
      assert.strictEqual(path.basename(current), m[1], `readelf row under ${current}: ${l}`);
      out.push([current, m[2], parseInt(m[3], 16), m[4] !== undefined]);
    }
  }
  return out;
}

describe('loader: DWARF .debug_line (oracle: readelf -wL)', function () {
  this.timeout(30000);
  before(function () {
    if (kernels.length === 0) this.skip();
  });

  for (const k of kernels) {
    it(`${k}: every row matches`, () => {
      const file = path.join(xtfDir, k);
      const img = parseElf32(new Uint8Array(fs.readFileSync(file)), file);
      const rows = parseDebugLine(img).flatMap((p) => p.rows);
      const want = oracle(file);
      assert.ok(want.length > 100);
      const got = rows.map((r): [string, string, number, boolean] => [r.file, r.endSequence ? '-' : String(r.line), r.address, r.endSequence ? false : r.isStmt]);
      const wantCmp = want.map(([f, l, a, s]): [string, string, number, boolean] => [f, l, a, l === '-' ? false : s]);
      assert.strictEqual(got.length, wantCmp.length);
      const firstDiff = got.findIndex((g, i) => JSON.stringify(g) !== JSON.stringify(wantCmp[i]));
      assert.strictEqual(firstDiff, -1, `row ${firstDiff}: ours ${JSON.stringify(got[firstDiff])}, readelf ${JSON.stringify(wantCmp[firstDiff])}`);
    });
  }

  it('maps addresses to lines and lines to addresses', () => {
    const file = path.join(xtfDir, 'test-pv32pae-selftest');
    const img = parseElf32(new Uint8Array(fs.readFileSync(file)), file);
    const lines = LineMap.fromImage(img);
    const syms = SymbolMap.fromImage(img);
    const main = syms.lookup('test_main')!;
    const loc = lines.at(main.value)!;
    assert.ok(loc && /\.c$/.test(loc.file), JSON.stringify(loc));
    // The function's first statement row is a breakpoint address for its line.
    const addrs = lines.addressesOf(loc.file, loc.line);
    assert.ok(addrs.includes(main.value), `${addrs.map((a) => a.toString(16))} vs ${main.value.toString(16)}`);
    // A path suffix finds the same addresses.
    assert.deepStrictEqual(lines.addressesOf(loc.file.split('/').slice(-2).join('/'), loc.line), addrs);
    assert.ok(lines.files().includes(loc.file));
    assert.strictEqual(lines.at(0xfffffff0), undefined);
  });

  it('names the file on a corrupt table', () => {
    const file = path.join(xtfDir, 'test-pv32pae-example');
    const bytes = new Uint8Array(fs.readFileSync(file));
    const img = parseElf32(bytes, 'bad.elf');
    const sec = img.sections.find((s) => s.name === '.debug_line')!;
    new DataView(bytes.buffer).setUint16(sec.offset + 4, 9, true); // version 9
    assert.throws(() => parseDebugLine(img), (e: unknown) => e instanceof LoaderError && /^bad\.elf: .*unsupported DWARF version 9/.test(e.message));
  });
});
