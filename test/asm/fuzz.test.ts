import * as assert from 'assert';
import { decodeOne, disassemble } from '../../src/asm/disasm';
import { encode, encodeChecked, isMnemonic } from '../../src/asm/encoder';
import { assemble } from '../../src/asm/index';
import { DIS_NAMES } from '../../src/asm/table';
import { parseNasm } from './nasmtext';
import { nasmAssemble, nasmWarnings, normalise, objdumpChunks } from './oracles';
import { randomStrings } from './prng';

/** XENSIM_FUZZ=n multiplies the sizes (default runs stay well under a minute). */
const SCALE = Number(process.env.XENSIM_FUZZ ?? 1);
const ADDRESS = 0x1000;

const PREFIX_WORDS = /^(data16|addr16|lock|rep|repz|repnz|bnd|notrack|xacquire|xrelease|[c-gs]s)$/;

/**
 * Whether objdump's line is in the set the table covers: a mnemonic we print, or a (bad) in
 * the one-byte map (x87 d8-df, VEX/EVEX/XOP and most of 0f are outside the integer set).
 */
function covered(objdump: string, bytes: Uint8Array): boolean {
  const mnemonic = objdump.split(' ').find((w) => !PREFIX_WORDS.test(w)) ?? '';
  if (mnemonic !== '(bad)') return (DIS_NAMES.has(mnemonic) || /^f/.test(mnemonic)) && !objdump.includes('(bad)');
  const body = bytes.filter((b) => ![0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3].includes(b));
  const op = body[0] === 0x9b ? body[1] : body[0]; // objdump merges fwait into a following x87 opcode
  return ![0x0f, 0x62, 0x8f, 0xc4, 0xc5].includes(op);
}

