/**
 * Test-only: a tiny NASM-syntax instruction parser (numbers only, no symbols) so the encoder
 * can be tested from the same text fed to nasm. The real front end is src/asm's parser.
 */
import { Instruction, MemOperand, Operand, Size } from '../../src/asm/operand';
import { register } from '../../src/asm/registers';

const PREFIXES = new Set(['lock', 'rep', 'repe', 'repz', 'repne', 'repnz', 'bnd', 'xacquire', 'xrelease', 'o16', 'o32', 'a16', 'a32', 'es', 'cs', 'ss', 'ds', 'fs', 'gs']);
const SIZES: Record<string, number> = { byte: 1, word: 2, dword: 4, qword: 8, fword: 6, tword: 10 };

let here = 0;

function num(s: string): number {
  const t = s.trim();
  const dollar = /^\$\s*([-+])\s*(.+)$/.exec(t);
  if (t === '$') return here;
  if (dollar) return here + (dollar[1] === '-' ? -num(dollar[2]) : num(dollar[2]));
  if (/^[-+]?0x[0-9a-f]+$/i.test(t)) return t.startsWith('-') ? -parseInt(t.slice(3), 16) : parseInt(t.replace('+', ''), 16);
  if (/^[-+]?\d+$/.test(t)) return parseInt(t, 10);
  throw new Error(`bad number '${s}'`);
}

function parseMem(text: string, size: number | undefined, seg0: string | undefined): MemOperand {
  let inner = text.trim();
  const m: MemOperand = { kind: 'mem', scale: 1, disp: 0, dispKnown: true, hasDisp: false };
  if (size) m.size = size as MemOperand['size'];
  if (seg0) m.seg = register(seg0);
  for (;;) {
    const w = /^(byte|word|dword|nosplit)\s+/i.exec(inner);
    if (!w) break;
    if (w[1] === 'nosplit') m.nosplit = true;
    else m.dispSize = SIZES[w[1]] as 1 | 2 | 4;
    inner = inner.slice(w[0].length);
  }
  const sm = /^(es|cs|ss|ds|fs|gs)\s*:/i.exec(inner);
  if (sm) {
    m.seg = register(sm[1]);
    inner = inner.slice(sm[0].length);
  }
  const terms = inner.replace(/\s+/g, '').replace(/-/g, '+-').split('+').filter(Boolean);
  for (const t of terms) {
    const [a, b] = t.split('*');
    const r = register(a.replace(/^-/, ''));
    if (r) {
      if (b !== undefined) {
        m.index = r;
        m.scale = num(b) as 1 | 2 | 4 | 8;
      } else if (!m.base) m.base = r;
      else m.index = r;
    } else {
      m.disp += num(t);
      m.hasDisp = true;
    }
  }
  // a base with a register written after an index: NASM's base is the unscaled one
  return m;
}

export function parseOperand(text: string): Operand {
  let t = text.trim();
  let size: number | undefined;
  let strict = false;
  let jump: 'short' | 'near' | 'far' | undefined;
  for (;;) {
    const w = /^(byte|word|dword|qword|fword|tword|strict|short|near|far)\s+/i.exec(t);
    if (!w) break;
    const k = w[1].toLowerCase();
    if (k === 'strict') strict = true;
    else if (k === 'short' || k === 'near' || k === 'far') jump = k;
    else size = SIZES[k];
    t = t.slice(w[0].length);
  }
  const segm = /^(es|cs|ss|ds|fs|gs):\[/i.exec(t);
  if (t.startsWith('[') || segm) {
    const open = t.indexOf('[');
    const m = parseMem(t.slice(open + 1, t.lastIndexOf(']')), size, segm?.[1]);
    if (jump === 'far') m.size = 6;
    return m;
  }
  const r = register(t);
  if (r) return { kind: 'reg', reg: r };
  const far = /^([^:]+):(.+)$/.exec(t);
  if (far) return { kind: 'far', segment: num(far[1]), offset: num(far[2]), known: true, ...(size ? { size: size as 2 | 4 } : {}) };
  return { kind: 'imm', value: num(t), known: true, strict, ...(size ? { size: size as Size } : {}), ...(jump ? { jump } : {}) };
}

function splitOperands(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === '[') depth++;
    if (c === ']') depth--;
    if (c === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur.trim()) out.push(cur);
  return out;
}

export function parseNasm(line: string, address = 0, bits: 16 | 32 = 32): Instruction {
  here = address;
  const words = line.trim().split(/\s+/);
  const prefixes: string[] = [];
  while (words.length > 1 && PREFIXES.has(words[0].toLowerCase())) prefixes.push(words.shift()!.toLowerCase());
  const mnemonic = words.shift()!.toLowerCase();
  const rest = words.join(' ');
  return { prefixes, mnemonic, operands: splitOperands(rest).map(parseOperand), bits, address };
}
