import * as assert from 'assert';
import { encode } from '../../src/asm/encoder';
import { corpusLines } from './corpus';
import { nasmAssemble, nasmErrors } from './oracles';
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
