import * as assert from 'assert';
import { encode } from '../../src/asm/encoder';
import { corpusLines } from './corpus';
import { nasmAssemble, nasmErrors, normalise, objdumpBinary } from './oracles';
import { disassemble } from '../../src/asm/disasm';
import { parseNasm } from './nasmtext';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function tryEncode(line: string, address: number): string {
  try {
    return hex(encode(parseNasm(line, address)));
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
}

describe('asm oracle: encoder = nasm -f bin', function () {
  this.timeout(60000);
  const all = corpusLines();
  // The generator also produces combinations nasm refuses: those check our errors instead.
  const rejected = nasmErrors(all);
  const lines = all.filter((_, i) => !rejected.has(i));
  const nasm = nasmAssemble(lines);

  it(`has at least 1,000 instruction forms (${lines.length})`, () => {
    assert.ok(lines.length >= 1000, `${lines.length}`);
  });

  it("encodes every corpus line to nasm's bytes", () => {
    const bad: string[] = [];
    lines.forEach((line, i) => {
      const got = tryEncode(line, nasm.starts[i]);
      const want = hex(nasm.bytes[i]);
      if (got !== want) bad.push(`${line.padEnd(40)} nasm ${want}  xensim ${got}`);
    });
    assert.deepStrictEqual(bad, [], `${bad.length} mismatches:\n${bad.slice(0, 60).join('\n')}`);
  });

  it(`rejects what nasm rejects, with nasm's message (${rejected.size} lines)`, () => {
    const bad: string[] = [];
    for (const [i, message] of rejected) {
      const got = tryEncode(all[i], 0);
      if (got !== `error: ${message}`) bad.push(`${all[i].padEnd(40)} nasm: ${message}  xensim: ${got}`);
    }
    assert.deepStrictEqual(bad, [], `${bad.length} mismatches:\n${bad.slice(0, 60).join('\n')}`);
  });
});

describe('asm oracle: disassembler = objdump -d -M intel', function () {
  this.timeout(60000);
  const all = corpusLines();
  const rejected = nasmErrors(all);
  const lines = all.filter((_, i) => !rejected.has(i));
  const nasm = nasmAssemble(lines);
  const objdump = objdumpBinary(nasm.image);

  it('disassembles every corpus instruction as objdump does', () => {
    const bad: string[] = [];
    const mine = disassemble(nasm.image, 0);
    const byAddr = new Map(mine.map((d) => [d.address, d]));
    lines.forEach((line, i) => {
      const want = objdump.get(nasm.starts[i]);
      const got = byAddr.get(nasm.starts[i]);
      const gotText = got ? normalise(got.text) : '(no instruction here)';
      if (gotText !== want || got?.length !== nasm.bytes[i].length) {
        bad.push(`${line.padEnd(36)} ${hex(nasm.bytes[i]).padEnd(20)} objdump: ${want}  xensim: ${gotText}`);
      }
    });
    assert.deepStrictEqual(bad, [], `${bad.length} mismatches:\n${bad.slice(0, 80).join('\n')}`);
  });
});
