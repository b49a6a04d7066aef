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

  it('produces a listing in NASM\'s layout (line, offset in section, bytes, source)', () => {
    const lines = r.listing!.split('\n');
    assert.strictEqual(lines.find((l) => l.includes('ret')), '     6 00000001 C3                        ret');
    assert.strictEqual(lines.find((l) => l.includes('next: dd')), '     7 00000002 00000000                next: dd 0');
    assert.strictEqual(lines.find((l) => l.includes('resb')), '    10 00000000 <res 10h>               buf: resb 16');
  });

  it('lists long data over several rows, TIMES once and macro lines with <1>', () => {
    const src = 'bits 32\n%macro m 0\nnop\n%endmacro\ndb "hello world, long string here", 0\nm\ntimes 3 db 1\n';
    const text = assemble(src, { listing: true }).listing!;
    assert.strictEqual(
      text,
      [
        '     1                                  bits 32',
        '     5 00000000 68656C6C6F20776F72-     db "hello world, long string here", 0',
        '     5 00000009 6C642C206C6F6E6720-',
        '     5 00000012 737472696E67206865-',
        '     5 0000001B 726500             ',
        '     3 0000001E 90                  <1> nop',
        '     7 0000001F 01<rep 3h>              times 3 db 1',
        '',
      ].join('\n'),
    );
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
