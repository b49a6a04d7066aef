/**
 * The oracle corpus: NASM source lines generated from the opcode table itself — every
 * encoder form × operand kinds × addressing modes, with edge displacements and immediates.
 */
import { FORMS, Pattern } from '../../src/asm/table';

const R8 = ['al', 'cl', 'dl', 'bh'];
const R16 = ['ax', 'cx', 'sp', 'di'];
const R32 = ['eax', 'ecx', 'esp', 'ebp', 'edi'];
const DISPS = ['-129', '-128', '127', '128', '0', '-1', '0x12345678'];

/** 32- and 16-bit addressing forms, without a size keyword. */
export const ADDRESSES: string[] = [
  '[eax]', '[ebx]', '[esp]', '[ebp]', '[esi]', '[0x1234]', '[0]', '[0xffffff80]',
  ...DISPS.map((d) => `[ecx${d.startsWith('-') ? d : '+' + d}]`),
  ...DISPS.map((d) => `[ebp${d.startsWith('-') ? d : '+' + d}]`),
  ...DISPS.map((d) => `[esp${d.startsWith('-') ? d : '+' + d}]`),
  '[eax+ebx]', '[ebx+eax]', '[eax+ebp]', '[ebp+eax]', '[esp+eax]', '[eax+esp]',
  '[eax+ebx*2]', '[eax+ebx*4+8]', '[esi+edi*8-4]', '[ebp+esi*4+0x100]', '[esp+ebp*1]',
  '[eax*1]', '[eax*2]', '[ebp*2]', '[ebx*4]', '[ecx*8+0x10]', '[edx*4-128]', '[ebp*1+8]',
  '[nosplit eax*1]', '[nosplit eax*2]',
  '[byte eax]', '[byte ebp]', '[dword eax]', '[dword eax+1]', '[byte esp+4]',
  '[es:eax]', '[cs:ebx+4]', '[ss:ebp-8]', '[ds:esi]', '[fs:0x30]', '[gs:eax+ecx*2+0x10]',
  '[bx+si]', '[bx+di+4]', '[bp+si-2]', '[bp+di+0x200]', '[si]', '[di+1]', '[bp]', '[bx]', '[bp+0x80]',
];
const ADDR_SMALL = ['[eax]', '[ebp-4]', '[esp+8]', '[eax+ecx*4+0x200]', '[0x1234]', '[es:edi]', '[bx+si+2]'];

const IMM8 = ['0', '1', '0x7f', '0x80', '0xff', '-1', '-128'];
const IMM16 = ['0', '1', '0x7f', '0x80', '-128', '-129', '0xff', '0x100', '0x7fff', '0x8000', '0xff80', '0xffff', '-1'];
const IMM32 = [...IMM16, '0x10000', '0x7fffffff', '0x80000000', '0xffffff80', '0xffffff7f', '0xffffffff', '0x12345678'];

const sizeWord: Record<number, string> = { 1: 'byte', 2: 'word', 4: 'dword', 8: 'qword', 6: 'fword' };

function samples(p: Pattern, all: readonly Pattern[]): string[] {
  const otherSizesMem = all.some((q) => /^(r8|r16|r32|al|ax|eax)$/.test(q));
  const mems = (n: number, list: string[]): string[] => [
    ...list.map((a) => `${sizeWord[n]} ${a}`),
    ...(otherSizesMem ? list.slice(0, 3) : []),
  ];
  switch (p) {
    case 'r8': return R8;
    case 'r16': return R16;
    case 'r32': return R32;
    case 'rr16': return R16;
    case 'rr32': case 'rx32': return R32;
    case 'rm8': return [...R8.slice(0, 2), ...mems(1, ADDRESSES)];
    case 'rm16': return [...R16.slice(0, 2), ...mems(2, ADDR_SMALL)];
    case 'rm32': return [...R32.slice(0, 2), ...mems(4, ADDRESSES)];
    case 'm': return ADDR_SMALL;
    case 'm8': return ADDR_SMALL;
    case 'm16': return ADDR_SMALL.slice(0, 3).map((a) => `word ${a}`).concat(ADDR_SMALL.slice(0, 2));
    case 'm32': case 'm64': case 'm48': return ADDR_SMALL.slice(0, 4);
    case 'mfar32': return all.length === 1 ? ADDR_SMALL.slice(0, 4).map((a) => `far ${a}`) : ADDR_SMALL.slice(0, 4);
    case 'imm8': return IMM8;
    case 'imm16': return IMM16;
    case 'imm32': return IMM32;
    case 'sbyte16': case 'sbyte32': return ['0', '1', '-1', '127', '-128', 'byte 5', 'strict byte -3'];
    case 'one': return ['1'];
    case 'al': case 'ax': case 'eax': case 'cl': case 'dx':
    case 'es': case 'cs': case 'ss': case 'ds': case 'fs': case 'gs':
      return [p];
    case 'sreg': return ['es', 'cs', 'ss', 'ds', 'fs', 'gs'];
    case 'cr': return ['cr0', 'cr2', 'cr3', 'cr4'];
    case 'dr': return ['dr0', 'dr3', 'dr6', 'dr7'];
    case 'rel8': return ['$', '$+2', '$-126', '$+129', '$-128', 'short $+20'];
    case 'rel32': return ['$+0x1000', '$-0x1000', 'near $+2', 'near $', '$+0x81', '$-0x7e', 'strict near $+2'];
    case 'far32': return ['0x08:0x1234', '0xffff:0xffffffff', '0:0'];
    case 'moffs8': case 'moffs16': case 'moffs32': return ['[0x1234]', '[fs:0x10]', '[0xffffffff]'];
    default: return [];
  }
}

