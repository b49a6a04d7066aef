import * as assert from 'assert';
import { encode } from '../../src/asm/encoder';
import { EncodeError, Instruction } from '../../src/asm/operand';
import { parseNasm } from './nasmtext';
import { MNEMONICS, signatures } from '../../src/asm/table';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const enc = (line: string, address = 0): string => hex(encode(parseNasm(line, address)));

/** The same instruction on a pass where its operand is still a forward reference. */
function unknown(line: string): Instruction {
  const ins = parseNasm(line);
  for (const o of ins.operands) {
    if (o.kind === 'imm') o.known = false;
    if (o.kind === 'mem') o.dispKnown = false;
  }
  return ins;
}

describe('asm encoder: choices nasm makes that the oracle corpus cannot show', () => {
  it('assumes a forward jump is short on the first pass, as nasm does', () => {
    assert.strictEqual(hex(encode(unknown('jmp 0'))).slice(0, 2), 'eb');
    assert.strictEqual(hex(encode(unknown('jz 0'))).slice(0, 2), '74');
  });
  it('keeps near when asked, even for a forward target', () => {
    assert.strictEqual(hex(encode(unknown('jmp near 0'))).slice(0, 2), 'e9');
  });
  it('uses the full-size immediate while a value is unknown (or relocatable)', () => {
    assert.strictEqual(hex(encode(unknown('add eax, 1'))), '0501000000');
    assert.strictEqual(hex(encode(unknown('push 1'))), '6801000000');
  });
  it('uses disp32 while a displacement is unknown', () => {
    assert.strictEqual(hex(encode(unknown('mov eax, [ebx+4]'))), '8b8304000000');
  });
  it('keeps the mode-sized displacement under an o16/o32 prefix, as nasm does', () => {
    // (bytes a CPU and objdump then read differently: nasm's behaviour, kept)
    assert.strictEqual(enc('o16 call 0x1300', 0x1000), '66e8fa020000');
    assert.strictEqual(hex(encode(parseNasm('o32 jmp 0x1300', 0x1000, 16))), '66e9fc02');
  });
  it('encodes relative jumps against the instruction address', () => {
    assert.strictEqual(enc('jmp 0x1000', 0x1000), 'ebfe');
    assert.strictEqual(enc('call 0x2000', 0x1000), 'e8fb0f0000');
  });
  it('reports nasm-like errors with the operand at fault', () => {
    const err = (line: string): EncodeError => {
      try {
        encode(parseNasm(line));
      } catch (e) {
        assert.ok(e instanceof EncodeError);
        return e;
      }
      assert.fail(`${line} encoded`);
    };
    assert.strictEqual(err('jmp short 0x1000').message, 'short jump is out of range');
    assert.strictEqual(err('inc [eax]').message, 'operation size not specified');
    assert.strictEqual(err('inc [eax]').operand, 0);
    assert.strictEqual(err('mov eax, bl').message, 'invalid combination of opcode and operands');
    assert.strictEqual(err('mov eax, cr0, 1').operand, undefined);
    assert.strictEqual(err('push cr0').operand, 0);
    assert.strictEqual(err('mov eax, 0x08:0x10').operand, 1);
    assert.strictEqual(err('mov byte [eax], ebx').message, 'mismatch in operand sizes');
    assert.strictEqual(err('mov eax, [esp*2]').message, 'invalid effective address');
    assert.strictEqual(err('frob eax').message, "unknown instruction 'frob'");
  });
});

describe('asm table', () => {
  it('lists every way to write a mnemonic, in the order the encoder tries them', () => {
    const s = signatures('ADD');
    assert.deepStrictEqual(s[0], { operands: 'rm8,r8', encoding: '00 /r' });
    assert.ok(s.some((x) => x.operands === 'rm32,sbyte32' && x.encoding === 'o32 83 /0 ib'));
    assert.deepStrictEqual(signatures('frob'), []);
    assert.ok(MNEMONICS.includes('vmcall') && MNEMONICS.includes('cmovnz'));
  });
});
