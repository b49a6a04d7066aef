import * as assert from 'assert';
import { assemble } from '../../src/asm';

describe('asm: assemble() results beyond the bytes', () => {
  const src = [
    'bits 32', //                      1
    'org 0x1000', //                   2
    'start:', //                       3
    '  nop', //                        4
    '.inner:', //                      5
    '  ret', //                        6
    'next: dd 0', //                   7
    'LEN equ next - start', //         8
    'section .bss', //                 9
    'buf: resb 16', //                 10
  ].join('\n');
  const r = assemble(src, { file: 'k.asm', listing: true });

  it('reports the origin, sections and image', () => {
    assert.deepStrictEqual(r.errors, []);
    assert.strictEqual(r.origin, 0x1000);
    assert.strictEqual(Buffer.from(r.image).toString('hex'), '90c300000000');
    assert.deepStrictEqual(
      r.sections.map((s) => [s.name, s.progbits, s.start, s.length]),
      [['.text', true, 0x1000, 6], ['.bss', false, 0x1008, 16]],
    );
  });

  it('lists symbols with kind, address and size', () => {
    const table = Object.fromEntries(r.symbols.map((s) => [s.name, [s.kind, s.address, s.size, s.line]]));
    assert.deepStrictEqual(table, {
      start: ['label', 0x1000, 2, 3],
      'start.inner': ['local', 0x1001, 1, 5],
      next: ['label', 0x1002, 4, 7],
      LEN: ['equ', 2, undefined, 8],
      buf: ['label', 0x1008, 16, 10],
    });
  });

  it('gives the file, line and column where each symbol is defined', () => {
    const inner = r.symbols.find((s) => s.name === 'start.inner')!;
    assert.deepStrictEqual([inner.file, inner.line, inner.col], ['k.asm', 5, 1]);
    const len = r.symbols.find((s) => s.name === 'LEN')!;
    assert.deepStrictEqual([len.line, len.col], [8, 1]);
  });

  it('maps addresses to lines and lines to addresses', () => {
    assert.deepStrictEqual(r.lineMap.entries.map((e) => [e.address, e.size, e.line]), [[0x1000, 1, 4], [0x1001, 1, 6], [0x1002, 4, 7]]);
    assert.strictEqual(r.lineMap.lookup(0x1004)?.line, 7);
    assert.deepStrictEqual(r.lineMap.addresses('k.asm', 6), [0x1001]);
    assert.deepStrictEqual(r.lineMap.addresses('k.asm', 5), []);
  });

  it('produces a listing with address and bytes per line', () => {
    const lines = r.listing!.split('\n');
    assert.match(lines.find((l) => l.includes('ret'))!, /^\s+6 00001001 C3\s+ ret$/);
    assert.match(lines.find((l) => l.includes('next: dd'))!, /^\s+7 00001002 00000000\s+ next: dd 0$/);
  });

  it('reads includes only through the injected readFile (unsaved buffers)', () => {
    const seen: string[] = [];
    const out = assemble('%include "defs.inc"\ndb VALUE\n', {
      file: '/ws/src/main.asm',
      includePaths: ['/ws/include'],
      readFile: (p) => {
        seen.push(p);
        return p === '/ws/include/defs.inc' ? '%define VALUE 42\n' : undefined;
      },
    });
    assert.deepStrictEqual(out.errors, []);
    assert.deepStrictEqual(seen, ['/ws/src/defs.inc', '/ws/include/defs.inc']);
    assert.deepStrictEqual([...out.image], [42]);
  });

  it('turns an internal failure into an error diagnostic instead of throwing', () => {
    const out = assemble('bits 32\nnop\n', {
      file: 'x.asm',
      encode: () => {
        throw new TypeError('boom');
      },
    });
    assert.deepStrictEqual(out.errors.map((e) => `${e.file}:${e.line}:${e.col}: ${e.message}`), ['x.asm:1:1: internal assembler error: boom (please report)']);
  });

  it('takes predefined macros (-D)', () => {
    assert.deepStrictEqual([...assemble('%ifdef DEBUG\ndb LEVEL\n%endif\n', { defines: { DEBUG: '', LEVEL: '3' } }).image], [3]);
  });
});