function cross(lists: string[][]): string[][] {
  return lists.reduce<string[][]>((acc, l) => acc.flatMap((a) => l.map((x) => [...a, x])), [[]]);
}

/** Every NASM line of the corpus (deduplicated, in table order). */
export function corpusLines(): string[] {
  const out = new Set<string>();
  for (const f of FORMS) {
    if (f.disOnly || f.osize === 16 && f.ops.some((p) => p.startsWith('rel') || p === 'far16')) continue;
    if (f.ops.includes('mfar16') || f.ops.includes('far16') || f.ops.includes('rel16')) continue;
    const lists = f.ops.map((p) => samples(p, f.ops));
    if (lists.some((l) => l.length === 0)) continue;
    let combos = cross(lists);
    // keep big cross products small but varied: every value of every list still appears
    if (combos.length > 40) combos = combos.filter((_, i) => i % Math.ceil(combos.length / 40) === 0 || i < lists[0].length);
    for (const c of combos) out.add(`${f.mnemonic}${c.length ? ' ' + c.join(', ') : ''}`);
  }
  for (const extra of [
    'lock add [eax], ebx', 'lock xchg [eax], ecx', 'lock cmpxchg [esi], edx', 'lock inc dword [eax]',
    'rep movsb', 'rep movsd', 'rep stosw', 'repe cmpsb', 'repne scasd', 'rep insb', 'rep outsd',
    'o16 nop', 'a16 nop', 'es nop', 'o16 push cs', 'rep lock add [es:eax], ax',
    'jmp 0x08:0x1234', 'call 0x10:0', 'ret 0', 'ret 0xffff', 'int 0x82', 'int 0x80', 'int 3',
    'xchg eax, eax', 'xchg ax, ax', 'xchg al, al', 'mov es, ax', 'mov ds, eax', 'push word 5', 'push dword 0x80',
    'push byte -1', 'push -129', 'push 0xffffff80', 'imul eax, 0x12345', 'imul ax, 5',
    'jecxz $', 'jcxz $+5', 'loop $-100', 'loopne $+3', 'loope $',
    'mov eax, [es:0x10]', 'mov al, [gs:0xfffffff0]', 'push dword [fs:0]', 'pop dword [ebx+ecx]',
    'shl dword [eax], 1', 'sar byte [eax], cl', 'rol word [eax], 7', 'sal eax, 1', 'sal bl, cl',
    'add eax, strict dword 5', 'add eax, dword 5', 'add eax, strict byte 5', 'sub ax, strict word -2',
    'movsd', 'cmpsw', 'lodsd', 'stosb', 'scasw', 'insd', 'outsw', 'xlat', 'xlatb',
    // sizes from the immediate, explicit byte immediates, forced displacements without a base
    'add [eax], byte 5', 'add [eax], word 5', 'mov [eax], word 5', 'mov [eax], dword 5', 'cmp [eax], byte -1',
    'push byte 0x80', 'add eax, byte 0x80', 'add ax, byte 0x80', 'imul eax, ebx, byte 0x80', 'imul eax, [eax], byte 5',
    'mov eax, [byte 0x10]', 'mov eax, [word 0x10]', 'mov eax, [dword 0x10]', 'add dword [eax], byte -200',
    'call 0:0x7c00', 'jmp word 0x8:0x1234',
    // values past their fields (nasm warns and truncates)
    'mov al, 300', 'mov al, -129', 'mov ax, 0x10000', 'mov ax, -32769', 'int 256', 'ret 0x10000', 'in al, 256',
    'enter 0x10000, 0', 'enter 1, 256', 'shl eax, 33', 'shl eax, 256', 'mov eax, 0x100000000', 'mov eax, -0x80000001',
    'add al, 256', 'test al, 256', 'mov byte [eax], 256', 'add ax, word 0x12345', 'mov eax, [byte eax+200]',
    'add eax, byte -129', 'push byte 200', 'imul eax, ebx, byte 128', 'add ax, byte 0xff80', 'add ax, byte 0x80',
    'add eax, 0x100000000', 'push 0x100000000', 'imul eax, 0x100000000', 'cmp ebx, -0x80000001', 'test eax, 0x100000000',
    'add ax, 0x10000', 'add dword [eax], 0x100000000', 'imul eax, ebx, 0x100000000', 'push word 0x10000',
    'add eax, strict word 5', 'shl [eax], byte 3', 'shl [eax], byte 1', 'push [eax]', 'inc [eax]', 'test [eax], 1',
  ]) out.add(extra);
  return [...out];
}
