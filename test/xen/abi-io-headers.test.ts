// The split-driver ABI (generated-io.ts, guest/include/xenio.inc) against Xen's io/ headers:
// every number, ring geometry, xs_wire error string and structure layout, by gcc -m32 and nasm.
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { IO_CONST, IO_CONST_EXPR, IO_FAMILIES, IO_LAYOUTS, XSD_ERRORS } from '../../src/xen/abi';
import { evaluate, headersPresent, layoutOf, macroNames, toolPresent } from './abi-oracle';
import { IO_HEADERS, enumMembers } from './abi-generate-io';

const incDir = path.resolve(__dirname, '..', '..', 'guest', 'include');

function numbers(): [string, number, string][] {
  const out: [string, number, string][] = [];
  for (const f of Object.values(IO_FAMILIES)) for (const [k, v] of Object.entries(f.values)) out.push([f.prefix + k, v, f.prefix + k]);
  for (const [k, v] of Object.entries(IO_CONST)) out.push([k, v, IO_CONST_EXPR[k]]);
  return out;
}

function fields() {
  return Object.entries(IO_LAYOUTS).flatMap(([name, st]) =>
    Object.entries(st.fields).map(([p, f]) => ({ nasm: `${name}.${p}`, ctype: st.ctype, path: p, offset: f.offset, size: f.size })),
  );
}

describe('split-driver abi vs /usr/include/xen/io', function () {
  this.timeout(60000);
  before(function () {
    if (!headersPresent()) {
      // eslint-disable-next-line no-console
      console.log('    SKIP: /usr/include/xen or gcc missing');
      this.skip();
    }
  });

  it('every number and ring size equals the header value', () => {
    const all = numbers();
    const got = evaluate(all.map(([, , e]) => e), IO_HEADERS);
    const wrong = all.flatMap(([n, v], i) => (got[i] === v ? [] : [`${n}: ours ${v}, header ${got[i]}`]));
    assert.deepStrictEqual(wrong, []);
    assert.strictEqual(IO_CONST.BLKIF_RING_SIZE, 32);
  });

  it('knows every xs_wire message type, xenbus state, blkif op and grant-copy flag', () => {
    const macros = macroNames(IO_HEADERS);
    const have = new Set(numbers().map(([n]) => n));
    const want = [
      ...enumMembers('xsd_sockmsg_type').filter((n) => n !== 'XS_TYPE_COUNT'),
      ...enumMembers('xenbus_state'),
      ...macros.filter((n) => /^(BLKIF_OP_|BLKIF_RSP_|GNTCOPY_|NETIF_RSP_)/.test(n)),
    ];
    assert.deepStrictEqual(want.filter((n) => !have.has(n)), []);
  });

  it("XSD_ERRORS is xs_wire.h's xsd_errors[] in order", () => {
    const src = 'int main(void) { for (unsigned i = 0; i < sizeof(xsd_errors)/sizeof(xsd_errors[0]); i++) printf("%s\\n", xsd_errors[i].errstring); return 0; }\n';
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-xsd-'));
    try {
      const c = path.join(dir, 'x.c');
      const exe = path.join(dir, 'x');
      fs.writeFileSync(c, ['#include <stdio.h>', '#include <errno.h>', '#include <stdint.h>', '#include <xen/io/xs_wire.h>', src].join('\n'));
      execFileSync('gcc', ['-m32', '-o', exe, c]);
      assert.deepStrictEqual([...XSD_ERRORS], execFileSync(exe, { encoding: 'utf8' }).trim().split('\n'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every ring and request structure member equals gcc -m32', () => {
    const fs_ = fields();
    const got = layoutOf(fs_, IO_HEADERS);
    const wrong = fs_.filter((f, i) => f.offset !== got[i].offset || f.size !== got[i].size).map((f) => f.nasm);
    assert.deepStrictEqual(wrong, []);
    const structs = Object.values(IO_LAYOUTS);
    assert.deepStrictEqual(structs.map((s) => s.size), evaluate(structs.map((s) => `sizeof(${s.ctype})`), IO_HEADERS));
  });

  it('guest/include/xenio.inc assembles with nasm to the same values', function () {
    if (!toolPresent('nasm', ['-v'])) this.skip();
    const nums = numbers();
    const fl = fields();
    const lines = ['bits 32', '%include "xenio.inc"', '%include "xenio.inc"', ...nums.map(([n]) => `dd ${n}`), ...fl.map((f) => `dd ${f.nasm}`)];
    const want = [...nums.map(([, v]) => v), ...fl.map((f) => f.offset)];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-xenio-'));
    try {
      fs.writeFileSync(path.join(dir, 't.asm'), lines.join('\n') + '\n');
      execFileSync('nasm', ['-f', 'bin', '-I', incDir + path.sep, '-o', path.join(dir, 't.bin'), path.join(dir, 't.asm')]);
      const bin = fs.readFileSync(path.join(dir, 't.bin'));
      const wrong = want.flatMap((v, i) => (bin.readInt32LE(i * 4) === (v | 0) ? [] : [`${i}: ${bin.readInt32LE(i * 4)} != ${v}`]));
      assert.deepStrictEqual(wrong, []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
