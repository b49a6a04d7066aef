import * as assert from 'assert';
import { encode, encodeChecked } from '../../src/asm/encoder';
import { corpusLines } from './corpus';
import { nasmAssemble, nasmErrors, nasmWarnings, normalise, objdumpBinary } from './oracles';
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

const all = corpusLines();
// The generator also produces combinations nasm refuses: those check our errors instead.
const rejected = nasmErrors(all);
const lines = all.filter((_, i) => !rejected.has(i));
const nasm = nasmAssemble(lines);

describe('asm oracle: encoder = nasm -f bin', function () {
  this.timeout(60000);

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

  it("warns where nasm warns that a value exceeds its field", () => {
    const warned = nasmWarnings(lines);
    const bad: string[] = [];
    let count = 0;
    lines.forEach((line, i) => {
      const want = (warned.get(i) ?? []).join('; ');
      const got = [...new Set(encodeChecked(parseNasm(line, nasm.starts[i])).warnings.map((w) => w.message))].join('; ');
      if (want) count++;
      if (got !== want) bad.push(`${line.padEnd(40)} nasm: ${want}  xensim: ${got}`);
    });
    assert.deepStrictEqual(bad.slice(0, 40), []);
    assert.ok(count > 100, `${count} warnings`);
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

describe('asm oracle: bits 16 (encoder = nasm, disassembler = objdump -m i8086)', function () {
  this.timeout(60000);
  // jumps and 32-bit immediates are left out: their targets and values wrap differently at 64K
  const all16 = corpusLines().filter((l) => !/\$|0x[0-9a-f]{5,}|ffff/.test(l));
  const rejected16 = nasmErrors(all16, 16);
  const lines16 = all16.filter((_, i) => !rejected16.has(i));
  const nasm16 = nasmAssemble(lines16, 16);

  it(`encodes ${lines16.length} lines in bits 16 to nasm's bytes`, () => {
    const bad: string[] = [];
    lines16.forEach((line, i) => {
      let got: string;
      try {
        got = hex(encode(parseNasm(line, nasm16.starts[i], 16)));
      } catch (e) {
        got = `error: ${(e as Error).message}`;
      }
      if (got !== hex(nasm16.bytes[i])) bad.push(`${line.padEnd(40)} nasm ${hex(nasm16.bytes[i])}  xensim ${got}`);
    });
    assert.deepStrictEqual(bad.slice(0, 40), []);
  });

  it('disassembles them as objdump -m i8086 does', () => {
    const objdump = objdumpBinary(nasm16.image, 16);
    const mine = new Map(disassemble(nasm16.image, 0, 16).map((d) => [d.address, normalise(d.text)]));
    const bad = lines16.filter((_, i) => objdump.get(nasm16.starts[i]) !== mine.get(nasm16.starts[i]))
      .map((l) => `${l}: objdump ${objdump.get(nasm16.starts[lines16.indexOf(l)])} xensim ${mine.get(nasm16.starts[lines16.indexOf(l)])}`);
    assert.deepStrictEqual(bad.slice(0, 40), []);
  });
});