describe('asm fuzz: random bytes', function () {
  this.timeout(120000 * SCALE);

  it(`decodes ${100000 * SCALE} random byte strings without throwing, and re-encodes them`, () => {
    let roundTrips = 0;
    let decodable = 0;
    const bad: string[] = [];
    for (const bytes of randomStrings(1, 100000 * SCALE)) {
      const d = decodeOne(bytes, 0, ADDRESS);
      assert.ok(d.length >= 1 && d.length <= 15 && d.text.length > 0);
      if (!d.text.includes('(bad)')) decodable++;
      if (d.nasm === undefined) continue;
      let again: string;
      try {
        again = decodeOne(encode(parseNasm(d.nasm, ADDRESS)), 0, ADDRESS).text;
      } catch (e) {
        again = `error: ${(e as Error).message}`;
      }
      if (again === d.text) roundTrips++;
      else bad.push(`${Buffer.from(d.bytes).toString('hex')}: ${d.text} | ${d.nasm} | ${again}`);
    }
    assert.deepStrictEqual(bad.slice(0, 20), []);
    // everything NASM can say round-trips; only eiz forms, rel16 and the like cannot be said
    assert.ok(roundTrips > 0.9 * decodable, `${roundTrips} of ${decodable}`);
  });

  it(`re-assembles ${20000 * SCALE} decoded instructions through the real assembler to the same text`, () => {
    const bad: string[] = [];
    let checked = 0;
    for (const bytes of randomStrings(6, 20000 * SCALE)) {
      const d = decodeOne(bytes, 0, ADDRESS);
      // not yet in the front end: the bnd, xacquire and xrelease prefixes
      if (d.nasm === undefined || /^(\w+ )*(bnd|xacquire|xrelease) /.test(d.nasm)) continue;
      checked++;
      const r = assemble(`bits 32\norg ${ADDRESS}\n${d.nasm}\n`, { encode, isMnemonic });
      const again = r.errors.length ? `error: ${r.errors[0].message}` : decodeOne(r.image, 0, ADDRESS).text;
      if (again !== d.text) bad.push(`${d.nasm} | ${d.text} | ${again}`);
    }
    assert.deepStrictEqual(bad.slice(0, 20), []);
    assert.ok(checked > 15000 * SCALE, `${checked}`);
  });

  it('disassembles a random buffer end to end, instruction after instruction', () => {
    const [buf] = randomStrings(2, 1, 65536 * SCALE);
    const out = disassemble(buf, 0x100000);
    assert.strictEqual(out.reduce((n, d) => n + d.length, 0), buf.length);
    assert.strictEqual(out[0].address, 0x100000);
  });

  it('prints what objdump prints for the first instruction of 20,000 random strings', () => {
    const chunks = randomStrings(3, 20000 * SCALE);
    const want = objdumpChunks(chunks);
    const bad: string[] = [];
    let compared = 0;
    chunks.forEach((c, i) => {
      if (!covered(want[i].text, c)) return;
      compared++;
      const d = decodeOne(c, 0, 0);
      const got = `${normalise(d.text)} #${d.length}`;
      const exp = `${want[i].text} #${want[i].length}`;
      if (got !== exp) bad.push(`${Buffer.from(c).toString('hex')}: objdump ${exp} | xensim ${got}`);
    });
    assert.deepStrictEqual(bad.slice(0, 30), []);
    assert.ok(compared > 0.9 * chunks.length, `${compared}`);
  });

  it('prints what objdump -m i8086 prints for 5,000 random strings in 16-bit code', () => {
    const chunks = randomStrings(7, 5000 * SCALE);
    const want = objdumpChunks(chunks, 16);
    const bad: string[] = [];
    chunks.forEach((c, i) => {
      // (the harness re-bases targets to 64K; a 32-bit displacement under 0x66 does not wrap)
      if (!covered(want[i].text, c) || /\b(jmpd|calld)\b/.test(want[i].text)) return;
      const d = decodeOne(c, 0, 0, 16);
      const got = `${normalise(d.text)} #${d.length}`;
      const exp = `${want[i].text} #${want[i].length}`;
      if (got !== exp) bad.push(`${Buffer.from(c).toString('hex')}: objdump ${exp} | xensim ${got}`);
    });
    assert.deepStrictEqual(bad.slice(0, 30), []);
  });

  for (const bits of [32, 16] as const) {
    it(`re-assembles decoded ${bits}-bit instructions' NASM text with nasm: same text, our bytes and warnings`, () => {
      const lines: string[] = [];
      const texts: string[] = [];
      for (const bytes of randomStrings(5, 8000 * SCALE)) {
        const d = decodeOne(bytes, 0, 0, bits);
        if (d.nasm === undefined) continue;
        // jumps are spelled with absolute targets (decoded at 0): made relative for nasm (64K wraps aside)
        const jump = /^(\S+ )*(j\w+|call|loop\w*) 0x[0-9a-f]+$/.test(d.nasm);
        if (jump && bits === 16) continue;
        const rel = (t: string): string => `$${(parseInt(t, 16) | 0) < 0 ? '-' : '+'}${Math.abs(parseInt(t, 16) | 0)}`;
        lines.push(jump ? d.nasm.replace(/0x[0-9a-f]+$/, rel) : d.nasm);
        texts.push(d.text);
      }
      const nasm = nasmAssemble(lines, bits);
      const warned = nasmWarnings(lines, bits);
      const bad: string[] = [];
      lines.forEach((line, i) => {
        const got = decodeOne(nasm.bytes[i], 0, 0, bits).text;
        if (got !== texts[i]) bad.push(`${line}: want ${texts[i]} got ${got}`);
        // random operands make a second encoder oracle beside the generated corpus
        const ours = encodeChecked(parseNasm(line, nasm.starts[i], bits));
        const theirs = Buffer.from(nasm.bytes[i]).toString('hex');
        if (Buffer.from(ours.bytes).toString('hex') !== theirs) bad.push(`${line}: nasm ${theirs} xensim ${Buffer.from(ours.bytes).toString('hex')}`);
        const w = [...new Set(ours.warnings.map((x) => x.message))].join('; ');
        if (w !== (warned.get(i) ?? []).join('; ')) bad.push(`${line}: nasm warns ${warned.get(i)} xensim ${w}`);
      });
      assert.deepStrictEqual(bad.slice(0, 20), []);
    });
  }
});
